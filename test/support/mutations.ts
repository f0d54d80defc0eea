// Mutations of sample manifests that must be rejected: each is built from the kind's schema so that
// it is invalid by construction (a wrong type, an unknown field, a value outside an enum or a bound,
// a missing required field) or from YAML text that cannot parse.
import { parseAllDocuments, stringify } from 'yaml';
import type { SchemaNode } from '../../src/api/v1/schema-validate.ts';

export type Random = () => number;

/** A small seeded generator (mulberry32) so that a failure can be replayed. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A place in the document and how to break it there. */
interface Site {
  describe: string;
  apply: () => void;
}

function wrongValueFor(type: string, rnd: Random): unknown {
  const byType: Record<string, unknown[]> = {
    string: [42, true, { a: 1 }, ['x'], 3.5],
    integer: ['seven', false, 2.5, { a: 1 }, ['1']],
    number: ['seven', true, { a: 1 }, []],
    boolean: ['yes', 1, { a: 1 }, ['true']],
    object: ['text', 7, true, ['a', 'b']],
    array: ['text', 7, { a: 1 }, false],
  };
  return pick(rnd, byType[type] ?? ['text']);
}

function collectSites(
  schema: SchemaNode,
  value: unknown,
  path: string,
  set: (v: unknown) => void,
  rnd: Random,
  out: Site[],
) {
  if (schema['x-kubernetes-int-or-string']) {
    out.push({ describe: `${path}: wrong type`, apply: () => set(pick(rnd, [true, { a: 1 }, ['1'], 1.5])) });
    return;
  }
  const type = schema.type;
  if (type !== undefined && value !== undefined && value !== null) {
    out.push({ describe: `${path}: wrong type`, apply: () => set(wrongValueFor(type, rnd)) });
  }
  if (schema.enum !== undefined && typeof value === 'string') {
    out.push({ describe: `${path}: outside enum`, apply: () => set('not-a-supported-value') });
  }
  if (schema.minimum !== undefined && typeof value === 'number') {
    const min = schema.minimum;
    out.push({ describe: `${path}: below minimum`, apply: () => set(min - 1 - Math.floor(rnd() * 5)) });
  }
  if (schema.maximum !== undefined && typeof value === 'number') {
    const max = schema.maximum;
    out.push({ describe: `${path}: above maximum`, apply: () => set(max + 1 + Math.floor(rnd() * 5)) });
  }
  if (isObject(value) && schema.properties !== undefined) {
    const preserve =
      schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties !== undefined;
    if (!preserve) {
      out.push({ describe: `${path}: unknown field`, apply: () => (value[`zz${Math.floor(rnd() * 1e6)}`] = 'x') });
    }
    for (const req of schema.required ?? []) {
      const sub = schema.properties[req];
      if (value[req] !== undefined && sub !== undefined && sub.default === undefined) {
        out.push({ describe: `${path}.${req}: required field removed`, apply: () => delete value[req] });
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties[k];
      if (sub !== undefined) collectSites(sub, v, `${path}.${k}`, (nv) => (value[k] = nv), rnd, out);
    }
  } else if (isObject(value) && typeof schema.additionalProperties === 'object') {
    const sub = schema.additionalProperties;
    for (const [k, v] of Object.entries(value)) collectSites(sub, v, `${path}.${k}`, (nv) => (value[k] = nv), rnd, out);
  } else if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    value.forEach((v, i) => {
      collectSites(items, v, `${path}[${i}]`, (nv) => (value[i] = nv), rnd, out);
    });
  }
}

/** Breaks one field of a document (in place) and says how. */
export function breakDocument(doc: Json, schema: SchemaNode, rnd: Random): string {
  const sites: Site[] = [];
  for (const key of ['spec', 'status']) {
    const sub = schema.properties?.[key];
    if (sub !== undefined && doc[key] !== undefined)
      collectSites(sub, doc[key], key, (v) => (doc[key] = v), rnd, sites);
  }
  if (sites.length === 0) {
    doc.spec = 'not an object';
    return 'spec: wrong type';
  }
  const site = pick(rnd, sites);
  site.apply();
  return site.describe;
}

const TEXT_BREAKERS: ((text: string, rnd: Random) => string)[] = [
  (t, rnd) => `${t.slice(0, Math.floor(rnd() * t.length))}\n  bad: {unclosed: [1, 2\n`,
  (t) => `${t}\nmetadata:\n  name: duplicate-key\n`,
  (t) => t.replace(/\n {2}(\S)/, '\n\t$1'),
  (t, rnd) => {
    const lines = t.split('\n');
    lines.splice(1 + Math.floor(rnd() * (lines.length - 1)), 0, 'spec: "unterminated');
    return lines.join('\n');
  },
  (t) => `${t}\n: : :\n  - ]\n`,
  (t) => `%YAML 9.9\n%BAD directive\n${t}`,
];

/** A broken YAML text: mutates until the YAML parser reports an error. */
export function breakYaml(text: string, rnd: Random): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const broken = pick(rnd, TEXT_BREAKERS)(text, rnd);
    const docs = parseAllDocuments(broken, { uniqueKeys: true });
    if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return broken;
  }
  return `${text}\n{[}`;
}

export const toYaml = (docs: unknown[]) => docs.map((d) => `---\n${stringify(d)}`).join('');
