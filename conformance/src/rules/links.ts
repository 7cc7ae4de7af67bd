/** Public links for rule sources: the seed entry's lkml link, Linux 4.17 on elixir.bootlin.com, man7.org. */
import { seedEntryById } from '../seed/index.js';
import type { RuleSource } from './types.js';

/** The kernel version the rules describe: source and Documentation links point at its tree. */
export const KERNEL_VERSION = 'v4.17';

export interface SourceLink {
  /** What the link shows: a file path, a man page, an entry's subject. */
  readonly label: string;
  readonly url: string;
}

/** A path of the kernel tree at the start of a ref or of one of its '; '-separated parts. */
const KERNEL_PATH = /^((?:mm|include|arch|kernel|lib|fs|drivers|Documentation)\/[\w.+/-]*[\w+-])/;

/** https://elixir.bootlin.com/linux/v4.17/source/<path> */
export function kernelFileUrl(path: string): string {
  return `https://elixir.bootlin.com/linux/${KERNEL_VERSION}/source/${path}`;
}

/** 'mmap(2)' -> https://man7.org/linux/man-pages/man2/mmap.2.html */
export function manPageUrl(page: string): string | undefined {
  const m = /^([\w.-]+)\((\d)\w*\)$/.exec(page);
  return m ? `https://man7.org/linux/man-pages/man${m[2]}/${m[1]}.${m[2]}.html` : undefined;
}

/** The source of a rule taken from a seed changelog entry: its id, and its subject as the ref. Throws for an unknown id. */
export function changelogSource(entry: string): RuleSource {
  const e = seedEntryById(entry);
  if (!e) throw new Error(`no seed changelog entry '${entry}'`);
  return { kind: 'changelog', entry, ref: e.subject };
}

/** The kernel paths a `source` or `doc` ref names, in order, once each. */
export function refPaths(ref: string): string[] {
  const paths: string[] = [];
  for (const part of ref.split('; ')) {
    const m = KERNEL_PATH.exec(part.trim());
    if (m && !paths.includes(m[1])) paths.push(m[1]);
  }
  return paths;
}

/**
 * The public links of a rule's source: the changelog entry's link (and its upstream commit,
 * where known), each file of a source or doc ref at v4.17, the man page. Empty when the ref
 * names nothing linkable (the rules test forbids that).
 */
export function sourceLinks(source: RuleSource): SourceLink[] {
  switch (source.kind) {
    case 'changelog': {
      const e = seedEntryById(source.entry);
      if (!e) return [];
      return e.commit ? [{ label: e.subject, url: e.link }, { label: `commit ${e.commit.hash.slice(0, 12)}`, url: e.commit.url }] : [{ label: e.subject, url: e.link }];
    }
    case 'man': {
      const page = source.ref.split(':')[0].trim();
      const url = manPageUrl(page);
      return url ? [{ label: page, url }] : [];
    }
    case 'doc':
    case 'source':
      return refPaths(source.ref).map((path) => ({ label: path, url: kernelFileUrl(path) }));
    case 'commit':
      return [{ label: `commit ${source.hash.slice(0, 12)}`, url: commitUrl(source.hash) }];
  }
}

/** https://git.kernel.org/torvalds/c/<hash> */
export function commitUrl(hash: string): string {
  return `https://git.kernel.org/torvalds/c/${hash}`;
}

/** The source as markdown: the ref with its paths (or the entry's subject, the man page) as links. */
export function sourceMarkdown(source: RuleSource): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  switch (source.kind) {
    case 'changelog': {
      const link = sourceLinks(source)[0];
      return `changelog \`${source.entry}\`: ${link ? `[${esc(source.ref)}](${link.url})` : esc(source.ref)}`;
    }
    case 'man': {
      const link = sourceLinks(source)[0];
      return `man: ${link ? esc(source.ref).replace(link.label, `[${link.label}](${link.url})`) : esc(source.ref)}`;
    }
    case 'doc':
    case 'source': {
      const parts = source.ref.split('; ').map((part) => {
        const m = KERNEL_PATH.exec(part.trim());
        return esc(m ? part.replace(m[1], `[${m[1]}](${kernelFileUrl(m[1])})`) : part);
      });
      return `${source.kind}: ${parts.join('; ')}`;
    }
    case 'commit':
      return `commit [${source.hash.slice(0, 12)}](${commitUrl(source.hash)}) "${esc(source.ref)}" (Linux ${source.release})`;
  }
}
