/** Loading the implementation a grade run is asked for. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ContractId } from './types.js';

export function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.[cm]?[jt]sx?$/.test(spec) || path.isAbsolute(spec);
}

/** What a module must export for a contract: the factory's type name and its conventional export. */
const FACTORY_EXPORTS: Record<ContractId, { type: string; name: string }> = {
  'page-allocator': { type: 'PageAllocatorFactory', name: 'createPageAllocator' },
  'slab-allocator': { type: 'SlabAllocatorFactory', name: 'createSlabAllocator' },
};

/** Pick the factory out of a module's exports (checked for being a function, not for its type). */
export function pickFactory<F>(mod: Record<string, unknown>, spec: string, contract: ContractId = 'page-allocator'): F {
  const want = FACTORY_EXPORTS[contract];
  for (const key of ['default', 'factory', want.name]) {
    if (typeof mod[key] === 'function') return mod[key] as F;
  }
  const creators = Object.entries(mod).filter(([k, v]) => typeof v === 'function' && /^create\w*Allocator$/.test(k));
  if (creators.length === 1) return creators[0][1] as F;
  throw new Error(
    `${spec} exports no ${want.type}: export it as default, as \`factory\` or as \`${want.name}\` (exports found: ${Object.keys(mod).join(', ') || 'none'})`,
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

