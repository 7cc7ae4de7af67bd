/** Loading the implementation a grade run is asked for. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyContract } from '../contract.js';

export function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.[cm]?[jt]sx?$/.test(spec) || path.isAbsolute(spec);
}

/** Pick the contract's factory out of a module's exports (checked for being a function, not for its type). */
export function pickFactory<F>(mod: Record<string, unknown>, spec: string, contract: Pick<AnyContract, 'factoryExports' | 'factoryPattern' | 'core'>): F {
  const own = (key: string) => (Object.hasOwn(mod, key) ? mod[key] : undefined);
  for (const key of ['default', 'factory', ...contract.factoryExports]) {
    if (typeof own(key) === 'function') return own(key) as F;
  }
  const creators = Object.keys(mod).filter((k) => typeof own(k) === 'function' && contract.factoryPattern.test(k));
  if (creators.length === 1) return own(creators[0]) as F;
  throw new Error(
    `${spec} exports no ${contract.core.factory}: export it as default, as \`factory\` or as \`${contract.factoryExports[0] ?? 'factory'}\` (exports found: ${Object.keys(mod).join(', ') || 'none'})`,
  );
}

export async function loadModule(spec: string, cwd: string): Promise<Record<string, unknown>> {
  if (isPathLike(spec)) {
    const url = spec.startsWith('file:') ? spec : pathToFileURL(path.resolve(cwd, spec)).href;
    return (await import(url)) as Record<string, unknown>;
  }
  try {
    return (await import(spec)) as Record<string, unknown>;
  } catch (first) {
    // A package of the contributor's project: resolve it from the working directory.
    let resolved: string;
    try {
      resolved = createRequire(path.join(cwd, 'package.json')).resolve(spec);
    } catch {
      throw first;
    }
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  }
}

