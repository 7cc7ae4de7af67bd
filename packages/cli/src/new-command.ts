/** `mmkit new CONTRACT DIR`: a ready project for an implementation of a contract of the registry. */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, quoteArg } from './errors.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';
import { packageName, projectFiles, projectVersions } from './new-project.js';

export function newHelp(kit: ConformanceKit = DEFAULT_KIT): string {
  const contracts = kit.CONTRACTS.map((c) => `                           ${[c.id, ...c.aliases].join(', ')}: ${c.title}`).join('\n');
  return `usage: mmkit new CONTRACT DIR

Write a project for your implementation of a contract into DIR (a new or empty folder):
package.json ("type": "module", @mmkit/core, the conformance suite, vitest, mmkit), a typed
skeleton of the contract in src/ whose every member throws "not written yet: <name>", a vitest
file running the contract's suite, tsconfig.json and a README. Then, in DIR:

  npm install && npm test && npm run grade

  CONTRACT                 one of:
${contracts}
`;
}

export function runNew(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [name, dir, extra] = positionals;
  const names = kit.CONTRACTS.map((c) => c.id).join(', ');
  if (!name) throw new UsageError(`new needs a contract and a folder: mmkit new CONTRACT DIR, CONTRACT one of ${names}`);
  const contract = kit.contractByName(name);
  if (!contract) throw new UsageError(`unknown contract ${quoteArg(name)}; contracts: ${names}`);
  if (dir === undefined || dir.trim() === '') throw new UsageError(`new needs a folder to write the project into: mmkit new ${contract.id} DIR`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quoteArg(extra)}`);
  const root = resolve(dir);
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw new UsageError(`${quoteArg(dir)} is a file: give a new or empty folder`);
    if (readdirSync(root).length) throw new UsageError(`${quoteArg(dir)} is not empty: mmkit new writes into a new or empty folder, and overwrites nothing`);
  }
  const project = packageName(root);
  const files = projectFiles(contract, kit.skeletonOf(contract.id), project, projectVersions());
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text, { flag: 'wx' });
    }
  } catch (e) {
    throw new UsageError(`cannot write the project into ${quoteArg(dir)}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  const where = dir;
  out(`wrote a ${contract.id} project in ${where}:\n${Object.keys(files).map((f) => `  ${f}\n`).join('')}
next:
  cd ${where}
  npm install      # @mmkit/core, the conformance suite, vitest, mmkit
  npm test         # the suite in vitest: every case fails with "not written yet" until you write the members
  npm run grade    # mmkit grade ${contract.id} ./src/${contract.id}.ts: a verdict per rule
`);
  return 0;
}
