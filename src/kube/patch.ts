// Writing objects the way a controller does: create what is missing, patch only the fields the
// controller manages (so other writers' labels, annotations and owners survive), and update status
// through the status subresource with optimistic concurrency, retrying on conflicts.
import {
  ApiException,
  HttpMethod,
  type KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  PatchStrategy,
  type V1APIResourceList,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';

/** An object with the identity an API call needs. */
export type NamedObject = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
};

/** The HTTP status of a failed API call, if it was one. */
export function apiStatusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The `reason` of the Status body of a failed API call (AlreadyExists, Conflict, NotFound...). */
export function apiStatusReason(err: unknown): string | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** The `message` of the Status body of a failed API call, else the error's own message. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isNotFound = (err: unknown) => apiStatusCode(err) === 404;
export const isConflict = (err: unknown) => apiStatusCode(err) === 409 && apiStatusReason(err) !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown) =>
  apiStatusCode(err) === 409 && (apiStatusReason(err) ?? 'AlreadyExists') === 'AlreadyExists';

/**
 * KubernetesObjectApi plus the status subresource, which client-node's generic API lacks: the
 * operator updates the status of its custom resources without touching their spec.
 */
export class KubeObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): KubeObjectApi {
    const api = kc.makeApiClient(KubeObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  /** PUT the object to its `/status` subresource (the resourceVersion makes it conditional). */
  async replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.#statusRequest(obj, HttpMethod.PUT, 'application/json', obj);
  }

  /** PATCH the `/status` subresource of the object named by `obj` with a JSON merge patch. */
  async mergePatchStatus<T extends KubernetesObject>(obj: T, patch: object): Promise<T> {
    return this.#statusRequest(obj, HttpMethod.PATCH, PatchStrategy.MergePatch, patch);
  }

  /** Whether the API server serves `kind` in `apiVersion` now (discovery, uncached: CRDs come and go). */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    try {
      const list = await this.requestPromise<V1APIResourceList>(request, 'V1APIResourceList');
      return list.resources.some((r) => r.kind === kind);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async #statusRequest<T extends KubernetesObject>(
    obj: T,
    method: HttpMethod,
    contentType: string,
    body: unknown,
  ): Promise<T> {
    const path = `${await this.specUriPath(obj, 'replace')}/status`;
    const request = this.configuration.baseServer.makeRequestContext(path, method);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', contentType);
    request.setBody(JSON.stringify(body));
    return this.requestPromise<T>(request);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * The JSON merge patch that makes `current` carry every field `desired` sets: only differing fields,
 * objects merged key by key, lists replaced whole. Fields `desired` does not mention are left alone
 * (a controller patches what it owns, nothing else). undefined when nothing differs.
 */
export function mergePatchFor(current: unknown, desired: unknown): unknown {
  if (isPlainObject(desired) && isPlainObject(current)) {
    const patch: Record<string, unknown> = {};
    for (const [key, want] of Object.entries(desired)) {
      if (want === undefined) continue;
      const sub = mergePatchFor(current[key], want);
      if (sub !== undefined) patch[key] = sub;
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  return covers(current, desired) ? undefined : desired;
}

/**
 * Whether `current` already says everything `desired` says. Fields only `current` has (defaults the
 * API server filled in, such as a service port's nodePort) do not count as differences, also inside
 * lists, so a controller does not patch the same object forever.
 */
export function covers(current: unknown, desired: unknown): boolean {
  const have = normalize(current);
  const want = normalize(desired);
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  }
  if (isPlainObject(want)) {
    return isPlainObject(have) && Object.entries(want).every(([k, w]) => w === undefined || covers(have[k], w));
  }
  return isDeepStrictEqual(have, want);
}

/** Plain JSON, dates as the API server writes them, so typed objects read back compare with built ones. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().replace(/\.\d+Z$/, 'Z');
  return typeof v === 'object' && v !== null ? JSON.parse(JSON.stringify(v)) : v;
}

/** Desired owner references merged into the current ones by uid, keeping other owners. */
function mergedOwnerReferences(current: V1ObjectMeta, desired: V1ObjectMeta): V1ObjectMeta['ownerReferences'] {
  if (desired.ownerReferences === undefined) return undefined;
  const wanted = new Set(desired.ownerReferences.map((r) => r.uid));
  const wantsController = desired.ownerReferences.some((r) => r.controller);
  const kept = (current.ownerReferences ?? [])
    .filter((r) => !wanted.has(r.uid))
    .map((r) => (wantsController && r.controller ? { ...r, controller: false } : r));
  return [...kept, ...desired.ownerReferences];
}

/** What of `desired` a patch may set: its managed metadata and everything but identity and status. */
function patchableView(current: NamedObject, desired: NamedObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...rest } = desired as NamedObject & { status?: unknown };
  const meta: Record<string, unknown> = {};
  if (metadata.labels !== undefined) meta.labels = metadata.labels;
  if (metadata.annotations !== undefined) meta.annotations = metadata.annotations;
  if (metadata.finalizers !== undefined) meta.finalizers = metadata.finalizers;
  const owners = mergedOwnerReferences(current.metadata, metadata);
  if (owners !== undefined) meta.ownerReferences = owners;
  return { metadata: meta, ...rest };
}

export type WriteOutcome = 'created' | 'patched' | 'unchanged';

export interface CreateOrPatchOptions {
  fieldManager?: string;
  /** Merge patch (the default, right for CRs and for fields set whole) or strategic merge (built-ins). */
  strategy?: typeof PatchStrategy.MergePatch | typeof PatchStrategy.StrategicMergePatch;
}

/**
 * Create `desired`, or patch the existing object so it carries every field `desired` sets. A create
 * racing with another writer falls back to a patch.
 */
export async function createOrPatch<T extends NamedObject>(
  api: KubernetesObjectApi,
  desired: T,
  opts: CreateOrPatchOptions = {},
): Promise<{ object: T; outcome: WriteOutcome }> {
  let current: T;
  try {
    current = await api.read<T>(identity(desired));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      return { object: await api.create<T>(desired, undefined, undefined, opts.fieldManager), outcome: 'created' };
    } catch (createErr) {
      if (!isAlreadyExists(createErr)) throw createErr;
      current = await api.read<T>(identity(desired));
    }
  }
  return patchToDesired(api, current, desired, opts);
}

/** Patch `current` towards `desired` (see createOrPatch); no request when nothing differs. */
export async function patchToDesired<T extends NamedObject>(
  api: KubernetesObjectApi,
  current: T,
  desired: T,
  opts: CreateOrPatchOptions = {},
): Promise<{ object: T; outcome: WriteOutcome }> {
  const patch = mergePatchFor(current, patchableView(current, desired));
  if (patch === undefined) return { object: current, outcome: 'unchanged' };
  const { metadata, ...fields } = patch as { metadata?: V1ObjectMeta };
  const id = identity(desired);
  const body = { ...fields, ...id, metadata: { ...metadata, ...id.metadata } } as T;
  const object = await api.patch<T>(
    body,
    undefined,
    undefined,
    opts.fieldManager,
    undefined,
    opts.strategy ?? PatchStrategy.MergePatch,
  );
  return { object, outcome: 'patched' };
}

/** The identity of an object: enough for read, delete and the URL of a patch. */
export function identity<T extends NamedObject>(obj: T): NamedObject {
  const { name, namespace } = obj.metadata;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: namespace === undefined ? { name } : { name, namespace },
  };
}

export interface StatusUpdateOptions {
  /** Attempts before giving up on conflicts (default 5). */
  attempts?: number;
}

/**
 * Read the object, compute its new status with `mutate` (given a copy; return undefined to leave it),
 * and write it to the status subresource conditioned on the resourceVersion read; on a 409 conflict,
 * read again and retry. Returns the object as stored.
 */
export async function updateStatus<T extends NamedObject & { status?: unknown }>(
  api: KubeObjectApi,
  ref: NamedObject,
  mutate: (current: T) => T['status'] | undefined,
  opts: StatusUpdateOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const current = await api.read<T>(identity(ref));
    const status = mutate(structuredClone(current));
    if (status === undefined || isDeepStrictEqual(normalize(status), normalize(current.status))) return current;
    try {
      return await api.replaceStatus<T>({ ...current, status });
    } catch (err) {
      if (!isConflict(err) || attempt >= attempts) throw err;
    }
  }
}

/**
 * The JSON merge patch that turns `current` into exactly `desired`: fields only `current` has are
 * removed (null), objects are diffed key by key, anything else is set whole. undefined when equal.
 */
export function replacingMergePatch(current: unknown, desired: unknown): unknown {
  if (!isPlainObject(desired) || !isPlainObject(current))
    return covers(current, desired) && covers(desired, current) ? undefined : desired;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(current)) if (!(key in desired) || desired[key] === undefined) patch[key] = null;
  for (const [key, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    const sub = replacingMergePatch(current[key], want);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
