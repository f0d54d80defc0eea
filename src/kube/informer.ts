// A typed informer: client-node's ListWatch (list, then watch from the list's resourceVersion) kept
// alive the way client-go keeps its reflectors alive. client-node stops an informer on the first
// error; this one restarts it with back-off, resumes from the last resourceVersion it saw, and
// periodically replays its cache (resync) so controllers re-check objects nothing changed.
import {
  type KubeConfig,
  KubernetesObjectApi,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import { matchesSelector, type Selector, selectorString } from './label-selector.ts';
import { controllerNameOfKind } from './owner.ts';
import { type BackoffOptions, backoffDelay, type WorkQueue } from './work-queue.ts';

/** The API resource an informer watches. */
export interface ResourceRef {
  /** `v1`, `postgresql.cnpg.io/v1`... */
  apiVersion: string;
  kind: string;
  /** The URL name (`pods`, `clusters`). */
  plural: string;
}

export interface InformerOptions {
  kubeConfig: KubeConfig;
  resource: ResourceRef;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  /** Only objects matching this selector are listed, watched and cached. */
  labelSelector?: Selector;
  /** Replay the whole cache to the handlers this often (0 or absent: never). */
  resyncMs?: number;
  /** Delays between restarts after errors (default 1 s doubling to 30 s). */
  restartBackoff?: BackoffOptions;
  logger?: Logger;
}

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, obj: T) => void;

const DEFAULT_RESTART_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000 };

/** The work-queue key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const { name = '', namespace } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : name;
}

/** The namespace and name a key stands for. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Maps an event's object to the keys to reconcile. */
export type KeyMapper<T> = (obj: T) => string[];

/** The object's own key (for the informer of the reconciled kind). */
export const ownKey: KeyMapper<KubernetesObject> = (obj) => [objectKey(obj)];

/** The key of the object's controller when it is of the given kind and group (for owned objects). */
export function controllerKey(kind: string, group: string): KeyMapper<KubernetesObject> {
  return (obj) => {
    const owner = controllerNameOfKind(obj, kind, group);
    if (owner === undefined) return [];
    const namespace = obj.metadata?.namespace;
    return [namespace ? `${namespace}/${owner}` : owner];
  };
}

/** The collection URL of a resource, for the watch. */
export function resourcePath(resource: ResourceRef, namespace?: string): string {
  const base = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${resource.plural}` : `${base}/${resource.plural}`;
}

export class Informer<T extends KubernetesObject> {
  readonly resource: ResourceRef;
  readonly #opts: InformerOptions;
  readonly #listWatch: ListWatch<T>;
  readonly #handlers = new Set<InformerHandler<T>>();
  readonly #log: Logger | undefined;
  #running = false;
  #synced = false;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #syncWaiters: (() => void)[] = [];

  constructor(opts: InformerOptions) {
    this.#opts = opts;
    this.resource = opts.resource;
    this.#log = opts.logger?.child({ informer: opts.resource.kind, namespace: opts.namespace ?? '*' });
    const api = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
    const selector = opts.labelSelector === undefined ? undefined : selectorString(opts.labelSelector);
    const list = () =>
      api.list<T>(
        opts.resource.apiVersion,
        opts.resource.kind,
        opts.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        selector,
      ) as Promise<KubernetesListObject<T>>;
    this.#listWatch = new ListWatch<T>(
      resourcePath(opts.resource, opts.namespace),
      new Watch(opts.kubeConfig),
      list,
      false,
      selector,
    );
    this.#listWatch.on('add', (obj) => this.#emit('add', obj));
    this.#listWatch.on('update', (obj) => this.#emit('update', obj));
    this.#listWatch.on('delete', (obj) => this.#emit('delete', obj));
    this.#listWatch.on('error', (err) => this.#onError(err));
  }

  /** Register a handler; returns its removal. */
  on(handler: InformerHandler<T>): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Queue the keys `mapper` derives from every event (own key, owner key...). */
  enqueueTo(queue: WorkQueue, mapper: KeyMapper<T>): () => void {
    return this.on((_event, obj) => {
      for (const key of mapper(obj)) queue.add(key);
    });
  }

  /** Start listing and watching; resolves once the cache holds the first complete list. */
  async start(): Promise<void> {
    if (this.#running) return this.waitForSync();
    this.#running = true;
    const resync = this.#opts.resyncMs ?? 0;
    if (resync > 0) this.#resyncTimer = setInterval(() => this.#resync(), resync);
    void this.#run();
    return this.waitForSync();
  }

  /** Resolves when the cache is synced (rejects after `timeoutMs` if given). */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#syncWaiters.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#syncWaiters = this.#syncWaiters.filter((w) => w !== done);
          reject(new Error(`the ${this.resource.kind} informer did not sync within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#resyncTimer);
    await this.#listWatch.stop();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#listWatch.get(name, namespace);
  }

  /** Cached objects, optionally of one namespace and matching a selector. */
  list(filter: { namespace?: string; selector?: Selector } = {}): T[] {
    const all = this.#listWatch.list(filter.namespace);
    const selector = filter.selector;
    return selector === undefined ? [...all] : all.filter((o) => matchesSelector(o.metadata?.labels, selector));
  }

  async #run(): Promise<void> {
    const failuresBefore = this.#failures;
    try {
      await this.#listWatch.start();
    } catch (err) {
      this.#onError(err);
      return;
    }
    // start() reports list and watch failures through the error callback, not by rejecting.
    if (this.#failures !== failuresBefore || !this.#running) return;
    this.#failures = 0;
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of this.#syncWaiters.splice(0)) waiter();
    }
  }

  #onError(err: unknown): void {
    if (!this.#running) return;
    const delay = backoffDelay(this.#failures, this.#opts.restartBackoff ?? DEFAULT_RESTART_BACKOFF);
    this.#failures++;
    this.#log?.warn({ err, retryInMs: delay }, 'list/watch failed, restarting the informer');
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => void this.#run(), delay);
  }

  #resync(): void {
    for (const obj of this.#listWatch.list()) this.#emit('update', obj);
  }

  #emit(event: InformerEvent, obj: T): void {
    for (const handler of this.#handlers) {
      try {
        handler(event, obj);
      } catch (err) {
        this.#log?.error({ err, event, key: objectKey(obj) }, 'informer handler failed');
      }
    }
  }
}
