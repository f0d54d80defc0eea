// The API field walk: every field path of a kind's schema, and the field names that the code reads
// (and, for status, writes), so that a test can name each field the API admits but nothing uses.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { kubernetesModelOf } from '../../src/api/v1/core-types.ts';
import type { SchemaNode } from '../../src/api/v1/schema-validate.ts';

/** One field of a schema: its path (`spec.storage.size`, `spec.env[]`, `status.x.*.y`) and its JSON name. */
export interface SchemaField {
  path: string;
  name: string;
  /** The name of the object holding it (`storage` for `spec.storage.size`), when that is a field. */
  parent: string | undefined;
}

/**
 * Every field under the root, depth first. A list's items are walked under `[]`, a map's values
 * under `.*`; an embedded Kubernetes model (a pod's resources, tolerations...) and a free object are
 * one field each: the operator hands them whole to the objects it creates.
 */
export function schemaFields(root: SchemaNode, prefix = ''): SchemaField[] {
  const out: SchemaField[] = [];
  const visit = (node: SchemaNode, path: string, parent: string | undefined) => {
    if (kubernetesModelOf(node) !== undefined) return;
    if (node.items !== undefined) visit(node.items, `${path}[]`, parent);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${path}.*`, undefined);
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const childPath = path === '' ? name : `${path}.${name}`;
      out.push({ path: childPath, name, parent });
      visit(child, childPath, name);
    }
  };
  visit(root, prefix, undefined);
  return out;
}

/** The field names one source file uses. */
export interface NamesUsed {
  file: string;
  /**
   * Property reads: `x.name`, `x?.name`, `x['name']`, `const { name } = x`, and names listed as
   * keys (`['name', 'other'].map((k) => x[k])`, `'name' in x`).
   */
  read: ReadonlySet<string>;
  /** Property writes in object literals: `{ name: ... }`, `{ name }`. */
  written: ReadonlySet<string>;
  /** Variables and parameters (`initdb`), and string literal types (`'startup' | 'liveness'`). */
  named: ReadonlySet<string>;
}

const keyText = (n: ts.Node): string | undefined =>
  ts.isIdentifier(n) || ts.isStringLiteralLike(n) ? n.text : undefined;

/** The names a TypeScript source reads and writes as properties (comments and strings aside). */
export function namesUsed(file: string, text: string): NamesUsed {
  const read = new Set<string>();
  const written = new Set<string>();
  const named = new Set<string>();
  const add = (set: Set<string>, name: string | undefined) => name !== undefined && set.add(name);
  const visit = (node: ts.Node) => {
    const parent = node.parent;
    if (ts.isPropertyAccessExpression(node)) add(read, node.name.text);
    else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
      add(read, node.argumentExpression.text);
    } else if (ts.isBindingElement(node)) {
      if (ts.isObjectBindingPattern(parent)) add(read, keyText(node.propertyName ?? node.name));
      if (ts.isIdentifier(node.name)) add(named, node.name.text);
    } else if (ts.isVariableDeclaration(node) || ts.isParameter(node)) {
      if (ts.isIdentifier(node.name)) add(named, node.name.text);
    } else if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(parent)) {
      add(written, keyText(node.name));
    } else if (ts.isShorthandPropertyAssignment(node)) {
      add(written, node.name.text);
    } else if (ts.isStringLiteralLike(node)) {
      if (ts.isArrayLiteralExpression(parent)) add(read, node.text);
      else if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.InKeyword) {
        add(read, node.text);
      } else if (ts.isLiteralTypeNode(parent)) add(named, node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return { file, read, written, named };
}

/** The TypeScript sources under `dir` (tests, test kits and the `skip`ped paths left out). */
export function sourceFiles(dir: string, skip: (relPath: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ts$/.test(entry.name) && !/\.(test|testkit)\.ts$/.test(entry.name) && !skip(relative(dir, p))) {
        out.push(p);
      }
    }
  };
  walk(dir);
  return out.sort();
}

export const namesUsedIn = (files: readonly string[]): NamesUsed[] =>
  files.map((f) => namesUsed(f, readFileSync(f, 'utf8')));

/** How each field is accounted for, or why it is reported. */
export interface FieldVerdict {
  path: string;
  /** Where it is used (`read in a.ts`), why it is exempt, or undefined when nothing accounts for it. */
  accountedBy: string | undefined;
}

export interface WalkRules {
  /** The sources that use fields (tests and the API package itself left out). */
  sources: readonly NamesUsed[];
  /** Field paths refused by name: each covers itself and everything under it. */
  unsupported: readonly string[];
  /** Field paths that need no use, with the reason: each covers itself and everything under it. */
  allowed: ReadonlyMap<string, string>;
  /** Whether a written name counts (status fields are the operator's output, not its input). */
  writeCounts: boolean;
}

const covers = (prefix: string, path: string) =>
  path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/**
 * Each field's account. A field counts as used when one source file reads its name and, for a
 * field inside another object, also names that object (reads it, or calls a variable, a parameter
 * or a literal type after it): `.enabled` alone says little, `.tls` and `.enabled` in one file say
 * much more.
 */
export function walkFields(fields: readonly SchemaField[], rules: WalkRules): FieldVerdict[] {
  return fields.map(({ path, name, parent }) => {
    const refused = rules.unsupported.find((u) => covers(u, path));
    if (refused !== undefined) return { path, accountedBy: `refused as ${refused}` };
    const allowed = [...rules.allowed].find(([prefix]) => covers(prefix, path));
    if (allowed !== undefined) return { path, accountedBy: `allowed as ${allowed[0]}: ${allowed[1]}` };
    const uses = (names: NamesUsed, n: string) => names.read.has(n) || (rules.writeCounts && names.written.has(n));
    const holds = (names: NamesUsed, n: string) => uses(names, n) || names.named.has(n);
    const user = rules.sources.find((s) => uses(s, name) && (parent === undefined || holds(s, parent)));
    return { path, accountedBy: user === undefined ? undefined : `used in ${user.file}` };
  });
}
