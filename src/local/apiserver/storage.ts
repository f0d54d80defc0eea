// Durable object storage for the local API server: SQLite (node:sqlite, WAL journal,
// synchronous=FULL) under the data directory, with every object also held in memory for reads.
// Writes are grouped: all the writes of one event-loop turn commit in one transaction, and no
// write is acknowledged (nor shown to watchers) before its transaction is on disk, so every
// acknowledged write survives a kill -9.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export type Json = Record<string, unknown>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  generateName?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject extends Json {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** The resource key (`group/plural`) of the object. */
  resource: string;
  rv: number;
  object: KubeObject;
  /** The previous state, for MODIFIED: a selector may have stopped (or started) matching. */
  old?: KubeObject;
}

interface PendingWrite {
  event: StoreEvent;
}

interface Batch {
  writes: PendingWrite[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export interface Located {
  resource: string;
  object: KubeObject;
}

export class ObjectStore {
  private readonly db: DatabaseSync;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;
  private readonly setKv: StatementSync;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly byUid = new Map<string, Located>();
  /** owner uid -> dependents' `resource|namespace/name`. */
  private readonly dependentsOf = new Map<string, Set<string>>();
  private rv: number;
  private batch: Batch | undefined;
  private failure: Error | undefined;
  private readonly listeners: ((events: StoreEvent[]) => void)[] = [];

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new DatabaseSync(join(dataDir, 'store.db'));
    this.db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
    this.db.exec(`CREATE TABLE IF NOT EXISTS objects (
      resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID`);
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    this.upsert = this.db.prepare(
      'INSERT OR REPLACE INTO objects (resource, namespace, name, body) VALUES (?, ?, ?, ?)',
    );
    this.remove = this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?');
    this.setKv = this.db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
    this.rv = Number(this.getKv('rv') ?? '0');
    const rows = this.db.prepare('SELECT resource, body FROM objects').all() as { resource: string; body: string }[];
    for (const row of rows) this.index(row.resource, JSON.parse(row.body) as KubeObject, undefined);
  }

  getKv(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** A small setting (tokens, the last port): written and synced at once. */
  putKv(key: string, value: string): void {
    this.setKv.run(key, value);
  }

  deleteKv(key: string): void {
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }

  kvWithPrefix(prefix: string): [string, string][] {
    const rows = this.db
      .prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ?')
      .all(prefix, `${prefix}\uffff`) as {
      key: string;
      value: string;
    }[];
    return rows.map((r) => [r.key, r.value]);
  }

  /** The latest resourceVersion handed out. */
  currentRv(): number {
    return this.rv;
  }

  onCommit(listener: (events: StoreEvent[]) => void): void {
    this.listeners.push(listener);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const all = this.objects.get(resource);
    if (all === undefined) return [];
    const out: KubeObject[] = [];
    for (const o of all.values()) if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    return out;
  }

  resources(): string[] {
    return [...this.objects.keys()];
  }

  findUid(uid: string): Located | undefined {
    return this.byUid.get(uid);
  }

  dependents(ownerUid: string): Located[] {
    const out: Located[] = [];
    for (const ref of this.dependentsOf.get(ownerUid) ?? []) {
      const bar = ref.indexOf('|');
      const resource = ref.slice(0, bar);
      const o = this.objects.get(resource)?.get(ref.slice(bar + 1));
      if (o !== undefined) out.push({ resource, object: o });
    }
    return out;
  }

  /** Stores a new or changed object (never mutated afterwards) with the next resourceVersion. */
  put(resource: string, obj: KubeObject): KubeObject {
    this.assertHealthy();
    const old = this.get(resource, obj.metadata.namespace, obj.metadata.name);
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.index(resource, stored, old);
    this.enqueue({ type: old === undefined ? 'ADDED' : 'MODIFIED', resource, rv, object: stored, old });
    return stored;
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion. */
  delete(resource: string, obj: KubeObject): KubeObject {
    this.assertHealthy();
    const rv = ++this.rv;
    const gone: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.unindex(resource, obj);
    this.enqueue({ type: 'DELETED', resource, rv, object: gone });
    return gone;
  }

  /** Resolves once every write made so far is committed. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.batch?.done ?? Promise.resolve();
  }

  close(): void {
    if (this.batch !== undefined) this.flush();
    this.db.close();
  }

  private assertHealthy(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueue(event: StoreEvent): void {
    if (this.batch === undefined) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A failed batch is reported to the writers awaiting it; nobody else needs to see it.
      done.catch(() => undefined);
      this.batch = { writes: [], done, resolve, reject };
      setImmediate(() => this.flush());
    }
    this.batch.writes.push({ event });
  }

  private flush(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    try {
      this.db.exec('BEGIN');
      for (const { event } of batch.writes) {
        const m = event.object.metadata;
        if (event.type === 'DELETED') this.remove.run(event.resource, m.namespace ?? '', m.name);
        else this.upsert.run(event.resource, m.namespace ?? '', m.name, JSON.stringify(event.object));
      }
      this.setKv.run('rv', String(this.rv));
      this.db.exec('COMMIT');
    } catch (err) {
      // The memory now holds writes the disk does not: refuse every later write rather than diverge.
      this.failure = new Error(
        `committing ${batch.writes.length} writes: ${err instanceof Error ? err.message : String(err)}`,
      );
      batch.reject(this.failure);
      return;
    }
    batch.resolve();
    const events = batch.writes.map((w) => w.event);
    for (const l of this.listeners) l(events);
  }

  private index(resource: string, obj: KubeObject, old: KubeObject | undefined): void {
    let byKey = this.objects.get(resource);
    if (byKey === undefined) {
      byKey = new Map();
      this.objects.set(resource, byKey);
    }
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    if (old !== undefined) this.unindexOwners(resource, old);
    byKey.set(key, obj);
    this.byUid.set(obj.metadata.uid, { resource, object: obj });
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependentsOf.get(ref.uid);
      if (set === undefined) {
        set = new Set();
        this.dependentsOf.set(ref.uid, set);
      }
      set.add(`${resource}|${key}`);
    }
  }

  private unindex(resource: string, obj: KubeObject): void {
    this.objects.get(resource)?.delete(objectKey(obj.metadata.namespace, obj.metadata.name));
    this.byUid.delete(obj.metadata.uid);
    this.unindexOwners(resource, obj);
  }

  private unindexOwners(resource: string, obj: KubeObject): void {
    const ref = `${resource}|${objectKey(obj.metadata.namespace, obj.metadata.name)}`;
    for (const owner of obj.metadata.ownerReferences ?? []) {
      const set = this.dependentsOf.get(owner.uid);
      set?.delete(ref);
      if (set?.size === 0) this.dependentsOf.delete(owner.uid);
    }
  }
}
