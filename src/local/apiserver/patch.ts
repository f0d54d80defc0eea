// The three patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
// and strategic merge patch for the built-in kinds, with the directives kubectl sends
// (`$patch`, `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`).
import { ApiError, apiErrors } from './errors.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw apiErrors.badRequest(`the JSON pointer "${path}" must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[], path: string): { parent: Json | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined)
      throw apiErrors.badRequest(
        `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
      );
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw apiErrors.badRequest(`doc is missing path: "${path}"`);
  return { parent: cur, key: parts[parts.length - 1] ?? '' };
}

function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const p of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

function arrayIndex(arr: unknown[], key: string, forInsert: boolean, path: string): number {
  if (forInsert && key === '-') return arr.length;
  const i = Number(key);
  const max = forInsert ? arr.length : arr.length - 1;
  if (!/^\d+$/.test(key) || i > max)
    throw apiErrors.badRequest(
      `the server rejected our request due to an error in our request: index out of range at "${path}"`,
    );
  return i;
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, clone(value));
  else parent[key] = clone(value);
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const parts = pointer(path);
  const { parent, key } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1);
  else {
    if (!(key in parent))
      throw apiErrors.badRequest(
        `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}: missing value`,
      );
    delete parent[key];
  }
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw apiErrors.badRequest('json patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw apiErrors.badRequest('every json patch operation needs "op" and "path"');
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        if (getAt(doc, op.path) === undefined) {
          throw apiErrors.badRequest(
            `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${op.path}: missing value`,
          );
        }
        doc = addAt(removeAt(doc, op.path), op.path, op.value);
        break;
      case 'move': {
        const value = getAt(doc, op.from ?? '');
        if (value === undefined)
          throw apiErrors.badRequest(`move operation does not apply: doc is missing from path: ${op.from}`);
        doc = addAt(removeAt(doc, op.from ?? ''), op.path, value);
        break;
      }
      case 'copy': {
        const value = getAt(doc, op.from ?? '');
        if (value === undefined)
          throw apiErrors.badRequest(`copy operation does not apply: doc is missing from path: ${op.from}`);
        doc = addAt(doc, op.path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: testing value ${op.path} failed: test failed`,
          );
        }
        break;
      default:
        throw apiErrors.badRequest(`unexpected json patch operation "${op.op}"`);
    }
  }
  return doc;
}

/** How strategic merge patch treats one field (from the Go struct tags of the built-in types). */
export interface PatchField {
  /** A list of objects merged by this key. */
  mergeKey?: string;
  /** A list of scalars merged as a set (e.g. metadata.finalizers). */
  mergeScalars?: boolean;
  /** `retainKeys`: fields absent from the patch are cleared (union types such as volume sources). */
  retainKeys?: boolean;
  /** The fields of this object, or of the list's items. */
  meta?: PatchMeta;
}

export type PatchMeta = Record<string, PatchField>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Drops directives from a value that is stored as is (new list items, replaced subtrees). */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v))
    return v
      .filter((i) => !(isObject(i) && i[DIRECTIVE] !== undefined && Object.keys(i).length === 1))
      .map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function strategicMergePatch(target: unknown, patch: unknown, meta: PatchMeta): unknown {
  if (!isObject(patch)) throw apiErrors.badRequest('a strategic merge patch must be a JSON object');
  return smpObject(isObject(target) ? target : {}, patch, meta);
}

function smpObject(original: Json, patch: Json, meta: PatchMeta | undefined): Json | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as Json;
  const out: Json = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k) && !(k in patch)) delete out[k];
  }
  const orders: [string, unknown[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ORDER)) {
      if (Array.isArray(value)) orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        out[field] = current.filter((x) => !value.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      }
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const field = meta?.[key];
    const current = out[key];
    if (isObject(value)) {
      const merged = smpObject(isObject(current) ? current : {}, value, field?.meta);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value) && (field?.mergeKey !== undefined || field?.mergeScalars === true)) {
      out[key] = smpList(Array.isArray(current) ? current : [], value, field);
    } else {
      out[key] = stripDirectives(value);
    }
  }
  for (const [field, order] of orders) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = reorder(list, order, meta?.[field]?.mergeKey);
  }
  return out;
}

function smpList(original: unknown[], patch: unknown[], field: PatchField): unknown[] {
  if (patch.some((i) => isObject(i) && i[DIRECTIVE] === 'replace')) return stripDirectives(patch) as unknown[];
  const key = field.mergeKey;
  if (key === undefined) {
    const out = [...original];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(clone(v));
    return out;
  }
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = out.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index < 0) out.push(stripDirectives(item));
    else {
      const merged = smpObject(out[index] as Json, item, field.meta);
      if (merged === undefined) out.splice(index, 1);
      else out[index] = merged;
    }
  }
  return out;
}

/** `$setElementOrder`: listed items first, in that order; items only the server knows keep their place after. */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (v: unknown) => JSON.stringify(key !== undefined && isObject(v) ? v[key] : v);
  const wanted = order.map(id);
  const listed = wanted.flatMap((w) => list.filter((item) => id(item) === w));
  const rest = list.filter((item) => !wanted.includes(id(item)));
  return [...listed, ...rest];
}
