// ESLint plugin `mmkit` with one rule, `mmkit/layers`: the dependency rules of
// docs/architecture.md ("How the pieces depend on each other"), denying by default.
//
// For a file of a workspace package (packages/*, conformance, tools) it checks every module
// specifier: static import and export-from, import() (a computed argument is an error in
// packages under packages/, where the layers must be checkable), TypeScript import('x') types,
// require(), `import x = require()` and `declare module 'x'`:
//  - an @mmkit/* specifier (a subpath counts as its package) must name a workspace package
//    whose layer the file's layer may import (table in ./layers.js), and be listed in the
//    package's dependencies, peerDependencies or optionalDependencies, or, for test, bench and
//    tools files, devDependencies (otherwise nx's project graph misses the edge);
//  - a relative (or absolute) specifier must resolve inside the file's own package.
// Files outside the workspace packages (the repository root's configuration) are not checked.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_ROOT_CONFIG } from './layers.js';
import {
  REPO_ROOT,
  SCOPE,
  describeAllowed,
  isDevFile,
  listWorkspaces,
  mayImport,
  packageDirOf,
  packageName,
  readManifest,
  rowFor,
  toPosix,
} from './workspace.js';

const DOC = 'docs/architecture.md, "How the pieces depend on each other"';

/** @type {Record<string, string>} */
const HINTS = {
  core: ' core depends on nothing in the repository.',
  subsystem: ' A subsystem reaches another through the contracts in @mmkit/core, handed to it at boot.',
  kernel: ' kernel depends on core and the subsystem packages only.',
  conformance: ' Suites and the grader are written against contracts (@mmkit/core, @mmkit/kernel); only mutants (src/contracts/*/mutants.ts, src/contracts/*/mutants/**) import implementations.',
  mutants: ' Mutants import core, kernel and the implementation they mutate, never the CLI.',
};

const ROOT_CONFIG_FILE = /^[^/]+\.config\.[cm]?[jt]s$/;

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: `Enforce the package layers and declared dependencies of ${DOC}` },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string', description: 'The repository root (default: two folders above this plugin).' } },
        additionalProperties: false,
      },
    ],
    messages: {
      layer: "'{{spec}}': {{pkg}} ({{layer}} layer) may import {{allowed}}, and {{name}} is in the {{targetLayer}} layer ({{doc}}).{{hint}}",
      unknownPackage: "'{{spec}}': {{name}} is not a package of this repository (no package.json under packages/*, conformance or tools has that name).",
      undeclared: "'{{spec}}': {{name}} is not listed in {{pkg}}/package.json {{fields}}; declare it so npm and nx's project graph see the dependency.",
      devOnly: "'{{spec}}': {{name}} is only in {{pkg}}/package.json devDependencies, and this file ships with the package (it is not a test, bench or tools file); move it to dependencies.",
      leavesPackage: "'{{spec}}' resolves to {{target}}, outside {{pkg}}: import another package by its name (@mmkit/...), never through a relative path.",
      computed: '{{kind}} with a computed specifier: in a package under packages/ the layer rules must be able to check every import, so use a string literal.',
      badPackage: '{{dir}}/package.json cannot be read: {{error}}',
      noPackage: '{{dir}} has no package.json: every folder under packages/ (and conformance, tools) is a workspace package that declares its dependencies.',
    },
  },
  create(context) {
    /** @type {{ root?: string } | undefined} */
    const options = context.options[0];
    const root = path.resolve(options?.root ?? REPO_ROOT);
    const filename = context.physicalFilename;
    if (!path.isAbsolute(filename)) return {}; // <text> without a file path
    const rel = toPosix(path.relative(root, filename));
    if (rel.startsWith('../') || path.isAbsolute(rel)) return {};
    const pkgDir = packageDirOf(rel);
    if (!pkgDir) return {}; // the repository root's own files
    const pkgAbs = path.join(root, pkgDir);
    /** @type {import('./workspace.js').Manifest | undefined} */
    let manifest;
    try {
      manifest = readManifest(path.join(pkgAbs, 'package.json'));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return {
        Program(node) {
          context.report({ node, messageId: 'badPackage', data: { dir: pkgDir, error } });
        },
      };
    }
    if (!manifest) {
      return {
        Program(node) {
          context.report({ node, messageId: 'noPackage', data: { dir: pkgDir } });
        },
      };
    }
    const row = rowFor(rel);
    const inPackage = rel.slice(pkgDir.length + 1);
    const dev = isDevFile(inPackage);
    const underPackages = pkgDir.startsWith('packages/');
    /** @type {ReturnType<typeof listWorkspaces> | undefined} */
    let workspaces;

    /**
     * @param {any} node
     * @param {string} spec
     */
    function checkRelative(node, spec) {
      let target;
      try {
        target = spec.startsWith('file:') ? fileURLToPath(spec) : path.resolve(path.dirname(filename), spec);
      } catch {
        return;
      }
      const inside = path.relative(pkgAbs, target);
      if (inside === '' || (inside !== '..' && !inside.startsWith(`..${path.sep}`) && !path.isAbsolute(inside))) return;
      const fromRoot = toPosix(path.relative(root, target));
      if (ROOT_CONFIG_FILE.test(inPackage) && SHARED_ROOT_CONFIG.includes(fromRoot.replace(/\.[cm]?[jt]s$/, ''))) return;
      context.report({ node, messageId: 'leavesPackage', data: { spec, target: fromRoot, pkg: pkgDir } });
    }

    /**
     * @param {any} node
     * @param {string} spec
     */
    function checkPackage(node, spec) {
      const name = packageName(spec);
      if (!manifest || name === manifest.name) return; // a package may import itself
      const pkg = pkgDir;
      workspaces ??= listWorkspaces(root);
      const target = workspaces.get(name);
      if (!target) {
        context.report({ node, messageId: 'unknownPackage', data: { spec, name } });
        return;
      }
      const targetRow = rowFor(target.dir);
      if (!row || !targetRow || !mayImport(row, targetRow.layer)) {
        context.report({
          node,
          messageId: 'layer',
          data: {
            spec,
            name,
            pkg: row?.layer === 'mutants' ? `${pkg} mutant` : pkg,
            layer: row?.layer ?? 'no',
            allowed: row ? describeAllowed(row) : 'nothing',
            targetLayer: targetRow?.layer ?? 'no',
            doc: DOC,
            hint: (row && HINTS[row.layer]) ?? '',
          },
        });
      }
      const runtime = [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies];
      if (runtime.some((deps) => deps && Object.hasOwn(deps, name))) return;
      const inDev = !!manifest.devDependencies && Object.hasOwn(manifest.devDependencies, name);
      if (inDev && dev) return;
      context.report({
        node,
        messageId: inDev ? 'devOnly' : 'undeclared',
        data: { spec, name, pkg, fields: dev ? 'dependencies, peerDependencies or devDependencies' : 'dependencies or peerDependencies' },
      });
    }

    /**
     * @param {any} node
     * @param {string} spec
     */
    function check(node, spec) {
      if (spec.startsWith('.') || spec.startsWith('file:') || path.isAbsolute(spec)) checkRelative(node, spec);
      else if (spec.startsWith(SCOPE)) checkPackage(node, spec);
    }

    /**
     * A specifier given as an expression: a string literal or a template without expressions
     * is checked, anything else is an error under packages/.
     * @param {any} node
     * @param {string} kind
     */
    function checkExpression(node, kind) {
      if (node?.type === 'Literal' && typeof node.value === 'string') check(node, node.value);
      else if (node?.type === 'TemplateLiteral' && node.expressions.length === 0) check(node, node.quasis[0].value.cooked ?? '');
      else if (underPackages) context.report({ node: node ?? context.sourceCode.ast, messageId: 'computed', data: { kind } });
    }

    /** @param {any} node */
    const fromSource = (node) => {
      if (node.source) check(node.source, node.source.value);
    };

    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression(node) {
        checkExpression(node.source, 'import()');
      },
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') checkExpression(node.arguments[0], 'require()');
      },
      /** @param {any} node */
      TSImportType(node) {
        // typescript-eslint 8: `source` (a string literal); older: `argument` (a literal type).
        const lit = node.source ?? node.argument?.literal;
        if (lit?.type === 'Literal' && typeof lit.value === 'string') check(lit, lit.value);
      },
      /** @param {any} node */
      TSImportEqualsDeclaration(node) {
        if (node.moduleReference?.type === 'TSExternalModuleReference') checkExpression(node.moduleReference.expression, 'import = require()');
      },
      /** @param {any} node */
      TSModuleDeclaration(node) {
        if (node.id?.type === 'Literal' && typeof node.id.value === 'string') check(node.id, node.id.value);
      },
    };
  },
};

const plugin = {
  meta: { name: 'mmkit', version: '0.1.0' },
  rules: { layers },
};

export default plugin;
