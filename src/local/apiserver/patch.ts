// The three patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
// and strategic merge patch for the built-in kinds, with the directives kubectl sends
// (`$patch`, `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`).
import { applyJsonPatch, JsonPatchError } from '../../api/json-patch.ts';
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

const REJECTED = 'the server rejected our request due to an error in our request';

/** RFC 6902 (the shared implementation), its failures as the API server reports them. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  try {
    return applyJsonPatch(target, ops);
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    if (err.failure === 'malformed') throw apiErrors.badRequest(err.message);
    if (err.failure === 'test') throw new ApiError(422, 'Invalid', `${REJECTED}: ${err.message}`);
    throw apiErrors.badRequest(`${REJECTED}: ${err.message}`);
  }
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
