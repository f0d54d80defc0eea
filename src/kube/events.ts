// Kubernetes Events (core/v1) about the objects a controller acts on, written as client-go's event
// recorder writes them: named `<object>.<hex timestamp>`, with the involved object's reference,
// `source.component` and `reportingComponent`, first/last timestamps and a count. A repeat of the
// same event (same object, type, reason and message) bumps the count of the event already written
// instead of adding one, as client-go's correlator does. Recording never fails the caller: events
// are written in the background, in order, and a failure is logged.
import {
  type CoreV1Api,
  type CoreV1Event,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import { apiErrorMessage, isNotFound } from './patch.ts';

export type EventType = 'Normal' | 'Warning';

/** Distinct events remembered for aggregation (client-go's correlator keeps 4096). */
const MAX_REMEMBERED = 4096;
/** Events waiting to be written; beyond this they are dropped, as client-go's full broadcaster queue does. */
const MAX_PENDING = 1000;
/** The longest message kept (the events API's note limit). */
const MAX_MESSAGE = 1024;

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface EventRecorderOptions {
  core: CoreV1Api;
  /** `source.component` and `reportingComponent` of every event (upstream's operator: `cloudnative-pg`). */
  component: string;
  log: Logger;
  now?: () => Date;
}

interface Written {
  name: string;
  namespace: string;
  count: number;
}

export class EventRecorder {
  readonly #core: CoreV1Api;
  readonly #component: string;
  readonly #log: Logger;
  readonly #now: () => Date;
  /** The event written for each distinct key, least recently used first. */
  readonly #written = new Map<string, Written>();
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #sequence = 0;

  constructor(opts: EventRecorderOptions) {
    this.#core = opts.core;
    this.#component = opts.component;
    this.#log = opts.log;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Record an event about `object` (which must carry apiVersion, kind, name and namespace). */
  event(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    const at = this.#now();
    const context = {
      kind: object.kind,
      name: object.metadata?.name,
      namespace: object.metadata?.namespace,
      reason,
    };
    if (this.#pending >= MAX_PENDING) {
      this.#log.warn({ ...context, message }, 'too many events waiting to be written: event dropped');
      return;
    }
    this.#pending++;
    this.#tail = this.#tail.then(async () => {
      try {
        await this.#write(object, type, reason, truncate(message), at);
      } catch (err) {
        this.#log.warn({ ...context, message, err: apiErrorMessage(err) }, 'could not record an event');
      } finally {
        this.#pending--;
      }
    });
  }

  /** Resolves once every event recorded so far was written (or failed). */
  flush(): Promise<void> {
    return this.#tail;
  }

  async #write(object: KubernetesObject, type: EventType, reason: string, message: string, at: Date): Promise<void> {
    const ref = involvedObject(object);
    const key = [ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, type, reason, message].join('\u0000');
    const timestamp = wholeSeconds(at);
    const seen = this.#written.get(key);
    if (seen !== undefined) {
      this.#written.delete(key);
      try {
        await this.#core.patchNamespacedEvent(
          {
            name: seen.name,
            namespace: seen.namespace,
            body: { count: seen.count + 1, lastTimestamp: timestamp },
          },
          MERGE_PATCH,
        );
        this.#remember(key, { ...seen, count: seen.count + 1 });
        return;
      } catch (err) {
        // Expired or deleted meanwhile: a new event starts the count again.
        if (!isNotFound(err)) throw err;
      }
    }
    const name = `${ref.name}.${this.#uniqueSuffix(at)}`;
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ref.namespace },
      involvedObject: ref,
      type,
      reason,
      message,
      source: { component: this.#component },
      reportingComponent: this.#component,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    await this.#core.createNamespacedEvent({ namespace: ref.namespace, body: event });
    this.#remember(key, { name, namespace: ref.namespace, count: 1 });
  }

  #remember(key: string, written: Written): void {
    this.#written.set(key, written);
    if (this.#written.size > MAX_REMEMBERED) {
      const oldest = this.#written.keys().next().value;
      if (oldest !== undefined) this.#written.delete(oldest);
    }
  }

  /** client-go names events after the object and the time in nanoseconds; the sequence keeps names apart. */
  #uniqueSuffix(at: Date): string {
    this.#sequence = (this.#sequence + 1) % 1_000_000;
    return (BigInt(at.getTime()) * 1_000_000n + BigInt(this.#sequence)).toString(16);
  }
}

interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
}

function involvedObject(object: KubernetesObject): ObjectReference {
  const { apiVersion, kind, metadata } = object;
  const name = metadata?.name;
  const namespace = metadata?.namespace;
  if (apiVersion === undefined || kind === undefined || name === undefined || namespace === undefined) {
    throw new Error(`an event needs the apiVersion, kind, name and namespace of its object (got ${kind}/${name})`);
  }
  return {
    apiVersion,
    kind,
    name,
    namespace,
    ...(metadata?.uid === undefined ? {} : { uid: metadata.uid }),
    ...(metadata?.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion }),
  };
}

/** Event timestamps are metav1.Time: whole seconds. */
function wholeSeconds(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}
