/** Loading the implementation a grade run is asked for. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PageAllocatorFactory } from '@mmkit/core';

export function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.[cm]?[jt]sx?$/.test(spec) || path.isAbsolute(spec);
}

/** Pick the factory out of a module's exports. */
export function pickFactory(mod: Record<string, unknown>, spec: string): PageAllocatorFactory {
  for (const key of ['default', 'factory', 'createPageAllocator']) {
    if (typeof mod[key] === 'function') return mod[key] as PageAllocatorFactory;
  }
  const creators = Object.entries(mod).filter(([k, v]) => typeof v === 'function' && /^create\w*Allocator$/.test(k));
  if (creators.length === 1) return creators[0][1] as PageAllocatorFactory;
  throw new Error(
    `${spec} exports no PageAllocatorFactory: export it as default, as \`factory\` or as \`createPageAllocator\` (exports found: ${Object.keys(mod).join(', ') || 'none'})`,
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

