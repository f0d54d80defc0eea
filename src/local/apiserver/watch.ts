// Watch fan-out: a bounded history of committed events per resource (to resume a watch from a
// resourceVersion; older than the history means 410 Gone) and the live watchers, each seeing
// the events of its resource that pass its filter, exactly once and in resourceVersion order.
import { apiErrors } from './errors.ts';
import type { EventType, KubeObject, StoreEvent } from './storage.ts';

export interface WatchFilter {
  namespace?: string;
  matches: (obj: KubeObject) => boolean;
}

export interface Watcher {
  filter: WatchFilter;
  send: (type: EventType, object: KubeObject) => void;
}

interface History {
  events: StoreEvent[];
  /** The resourceVersion of the last event dropped from `events`: resuming below it is impossible. */
  compactedRv: number;
}

interface Subscription {
  watcher: Watcher;
  /** Events at or below this were already delivered (or are part of the list the client holds). */
  seenRv: number;
}

export class WatchHub {
  private readonly histories = new Map<string, History>();
  private readonly watchers = new Map<string, Set<Subscription>>();
  private readonly startRv: number;
  private readonly limit: number;
  /** The highest resourceVersion delivered to watchers: bookmarks may claim no more. */
  private publishedRv: number;

  constructor(startRv: number, historyLimit: number) {
    this.startRv = startRv;
    this.publishedRv = startRv;
    this.limit = historyLimit;
  }

  lastPublishedRv(): number {
    return this.publishedRv;
  }

  publish(events: StoreEvent[]): void {
    for (const event of events) {
      const h = this.history(event.resource);
      h.events.push(event);
      if (h.events.length > this.limit) {
        const dropped = h.events.splice(0, h.events.length - this.limit);
        h.compactedRv = dropped[dropped.length - 1]?.rv ?? h.compactedRv;
      }
      this.publishedRv = event.rv;
      for (const sub of this.watchers.get(event.resource) ?? []) deliver(sub, event);
    }
  }

  /**
   * Registers `watcher` for the events of `resource` after `fromRv`, replaying the ones already
   * committed. Throws 410 Gone when they are no longer all known. Returns the unsubscribe function.
   */
  subscribe(resource: string, fromRv: number, watcher: Watcher): () => void {
    const h = this.history(resource);
    if (fromRv < h.compactedRv) {
      throw apiErrors.gone(`too old resource version: ${fromRv} (${h.compactedRv + 1})`);
    }
    const sub: Subscription = { watcher, seenRv: fromRv };
    for (const event of h.events) if (event.rv > fromRv) deliver(sub, event);
    let set = this.watchers.get(resource);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(resource, set);
    }
    set.add(sub);
    return () => set.delete(sub);
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }

  private history(resource: string): History {
    let h = this.histories.get(resource);
    if (h === undefined) {
      h = { events: [], compactedRv: this.startRv };
      this.histories.set(resource, h);
    }
    return h;
  }
}

function visible(filter: WatchFilter, obj: KubeObject | undefined): boolean {
  if (obj === undefined) return false;
  if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
  return filter.matches(obj);
}

/** An object that starts or stops matching a filtered watch is added or deleted for that watcher. */
function deliver(sub: Subscription, event: StoreEvent): void {
  if (event.rv <= sub.seenRv) return;
  sub.seenRv = event.rv;
  const { filter } = sub.watcher;
  const now = visible(filter, event.object);
  if (event.type === 'ADDED') {
    if (now) sub.watcher.send('ADDED', event.object);
  } else if (event.type === 'DELETED') {
    if (now) sub.watcher.send('DELETED', event.object);
  } else {
    const before = visible(filter, event.old);
    if (now && before) sub.watcher.send('MODIFIED', event.object);
    else if (now) sub.watcher.send('ADDED', event.object);
    else if (before) sub.watcher.send('DELETED', event.object);
  }
}
