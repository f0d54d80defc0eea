// The control loops the API server itself runs (kube-controller-manager's share that every client
// relies on): garbage collection through ownerReferences (background, foreground, dangling
// references), namespace termination, CRD instance cleanup, and each namespace's `default`
// ServiceAccount and `kube-root-ca.crt` ConfigMap. They react to committed events and act through the API core, as the admin.
// Events (core/v1) expire an hour (`eventTtlMs`) after they were last written, as with kube-apiserver's
// --event-ttl.
import type { Logger } from '../../log/logger.ts';
import { type ApiCore, CRD_CLEANUP_FINALIZER, FOREGROUND_FINALIZER } from './core.ts';
import { ApiError } from './errors.ts';
import { CRD_RESOURCE, resourceKey, typesFromCrd } from './resources.ts';
import type { KubeObject, StoreEvent } from './storage.ts';

const NAMESPACES = '/namespaces';
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const TOKEN_SWEEP_MS = 60_000;
const EVENTS = '/events';
/** kube-apiserver's default --event-ttl. */
const EVENT_TTL_MS = 3_600_000;

type Task = () => void;

export class ServerControllers {
  private readonly core: ApiCore;
  private readonly log: Logger;
  private readonly queue: Task[] = [];
  private scheduled = false;
  private stopped = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly eventSweeper: NodeJS.Timeout;
  private readonly eventTtlMs: number;

  constructor(core: ApiCore, log: Logger, eventTtlMs = EVENT_TTL_MS) {
    this.core = core;
    this.log = log;
    this.eventTtlMs = eventTtlMs;
    core.store.onCommit((events) => this.observe(events));
    // Expired TokenRequest tokens are forgotten even when no account changes.
    this.sweeper = setInterval(() => this.enqueue(() => this.core.tokens.sweep()), TOKEN_SWEEP_MS);
    this.sweeper.unref();
    this.eventSweeper = setInterval(
      () => this.enqueue(() => this.expireEvents()),
      Math.min(TOKEN_SWEEP_MS, eventTtlMs),
    );
    this.eventSweeper.unref();
  }

  /** Catches up with what happened while the server was down. */
  resync(): void {
    const { store } = this.core;
    for (const resource of store.resources()) {
      for (const o of store.list(resource)) {
        this.enqueue(() => this.checkOwners(resource, o.metadata.namespace, o.metadata.name));
        if (o.metadata.deletionTimestamp !== undefined) this.enqueue(() => this.terminating(resource, o));
      }
    }
    for (const ns of store.list(NAMESPACES)) this.enqueue(() => this.ensureNamespaceDefaults(ns.metadata.name));
    this.enqueue(() => this.expireEvents());
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sweeper);
    clearInterval(this.eventSweeper);
  }

  private observe(events: StoreEvent[]): void {
    for (const e of events) {
      const o = e.object;
      if (e.type === 'DELETED') {
        this.enqueue(() => this.ownerGone(o.metadata.uid));
        for (const ref of o.metadata.ownerReferences ?? []) {
          const owner = this.core.store.findUid(ref.uid);
          if (owner?.object.metadata.deletionTimestamp !== undefined)
            this.enqueue(() => this.terminating(owner.resource, owner.object));
        }
        const defaultObject =
          (e.resource === '/serviceaccounts' && o.metadata.name === 'default') ||
          (e.resource === '/configmaps' && o.metadata.name === ROOT_CA_CONFIGMAP);
        if (defaultObject && o.metadata.namespace !== undefined) {
          const namespace = o.metadata.namespace;
          this.enqueue(() => this.ensureNamespaceDefaults(namespace));
        }
        if (o.metadata.namespace !== undefined) {
          const ns = this.core.store.get(NAMESPACES, undefined, o.metadata.namespace);
          if (ns?.metadata.deletionTimestamp !== undefined) this.enqueue(() => this.finishNamespace(ns.metadata.name));
        }
        const crd = this.crdOf(e.resource);
        if (crd?.metadata.deletionTimestamp !== undefined) this.enqueue(() => this.terminating(CRD_RESOURCE, crd));
        continue;
      }
      if (o.metadata.deletionTimestamp !== undefined) this.enqueue(() => this.terminating(e.resource, o));
      if (e.type === 'ADDED' && (o.metadata.ownerReferences ?? []).length > 0) {
        this.enqueue(() => this.checkOwners(e.resource, o.metadata.namespace, o.metadata.name));
      }
      if (e.type === 'ADDED' && e.resource === NAMESPACES)
        this.enqueue(() => this.ensureNamespaceDefaults(o.metadata.name));
      if (e.resource === '/serviceaccounts' || e.resource === '/secrets') this.enqueue(() => this.core.tokens.sweep());
    }
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    while (!this.stopped) {
      const task = this.queue.shift();
      if (task === undefined) return;
      try {
        task();
      } catch (err) {
        // A conflict or a vanished object means a newer event will bring this work back.
        if (err instanceof ApiError && (err.code === 404 || err.code === 409)) continue;
        this.log.error({ err }, 'server controller task failed');
      }
    }
  }

  /** Deletes the Events not written for the TTL (a count bump renews an Event's time). */
  private expireEvents(): void {
    const now = Date.now();
    const rt = this.core.registry.byKey(EVENTS);
    if (rt === undefined) return;
    for (const e of this.core.store.list(EVENTS)) {
      if (now - lastWritten(e) < this.eventTtlMs) continue;
      try {
        this.core.delete(rt, e.metadata.namespace, e.metadata.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  }

  private crdOf(resource: string): KubeObject | undefined {
    return this.core.store
      .list(CRD_RESOURCE)
      .find((crd) => typesFromCrd(crd, () => undefined).some((t) => resourceKey(t) === resource));
  }

  /** An owner is gone: its dependents lose the reference, and go too when it was their last owner. */
  private ownerGone(uid: string): void {
    for (const dep of this.core.store.dependents(uid))
      this.checkOwners(dep.resource, dep.object.metadata.namespace, dep.object.metadata.name);
  }

  private checkOwners(resource: string, namespace: string | undefined, name: string): void {
    const { store } = this.core;
    const o = store.get(resource, namespace, name);
    const refs = o?.metadata.ownerReferences ?? [];
    if (o === undefined || refs.length === 0) return;
    const rt = this.core.registry.byKey(resource);
    if (rt === undefined) return;
    const live = refs.filter((r) => store.findUid(r.uid) !== undefined);
    if (live.length === refs.length) return;
    if (live.length === 0) {
      if (o.metadata.deletionTimestamp === undefined) {
        this.log.debug({ resource, namespace, name }, 'garbage-collecting an object whose owners are gone');
        this.core.delete(rt, namespace, name, { propagationPolicy: 'Background' });
      }
      return;
    }
    const next = structuredClone(o);
    next.metadata.ownerReferences = live;
    this.core.commitUpdate(rt, o, next, {}, '');
  }

  /** An object being deleted: namespaces empty themselves, CRDs drop their instances, foreground owners their dependents. */
  private terminating(resource: string, snapshot: KubeObject): void {
    const { store } = this.core;
    const o = store.get(resource, snapshot.metadata.namespace, snapshot.metadata.name);
    if (o === undefined || o.metadata.deletionTimestamp === undefined) return;
    if (resource === NAMESPACES) {
      this.emptyNamespace(o.metadata.name);
      return;
    }
    if (resource === CRD_RESOURCE && (o.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
      const types = typesFromCrd(o, () => undefined);
      const instances =
        types.length === 0 ? [] : store.list(resourceKey(types[0] as { group: string; plural: string }));
      const rt = types[0] === undefined ? undefined : this.core.registry.byKey(resourceKey(types[0]));
      for (const i of instances) {
        if (rt !== undefined && i.metadata.deletionTimestamp === undefined)
          this.core.delete(rt, i.metadata.namespace, i.metadata.name);
      }
      if (instances.length === 0) this.removeFinalizer(resource, o, CRD_CLEANUP_FINALIZER);
      return;
    }
    if ((o.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) {
      const deps = store.dependents(o.metadata.uid);
      for (const dep of deps) {
        const rt = this.core.registry.byKey(dep.resource);
        if (rt !== undefined && dep.object.metadata.deletionTimestamp === undefined) {
          this.core.delete(rt, dep.object.metadata.namespace, dep.object.metadata.name, {
            propagationPolicy: 'Foreground',
          });
        }
      }
      if (deps.length === 0) this.removeFinalizer(resource, o, FOREGROUND_FINALIZER);
    }
  }

  private removeFinalizer(resource: string, o: KubeObject, finalizer: string): void {
    const rt = this.core.registry.byKey(resource);
    if (rt === undefined) return;
    const next = structuredClone(o);
    next.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.core.commitUpdate(rt, o, next, {}, '');
  }

  private emptyNamespace(namespace: string): void {
    const { store } = this.core;
    for (const resource of store.resources()) {
      const rt = this.core.registry.byKey(resource);
      if (rt === undefined || !rt.namespaced) continue;
      for (const o of store.list(resource, namespace)) {
        if (o.metadata.deletionTimestamp === undefined) this.core.delete(rt, namespace, o.metadata.name);
      }
    }
    this.finishNamespace(namespace);
  }

  /** A terminating namespace goes once nothing is left in it. */
  private finishNamespace(namespace: string): void {
    const { store } = this.core;
    const ns = store.get(NAMESPACES, undefined, namespace);
    if (ns?.metadata.deletionTimestamp === undefined) return;
    const left = store.resources().some((r) => store.list(r, namespace).length > 0);
    if (!left) store.delete(NAMESPACES, ns);
  }

  /** Every live namespace has a `default` ServiceAccount and the cluster CA in `kube-root-ca.crt`. */
  private ensureNamespaceDefaults(namespace: string): void {
    const { store } = this.core;
    const ns = store.get(NAMESPACES, undefined, namespace);
    if (ns === undefined || ns.metadata.deletionTimestamp !== undefined) return;
    if (store.get('/serviceaccounts', namespace, 'default') === undefined) {
      this.core.create(this.core.type('/serviceaccounts'), namespace, { metadata: { name: 'default' } });
    }
    if (store.get('/configmaps', namespace, ROOT_CA_CONFIGMAP) === undefined) {
      this.core.create(this.core.type('/configmaps'), namespace, {
        metadata: { name: ROOT_CA_CONFIGMAP },
        data: { 'ca.crt': this.core.caCertPem },
      });
    }
  }
}

/** When an Event was last written: the latest of its timestamps (a missing one counts as never). */
function lastWritten(e: KubeObject): number {
  const o = e as KubeObject & { lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string } };
  const times = [o.lastTimestamp, o.eventTime, o.series?.lastObservedTime, o.metadata.creationTimestamp];
  return Math.max(0, ...times.map((t) => (t === undefined ? 0 : Date.parse(t) || 0)));
}
