/**
 * Read a contract's skeleton (ContractSkeleton) out of its interface in @mmkit/core's sources,
 * with the TypeScript compiler: the required members in declaration order (inherited interfaces
 * first, as `extends` lists them), their parameter lists and types as written, their doc
 * comments, and the names of core's exports the signatures use.
 */
import path from 'node:path';
import ts from 'typescript';
import type { ContractSkeleton, SkeletonMember } from '../src/skeleton/types.js';

function docOf(node: ts.Node, source: ts.SourceFile): string[] | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.pos) ?? [];
  const last = ranges.filter((r) => source.text.startsWith('/**', r.pos)).at(-1);
  if (!last) return undefined;
  const text = source.text.slice(last.pos + 3, last.end - 2);
  const lines = text.split('\n').map((l) => l.replace(/^\s*\*? ?/, '').trimEnd());
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines.at(-1)) lines.pop();
  return lines.length ? lines : undefined;
}

/** One program over core's sources, for every skeleton read from it. */
export function coreProgram(repo: string, files: readonly string[]): ts.Program {
  const index = path.join(repo, 'packages/core/src/index.ts');
  return ts.createProgram([index, ...files.map((f) => path.join(repo, f))], {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true, types: [],
  });
}

export function skeletonFromCore(program: ts.Program, repo: string, coreFile: string, contract: string, factory: string): ContractSkeleton {
  const index = path.join(repo, 'packages/core/src/index.ts');
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.join(repo, coreFile));
  const indexSource = program.getSourceFile(index);
  if (!source || !indexSource) throw new Error(`cannot read ${coreFile}`);
  const exported = new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(indexSource)!).map((s) => s.name));
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const aliases = new Map<string, ts.TypeAliasDeclaration>();
  source.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
    if (ts.isTypeAliasDeclaration(n)) aliases.set(n.name.text, n);
  });
  const factoryAlias = aliases.get(factory);
  if (!factoryAlias || !ts.isFunctionTypeNode(factoryAlias.type) || factoryAlias.type.parameters.length !== 1 || !factoryAlias.type.parameters[0].type) {
    throw new Error(`${factory} in ${coreFile} is not a type (services) => ${contract}`);
  }
  const services = factoryAlias.type.parameters[0].type.getText(source);
  const uses = new Set<string>([contract, factory, services]);
  const collect = (node: ts.Node) => {
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      // Globals (Float64Array, Readonly) need no import.
      const decl = checker.getSymbolAtLocation(node.typeName)?.declarations?.[0];
      if (!decl || !program.isSourceFileDefaultLibrary(decl.getSourceFile())) uses.add(node.typeName.text);
    }
    node.forEachChild(collect);
  };
  const members: SkeletonMember[] = [];
  const optional: string[] = [];
  const seen = new Set<string>();
  const walk = (name: string) => {
    const decl = interfaces.get(name);
    if (!decl) throw new Error(`interface ${name} is not declared in ${coreFile}`);
    for (const clause of decl.heritageClauses ?? []) for (const t of clause.types) walk(t.expression.getText(source));
    for (const m of decl.members) {
      if (!m.name || !ts.isIdentifier(m.name) || seen.has(m.name.text)) continue;
      seen.add(m.name.text);
      if (m.questionToken) {
        optional.push(m.name.text);
        continue;
      }
      const doc = docOf(m, source);
      if (ts.isMethodSignature(m)) {
        if (!m.type) throw new Error(`${name}.${m.name.text} has no return type`);
        m.parameters.forEach(collect);
        collect(m.type);
        members.push({ name: m.name.text, kind: 'method', params: `(${m.parameters.map((p) => p.getText(source)).join(', ')})`, type: m.type.getText(source), ...(doc ? { doc } : {}) });
      } else if (ts.isPropertySignature(m) && m.type) {
        collect(m.type);
        const type = checker.getTypeAtLocation(m.type);
        const props = type.isClassOrInterface() ? checker.getPropertiesOfType(type) : [];
        // Optional flags (`hardenedFreelist?: boolean`) are boolean | undefined: their non-nullable type is boolean.
        const flags = props.length && props.every((p) => checker.getNonNullableType(checker.getTypeOfSymbol(p)).flags & ts.TypeFlags.BooleanLike)
          ? props.filter((p) => !(p.flags & ts.SymbolFlags.Optional)).map((p) => p.name)
          : undefined;
        members.push({ name: m.name.text, kind: 'property', type: m.type.getText(source), ...(flags ? { flags } : {}), ...(doc ? { doc } : {}) });
      }
    }
  };
  walk(contract);
  const typeImports = [...uses].filter((u) => exported.has(u)).sort();
  const missing = [...uses].filter((u) => !exported.has(u));
  if (missing.length) throw new Error(`the ${contract} skeleton uses types @mmkit/core does not export: ${missing.join(', ')}`);
  return { contract, factory, services, typeImports, members, optional };
}
