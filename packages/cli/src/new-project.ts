/**
 * The files of the project `mmkit new CONTRACT DIR` writes: package.json ("type": "module", the
 * @mmkit packages at the versions installed with this CLI, vitest and typescript), a typed
 * skeleton of the contract (from the contract's skeleton: every member of its interface in
 * @mmkit/core, each method throwing "not written yet: <name>"), a vitest file running the
 * contract's suite, tsconfig.json, .gitignore and a README with the commands a student needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyContract, ContractSkeleton, SkeletonMember } from '@mmkit/conformance';

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

/** This CLI's folder (src/ or dist/ alike: both sit in the package's root). */
const CLI_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The package.json of a package installed where this CLI resolves its dependencies (Node's node_modules walk), or undefined. */
export function installedPackageJson(name: string, from = CLI_ROOT): PackageJson | undefined {
  if (name === '@mmkit/cli') return JSON.parse(readFileSync(join(CLI_ROOT, 'package.json'), 'utf8')) as PackageJson;
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', ...name.split('/'), 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The version ranges the project depends on: the @mmkit packages' own versions, vitest as @mmkit/conformance's peer range, typescript's installed minor. */
export function projectVersions(): Record<string, string> {
  const version = (name: string) => {
    const v = installedPackageJson(name)?.version;
    if (!v) throw new Error(`${name} is not installed next to @mmkit/cli`);
    return `^${v}`;
  };
  const conformance = installedPackageJson('@mmkit/conformance');
  const ts = installedPackageJson('typescript')?.version;
  return {
    '@mmkit/core': version('@mmkit/core'),
    '@mmkit/conformance': version('@mmkit/conformance'),
    '@mmkit/cli': version('@mmkit/cli'),
    vitest: conformance?.peerDependencies?.vitest ?? '^4.0.0',
    // The typescript this CLI was installed with, if any; the major every package here is built with otherwise.
    typescript: ts ? `~${ts.split('.').slice(0, 2).join('.')}.0` : '^5.9.0',
  };
}

/** A folder's name as an npm package name. */
export function packageName(dir: string): string {
  const base = dir.split(/[\\/]/).filter(Boolean).at(-1) ?? '';
  const name = base.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._-]+|[-]+$/g, '');
  return name || 'my-implementation';
}

function pascal(id: string): string {
  return id.replace(/(^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
}

function docLines(doc: readonly string[] | undefined, indent: string): string[] {
  if (!doc?.length) return [];
  if (doc.length === 1) return [`${indent}/** ${doc[0]} */`];
  return [`${indent}/**`, ...doc.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

function memberLines(m: SkeletonMember, projectName: string): string[] {
  const doc = docLines(m.doc, '  ');
  if (m.kind === 'method') return [...doc, `  ${m.name}${m.params ?? '()'}: ${m.type} {`, `    return notWritten('${m.name}');`, '  }'];
  // packageName() leaves no quote or backslash in the name.
  if (m.name === 'name' && m.type === 'string') return [...doc, `  readonly name = '${projectName}';`];
  if (m.flags) {
    const flags = m.flags.map((f) => `${f}: false`).join(', ');
    return [...doc, '  // Optional features: declare one true once you implement it (the grader then checks its rules).', `  readonly ${m.name}: ${m.type} = { ${flags} };`];
  }
  return [...doc, `  get ${m.name}(): ${m.type} {`, `    return notWritten('${m.name}');`, '  }'];
}

/** The skeleton's source: a class implementing the contract, every member not written yet, and its factory as the default export. */
export function skeletonSource(contract: AnyContract, skeleton: ContractSkeleton | undefined, projectName: string): string {
  const factoryExport = contract.factoryExports[0] ?? 'factory';
  const head = [
    '/**',
    ` * ${projectName}: an implementation of the ${contract.id} contract, ${contract.title}.`,
    ` * \`npm test\` runs the conformance suite on it, \`npm run grade\` grades it rule by rule.`,
    ' * Every member throws "not written yet: <name>" until you write it: the grader reports each',
    ' * rule that reaches one. Every case boots a small kernel around it first, so the members that',
    ' * boot calls come first (a rule whose case cannot boot names the one it stopped at).',
    ' */',
  ];
  const notWritten = [
    '/** What a member not written yet does: the grader and the tests report its name. */',
    'function notWritten(member: string): never {',
    '  throw new Error(`not written yet: ${member}`);',
    '}',
  ];
  if (!skeleton) {
    // A contract without a skeleton (none was generated for it): the factory alone.
    return [
      ...head,
      `import type { ${contract.core.factory} } from '@mmkit/core';`,
      '',
      ...notWritten,
      '',
      `export const ${factoryExport}: ${contract.core.factory} = () => notWritten('${contract.core.factory}');`,
      '',
      `export default ${factoryExport};`,
      '',
    ].join('\n');
  }
  const className = `My${pascal(skeleton.contract)}`;
  const body: string[] = [];
  const props = skeleton.members.filter((m) => m.kind === 'property' && (m.flags || (m.name === 'name' && m.type === 'string')));
  const rest = skeleton.members.filter((m) => !props.includes(m));
  for (const m of props) body.push(...memberLines(m, projectName), '');
  body.push(`  constructor(protected readonly services: ${skeleton.services}) {}`, '');
  for (const m of rest) body.push(...memberLines(m, projectName), '');
  body.pop();
  const optional = skeleton.optional.length
    ? [`  // Optional members of ${skeleton.contract} (leave them out or write them): ${skeleton.optional.join(', ')}.`, '']
    : [];
  return [
    ...head,
    `import type { ${skeleton.typeImports.join(', ')} } from '@mmkit/core';`,
    '',
    ...notWritten,
    '',
    `export class ${className} implements ${skeleton.contract} {`,
    ...optional,
    ...body,
    '}',
    '',
    `export const ${factoryExport}: ${skeleton.factory} = (services) => new ${className}(services);`,
    '',
    `export default ${factoryExport};`,
    '',
  ].join('\n');
}

/** Every file of the project, by path relative to its folder. */
export function projectFiles(contract: AnyContract, skeleton: ContractSkeleton | undefined, projectName: string, versions: Record<string, string>): Record<string, string> {
  const source = `src/${contract.id}.ts`;
  const grade = `mmkit grade ${contract.id} ./${source}`;
  const pkg = {
    name: projectName,
    version: '0.1.0',
    private: true,
    type: 'module',
    description: `An implementation of the mmkit ${contract.id} contract: ${contract.title}`,
    scripts: { test: 'vitest run', grade, typecheck: 'tsc' },
    dependencies: { '@mmkit/core': versions['@mmkit/core'] },
    devDependencies: {
      '@mmkit/cli': versions['@mmkit/cli'],
      '@mmkit/conformance': versions['@mmkit/conformance'],
      typescript: versions.typescript,
      vitest: versions.vitest,
    },
  };
  const test = [
    `// The ${contract.id} conformance suite on src/${contract.id}.ts: one test per case, named after the rules it checks.`,
    "import { contractByName } from '@mmkit/conformance';",
    "import { describeSuite } from '@mmkit/conformance/vitest';",
    `import factory from '../src/${contract.id}.js';`,
    '',
    `const contract = contractByName(${JSON.stringify(contract.id)});`,
    `if (!contract) throw new Error('@mmkit/conformance has no ${contract.id} contract: update it (npm install @mmkit/conformance@latest)');`,
    '',
    'describeSuite(contract.suite, factory);',
    '',
  ].join('\n');
  const tsconfig = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    include: ['src', 'test'],
  };
  const iface = skeleton ? `\`${skeleton.contract}\`` : `the \`${contract.core.factory}\``;
  const readme = `# ${projectName}

An implementation of the mmkit **${contract.id}** contract: ${contract.title}. It implements
${iface} from \`@mmkit/core\` in \`${source}\`, whose every member throws
\`not written yet: <name>\` until you write it.

\`\`\`sh
npm install      # once: @mmkit/core, the conformance suite, vitest and the mmkit command
npm test         # the conformance suite in vitest: one test per case, named after its rules
npm run grade    # ${grade}: a verdict per rule and a score
\`\`\`

Every case boots a small kernel around your implementation first: until the members boot calls
are written, each rule fails on the first of them (\`npm run grade\` names it), then on the
members its own case reaches. \`npm run grade -- --verbose\` shows every failing case; a failing property case prints the calls
that break it and a \`--replay FILE\` that runs just them again. \`npm run typecheck\` checks the
types. The rules and what each checks: \`npx mmkit grade ${contract.id} --help\` and the
\`@mmkit/conformance\` README.
`;
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    [source]: skeletonSource(contract, skeleton, projectName),
    [`test/${contract.id}.test.ts`]: test,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\n',
    'README.md': readme,
  };
}
