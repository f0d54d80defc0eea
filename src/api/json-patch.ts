// RFC 6902 JSON patch, applied as Go's json-patch library applies it (the library both the
// Kubernetes API server and upstream's `cnpg.io/podPatch` use): negative array indices count from
// the end, and failures read like its messages. One implementation serves the local API server's
// `application/json-patch+json`, the podPatch admission check and the instance pods the operator
// builds.

/** Why a patch failed: not a list of operations, an operation that does not apply, a failed `test`. */
export type JsonPatchFailure = 'malformed' | 'apply' | 'test';

export class JsonPatchError extends Error {
  readonly failure: JsonPatchFailure;

  constructor(failure: JsonPatchFailure, message: string) {
    super(message);
    this.name = 'JsonPatchError';
    this.failure = failure;
  }
}

type Json = unknown;
type JsonObject = { [key: string]: Json };

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const malformed = (message: string) => new JsonPatchError('malformed', message);
const notApplied = (message: string) => new JsonPatchError('apply', message);

/** RFC 6901 pointer tokens. */
function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw notApplied(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** An array index as json-patch reads it (negative indices count from the end). */
function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (!/^-?\d+$/.test(token)) throw notApplied(`invalid array index: ${token}`);
  let i = Number.parseInt(token, 10);
  if (i < 0) i += length;
  const max = forInsert ? length : length - 1;
  if (i < 0 || i > max) throw notApplied(`index out of range: ${token}`);
  return i;
}

/** The container of the pointer's last token, and that token. */
function parentOf(doc: Json, pointer: string, op: string): { parent: JsonObject | Json[]; key: string } {
  const tokens = pointerTokens(pointer);
  const key = tokens.pop();
  if (key === undefined) throw notApplied(`${op} operation does not apply: the root cannot be the target`);
  const missing = () => notApplied(`${op} operation does not apply: doc is missing path: ${pointer}: missing value`);
  let node: Json = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw missing();
  }
  if (!Array.isArray(node) && !isObject(node)) throw missing();
  return { parent: node, key };
}

function getAt(doc: Json, pointer: string, op: string): Json {
  if (pointer === '') return doc;
  const { parent, key } = parentOf(doc, pointer, op);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)];
  if (Object.hasOwn(parent, key)) return parent[key];
  throw notApplied(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`);
}

function removeAt(doc: Json, pointer: string, op: string): Json {
  const { parent, key } = parentOf(doc, pointer, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(key, parent.length, false), 1)[0];
  if (Object.hasOwn(parent, key)) {
    const value = parent[key];
    delete parent[key];
    return value;
  }
  throw notApplied(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`);
}

function addAt(doc: Json, pointer: string, value: Json, op: string): void {
  const { parent, key } = parentOf(doc, pointer, op);
  if (Array.isArray(parent)) {
    parent.splice(key === '-' ? parent.length : arrayIndex(key, parent.length, true), 0, value);
  } else {
    // defineProperty: a key such as "__proto__" is data, never the prototype.
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

/**
 * `doc` with the operations of `patch` applied, all or nothing: `doc` itself is never modified, and
 * a failing operation throws a JsonPatchError.
 */
export function applyJsonPatch(doc: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw malformed('a JSON patch must be an array of operations');
  let result = structuredClone(doc);
  for (const operation of patch) {
    if (!isObject(operation)) throw malformed('a JSON patch operation must be an object');
    const op = operation.op;
    const target = operation.path;
    if (typeof op !== 'string') throw malformed('operation missing op field');
    if (typeof target !== 'string') throw malformed(`${op} operation missing path field`);
    const value = structuredClone(operation.value ?? null);
    switch (op) {
      case 'add':
      case 'replace':
        if (!Object.hasOwn(operation, 'value')) throw malformed(`${op} operation missing value field`);
        if (target === '') {
          result = value;
          break;
        }
        if (op === 'replace') removeAt(result, target, op);
        addAt(result, target, value, op);
        break;
      case 'remove':
        removeAt(result, target, op);
        break;
      case 'move':
      case 'copy': {
        const from = operation.from;
        if (typeof from !== 'string') throw malformed(`${op} operation missing from field`);
        const moved = op === 'move' ? removeAt(result, from, op) : structuredClone(getAt(result, from, op));
        addAt(result, target, moved, op);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(result, target, op)) !== JSON.stringify(operation.value ?? null)) {
          throw new JsonPatchError('test', `testing value ${target} failed: test failed`);
        }
        break;
      default:
        throw malformed(`Unexpected kind: ${op}`);
    }
  }
  return result;
}
