// The API machinery behind the REST endpoints: create, update, patch, delete of every resource
// type with upstream's semantics (uid, generation, resourceVersion and optimistic concurrency,
// generateName, status and scale subresources, finalizers and deletionTimestamp, admission).
// Controllers inside the server (garbage collection, namespaces) use it as the admin would.
import { serviceAddressPrefix } from '../address-block.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { kindDefinition } from '../../api/v1/kinds.ts';
import { GROUP as CNPG_GROUP } from '../../api/v1/kind-definition.ts';
import { validateObjectMeta } from '../../api/v1/object-meta.ts';
import { deepEqual } from '../../api/v1/schema-kit.ts';
import { fieldErr } from '../../api/v1/field-error.ts';
import type { TokenAuthority } from './auth.ts';
import { admitBuiltin } from './builtin-admission.ts';
import { admitCustom, type FieldValidation } from './custom-admission.ts';
import { ApiError, apiErrors } from './errors.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import {
  apiVersionOf,
  CRD_RESOURCE,
  ResourceRegistry,
  type ResourceType,
  resourceKey,
  typesFromCrd,
} from './resources.ts';
import {
  fromLabelSelectorObject,
  type LabelSelector,
  labelSelectorString,
  matchLabels,
} from '../../kube/label-selector.ts';
import { type FieldSelector, matchFields } from './selectors.ts';
import type { Json, KubeObject, ObjectStore } from './storage.ts';

export type PatchType = 'merge' | 'json' | 'strategic';
export type Subresource = '' | 'status' | 'scale';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
}

export interface DeleteResult {
  object: KubeObject;
  /** Whether the object is gone (false: it is terminating, waiting for finalizers or its pod's end). */
  finished: boolean;
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const SA_TOKEN_SECRET = 'kubernetes.io/service-account-token';
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
const NAMESPACES = '/namespaces';

export const nowTimestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  const bytes = randomBytes(5);
  return [...bytes].map((b) => NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length]).join('');
}

/** The object without what does not make its "spec": metadata, and status when it is a subresource. */
function specPart(rt: ResourceType, o: KubeObject): Json {
  const { metadata: _m, status: _s, ...rest } = o;
  return rt.status ? rest : { ...rest, status: o.status };
}

function getPath(o: unknown, path: string): unknown {
  let cur = o;
  for (const p of path.replace(/^\./, '').split('.')) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

function setPath(o: Json, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Json;
  }
  cur[parts[parts.length - 1] ?? ''] = value;
}

export class ApiCore {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly tokens: TokenAuthority;
  /** The CA clients must trust, published in every namespace as upstream does. */
  readonly caCertPem: string;

  /** Where Service clusterIPs come from: this runtime's block of 127.1.0.0/16. */
  readonly #servicePrefix: string;

  constructor(store: ObjectStore, tokens: TokenAuthority, caCertPem: string, addressBlock: number) {
    this.#servicePrefix = serviceAddressPrefix(addressBlock);
    this.store = store;
    this.tokens = tokens;
    this.caCertPem = caCertPem;
    this.refreshCustomTypes();
  }

  /** The namespaces and roles a fresh cluster has. */
  bootstrap(): void {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (this.store.get(NAMESPACES, undefined, name) === undefined) {
        this.create(this.type(NAMESPACES), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      }
    }
    const clusterRoles = this.type('rbac.authorization.k8s.io/clusterroles');
    if (this.store.get(resourceKey(clusterRoles), undefined, 'cluster-admin') === undefined) {
      this.create(clusterRoles, undefined, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
        rules: [
          { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
          { nonResourceURLs: ['*'], verbs: ['*'] },
        ],
      });
    }
  }

  type(key: string): ResourceType {
    const rt = this.registry.byKey(key);
    if (rt === undefined) throw apiErrors.internal(`unknown resource ${key}`);
    return rt;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(resourceKey(rt), rt.namespaced ? namespace : undefined, name);
    if (o === undefined) throw apiErrors.notFound(rt, name);
    return this.present(rt, o);
  }

  list(rt: ResourceType, namespace: string | undefined, labels?: LabelSelector, fields?: FieldSelector): KubeObject[] {
    return this.store
      .list(resourceKey(rt), rt.namespaced ? namespace : undefined)
      .filter(
        (o) =>
          (labels === undefined || matchLabels(labels, o.metadata.labels)) &&
          (fields === undefined || matchFields(fields, o)),
      )
      .sort(
        (a, b) =>
          (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name),
      )
      .map((o) => this.present(rt, o));
  }

  /** An object as served at `rt`'s version (custom resources are stored once for all versions). */
  present(rt: ResourceType, o: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(rt);
    return o.apiVersion === apiVersion ? o : { ...o, apiVersion };
  }

  create(rt: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    const obj = this.checkBody(rt, body);
    const meta = obj.metadata as unknown as Json;
    if (rt.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw apiErrors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
      this.checkNamespaceOpen(namespace ?? '');
    } else {
      delete meta.namespace;
    }
    if (
      (meta.name === undefined || meta.name === '') &&
      typeof meta.generateName === 'string' &&
      meta.generateName !== ''
    ) {
      let candidate: string;
      do candidate = `${meta.generateName}${randomSuffix()}`;
      while (this.store.get(resourceKey(rt), obj.metadata.namespace, candidate) !== undefined);
      meta.name = candidate;
    }
    if (typeof meta.name !== 'string' || meta.name === '') {
      throw apiErrors.invalid(rt, '', [fieldErr.required('metadata.name', 'name or generateName is required')]);
    }
    if (this.store.get(resourceKey(rt), obj.metadata.namespace, obj.metadata.name) !== undefined) {
      throw apiErrors.alreadyExists(rt, obj.metadata.name);
    }
    for (const k of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'])
      delete meta[k];
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    meta.generation = 1;
    if (rt.status && rt.kind !== 'CustomResourceDefinition') delete obj.status;
    if (rt.kind === 'CustomResourceDefinition') {
      obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER])];
    }
    const { object, warnings } = this.admit(rt, obj, undefined, opts, '');
    if (rt.kind === 'Secret') this.populateServiceAccountToken(object);
    if (opts.dryRun) return { object, warnings };
    const stored = this.store.put(resourceKey(rt), object);
    this.afterWrite(rt);
    return { object: this.present(rt, stored), warnings };
  }

  update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    sub: Subresource = '',
  ): WriteResult {
    const current = this.get(rt, namespace, name);
    const obj = this.checkBody(rt, body);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw apiErrors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    return this.commitUpdate(rt, current, obj, opts, sub);
  }

  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
    sub: Subresource = '',
  ): WriteResult {
    const current = this.get(rt, namespace, name);
    const patched = this.applyPatch(rt, current, type, patch);
    if (!isObject(patched) || !isObject(patched.metadata)) throw apiErrors.badRequest('the patch left no object');
    return this.commitUpdate(rt, current, patched as KubeObject, opts, sub);
  }

  private applyPatch(rt: ResourceType, current: unknown, type: PatchType, patch: unknown): unknown {
    if (type === 'merge') return mergePatch(current, patch);
    if (type === 'json') return jsonPatch(current, patch);
    if (rt.patchMeta === undefined) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    return strategicMergePatch(current, patch, rt.patchMeta);
  }

  /** Writes `candidate` as the next version of `current` (an update, a patch, a status or scale write). */
  commitUpdate(
    rt: ResourceType,
    current: KubeObject,
    candidate: KubeObject,
    opts: WriteOptions,
    sub: Subresource,
  ): WriteResult {
    const given = candidate.metadata.resourceVersion;
    if (given !== undefined && given !== '' && given !== current.metadata.resourceVersion) {
      throw apiErrors.conflict(rt, current.metadata.name);
    }
    let next: KubeObject = structuredClone(candidate);
    if (sub === 'status') {
      next = { ...structuredClone(current), status: next.status };
    } else if (rt.status && rt.kind !== 'CustomResourceDefinition') {
      if (current.status === undefined) delete next.status;
      else next.status = structuredClone(current.status);
    } else if (rt.kind === 'CustomResourceDefinition') {
      next.status = structuredClone(current.status);
    }
    const cm = current.metadata;
    const meta: Json = { ...next.metadata };
    Object.assign(meta, {
      name: cm.name,
      uid: cm.uid,
      creationTimestamp: cm.creationTimestamp,
      generation: cm.generation ?? 1,
      resourceVersion: cm.resourceVersion,
    });
    if (cm.namespace === undefined) delete meta.namespace;
    else meta.namespace = cm.namespace;
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (cm[k] === undefined) delete meta[k];
      else meta[k] = cm[k];
    }
    delete meta.managedFields;
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    next.metadata = meta as unknown as KubeObject['metadata'];
    if (cm.deletionTimestamp !== undefined) {
      const added = (next.metadata.finalizers ?? []).filter((f) => !(cm.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw apiErrors.invalid(rt, cm.name, [
          fieldErr.forbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          ),
        ]);
      }
    }
    const admitted = this.admit(rt, next, current, opts, sub);
    next = admitted.object;
    if (!deepEqual(specPart(rt, next), specPart(rt, current))) next.metadata.generation = (cm.generation ?? 1) + 1;
    if (deepEqual(next, current)) return { object: current, warnings: admitted.warnings };
    if (opts.dryRun) return { object: next, warnings: admitted.warnings };
    const key = resourceKey(rt);
    let stored: KubeObject;
    if (
      next.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !this.awaitsPodTermination(rt, next)
    ) {
      stored = this.store.delete(key, next);
    } else {
      stored = this.store.put(key, next);
    }
    this.afterWrite(rt);
    return { object: this.present(rt, stored), warnings: admitted.warnings };
  }

  /** A terminating pod bound to a node stays until the node agent confirms its end. */
  private awaitsPodTermination(rt: ResourceType, o: KubeObject): boolean {
    return rt.kind === 'Pod' && rt.group === '' && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  private admit(
    rt: ResourceType,
    obj: KubeObject,
    old: KubeObject | undefined,
    opts: WriteOptions,
    sub: Subresource,
  ): WriteResult {
    if (rt.custom !== undefined) {
      if (old === undefined && rt.custom.cnpg === undefined) {
        const errors = validateObjectMeta(obj, rt.namespaced);
        if (errors.length > 0) throw apiErrors.invalid(rt, obj.metadata.name, errors);
      }
      // Our webhooks, like upstream's, only see writes of the main resource.
      const viaWebhooks = sub === '' && rt.custom.cnpg !== undefined;
      const custom = viaWebhooks
        ? rt
        : { ...rt, custom: { ...rt.custom, cnpg: undefined, schema: rt.custom.cnpg?.schema ?? rt.custom.schema } };
      const result = admitCustom(
        custom as ResourceType,
        obj,
        old,
        opts.fieldValidation ?? 'Warn',
        rt.custom.cnpg !== undefined,
      );
      return result;
    }
    const errors = admitBuiltin(rt, obj, old, { allocateClusterIP: () => this.allocateClusterIP() });
    if (errors.length > 0) throw apiErrors.invalid(rt, obj.metadata.name, errors);
    return { object: obj, warnings: [] };
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const current = this.get(rt, namespace, name);
    const cm = current.metadata;
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cm.uid) {
      throw apiErrors.conflict(
        rt,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cm.uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cm.resourceVersion) {
      throw apiErrors.conflict(
        rt,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cm.resourceVersion}`,
      );
    }
    if (opts.dryRun) return { object: current, finished: false };
    const key = resourceKey(rt);
    const policy = opts.propagationPolicy ?? 'Background';
    if (policy === 'Orphan') this.orphanDependents(cm.uid);
    const next = structuredClone(current);
    const nm = next.metadata;
    const finalizers = [...(nm.finalizers ?? [])];
    if (
      policy === 'Foreground' &&
      this.store.dependents(cm.uid).length > 0 &&
      !finalizers.includes(FOREGROUND_FINALIZER)
    ) {
      finalizers.push(FOREGROUND_FINALIZER);
    }
    nm.finalizers = finalizers;
    if (rt.kind === 'Namespace' && rt.group === '') {
      nm.finalizers = cm.finalizers;
      if (nm.deletionTimestamp === undefined) {
        nm.deletionTimestamp = nowTimestamp();
        nm.deletionGracePeriodSeconds = 0;
        next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
        return { object: this.store.put(key, next), finished: false };
      }
      return { object: current, finished: false };
    }
    const grace = this.podGracePeriod(rt, current, opts.gracePeriodSeconds);
    if (grace > 0) {
      const deadline = Date.now() + grace * 1000;
      const currentDeadline =
        cm.deletionTimestamp === undefined ? Number.POSITIVE_INFINITY : Date.parse(cm.deletionTimestamp);
      if (deadline >= currentDeadline && deepEqual(nm.finalizers, cm.finalizers ?? []))
        return { object: current, finished: false };
      nm.deletionTimestamp = new Date(Math.min(deadline, currentDeadline)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      nm.deletionGracePeriodSeconds = grace;
      nm.generation = (cm.generation ?? 1) + 1;
      return { object: this.present(rt, this.store.put(key, next)), finished: false };
    }
    if (finalizers.length > 0) {
      if (cm.deletionTimestamp !== undefined && deepEqual(finalizers, cm.finalizers ?? [])) {
        if ((cm.deletionGracePeriodSeconds ?? 0) === 0) return { object: current, finished: false };
      }
      nm.deletionTimestamp = cm.deletionTimestamp ?? nowTimestamp();
      nm.deletionGracePeriodSeconds = 0;
      if (cm.deletionTimestamp === undefined) nm.generation = (cm.generation ?? 1) + 1;
      const stored = this.store.put(key, next);
      this.afterWrite(rt);
      return { object: this.present(rt, stored), finished: false };
    }
    const gone = this.store.delete(key, current);
    this.afterWrite(rt);
    return { object: this.present(rt, gone), finished: true };
  }

  /** Seconds a pod on a node gets to stop (0: remove it now). Pods no node runs go at once. */
  private podGracePeriod(rt: ResourceType, pod: KubeObject, requested: number | undefined): number {
    if (rt.kind !== 'Pod' || rt.group !== '') return 0;
    const spec = isObject(pod.spec) ? pod.spec : {};
    const phase = isObject(pod.status) ? pod.status.phase : undefined;
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '' || phase === 'Succeeded' || phase === 'Failed')
      return 0;
    const grace =
      requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    return Math.max(0, grace);
  }

  private orphanDependents(uid: string): void {
    for (const dep of this.store.dependents(uid)) {
      const rt = this.registry.byKey(dep.resource);
      if (rt === undefined) continue;
      const next = structuredClone(dep.object);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.commitUpdate(rt, dep.object, next, {}, '');
    }
  }

  scaleOf(rt: ResourceType, o: KubeObject): KubeObject {
    const scale = rt.scale;
    if (scale === undefined) throw apiErrors.pathNotFound();
    let selector: unknown;
    if (rt.kind === 'Deployment' && rt.group === 'apps') {
      selector = labelSelectorString(fromLabelSelectorObject(getPath(o, '.spec.selector')));
    } else if (scale.labelSelectorPath !== undefined) {
      selector = getPath(o, scale.labelSelectorPath);
    }
    const status: Json = { replicas: Number(getPath(o, scale.statusReplicasPath) ?? 0) };
    if (typeof selector === 'string' && selector !== '') status.selector = selector;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: Number(getPath(o, scale.specReplicasPath) ?? 0) },
      status,
    };
  }

  updateScale(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    const scale = rt.scale;
    if (scale === undefined) throw apiErrors.pathNotFound();
    const current = this.get(rt, namespace, name);
    const replicas = isObject(body) && isObject(body.spec) ? body.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      );
    }
    const next = structuredClone(current);
    const rv = isObject(body) && isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    next.metadata.resourceVersion = typeof rv === 'string' && rv !== '' ? rv : current.metadata.resourceVersion;
    setPath(next, scale.specReplicasPath, replicas);
    const result = this.commitUpdate(rt, current, next, opts, 'scale');
    return { object: this.scaleOf(rt, result.object), warnings: result.warnings };
  }

  patchScale(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    const current = this.scaleOf(rt, this.get(rt, namespace, name));
    const patched = type === 'json' ? jsonPatch(current, patch) : mergePatch(current, patch);
    return this.updateScale(rt, namespace, name, patched, opts);
  }

  /** TokenRequest: a token for the ServiceAccount, valid `expirationSeconds` (default one hour). */
  requestToken(namespace: string, name: string, body: unknown): KubeObject {
    const sa = this.get(this.type('/serviceaccounts'), namespace, name);
    const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
    const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
    if (seconds < 600) {
      throw new ApiError(
        422,
        'Invalid',
        `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
      );
    }
    const expires = Date.now() + seconds * 1000;
    const token = this.tokens.issue({ namespace, name, uid: sa.metadata.uid }, { expires });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, uid: '', resourceVersion: '', creationTimestamp: nowTimestamp() },
      spec: {
        audiences: Array.isArray(spec.audiences) ? spec.audiences : [],
        expirationSeconds: seconds,
        boundObjectRef: spec.boundObjectRef ?? null,
      },
      status: { token, expirationTimestamp: new Date(expires).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    };
  }

  /** pods/binding: what a scheduler does, assigning a pending pod to a node. */
  bindPod(namespace: string, name: string, body: unknown): void {
    const rt = this.type('/pods');
    const pod = this.get(rt, namespace, name);
    const target = isObject(body) && isObject(body.target) ? body.target.name : undefined;
    if (typeof target !== 'string' || target === '') throw apiErrors.badRequest('binding target name is required');
    const spec = isObject(pod.spec) ? pod.spec : {};
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      throw apiErrors.conflict(rt, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    }
    const next = structuredClone(pod);
    (next.spec as Json).nodeName = target;
    this.commitUpdate(rt, pod, next, {}, '');
  }

  /** A `kubernetes.io/service-account-token` Secret gets its account's token, CA and namespace. */
  private populateServiceAccountToken(secret: KubeObject): void {
    if (secret.type !== SA_TOKEN_SECRET) return;
    const saName = secret.metadata.annotations?.[SA_NAME_ANNOTATION];
    const ns = secret.metadata.namespace ?? '';
    const sa = saName === undefined ? undefined : this.store.get('/serviceaccounts', ns, saName);
    if (sa === undefined || saName === undefined) {
      throw apiErrors.invalid(this.type('/secrets'), secret.metadata.name, [
        fieldErr.notFound(`metadata.annotations[${SA_NAME_ANNOTATION}]`, saName ?? ''),
      ]);
    }
    const token = this.tokens.issue(
      { namespace: ns, name: saName, uid: sa.metadata.uid },
      { secret: secret.metadata.name },
    );
    secret.metadata.annotations = { ...secret.metadata.annotations, [SA_UID_ANNOTATION]: sa.metadata.uid };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    secret.data = {
      ...(isObject(secret.data) ? secret.data : {}),
      token: b64(token),
      'ca.crt': b64(this.caCertPem),
      namespace: b64(ns),
    };
  }

  private checkBody(rt: ResourceType, body: unknown): KubeObject {
    if (!isObject(body)) throw apiErrors.badRequest('the request body must be a JSON or YAML object');
    const obj = structuredClone(body);
    const apiVersion = apiVersionOf(rt);
    const givenVersion = obj.apiVersion;
    if (
      givenVersion !== undefined &&
      givenVersion !== apiVersion &&
      !(rt.custom !== undefined && typeof givenVersion === 'string' && givenVersion.startsWith(`${rt.group}/`))
    ) {
      throw apiErrors.badRequest(
        `the API version in the data (${String(givenVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw apiErrors.badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`,
      );
    }
    obj.apiVersion = apiVersion;
    obj.kind = rt.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isObject(obj.metadata)) throw apiErrors.badRequest('metadata must be an object');
    return obj as KubeObject;
  }

  private checkNamespaceOpen(namespace: string): void {
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (ns === undefined) throw apiErrors.notFound(this.type(NAMESPACES), namespace);
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw apiErrors.forbidden(
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: namespace,
          kind: 'namespaces',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private allocateClusterIP(): string {
    const used = new Set(this.store.list('/services').map((s) => (isObject(s.spec) ? s.spec.clusterIP : undefined)));
    for (let i = 1; i < 255; i++) {
      const ip = `${this.#servicePrefix}${i}`;
      if (!used.has(ip)) return ip;
    }
    throw apiErrors.internal(`the service address range ${this.#servicePrefix}0/24 is full`);
  }

  private afterWrite(rt: ResourceType): void {
    if (resourceKey(rt) === CRD_RESOURCE) this.refreshCustomTypes();
  }

  /** Serves (or stops serving) the resources of the CRDs as they are now. */
  refreshCustomTypes(): void {
    const cnpg = (group: string, kind: string) => (group === CNPG_GROUP ? kindDefinition(kind) : undefined);
    this.registry.setCustom(this.store.list(CRD_RESOURCE).flatMap((crd) => typesFromCrd(crd, cnpg)));
  }
}
