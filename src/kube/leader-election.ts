// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm: a candidate takes
// the lease when nobody holds it or when its holder has not renewed it for leaseDuration (measured
// on the candidate's own clock, from when it last saw the lease change, so clocks need not agree);
// the leader renews every retryPeriod and steps down when it could not renew for renewDeadline; a
// clean stop releases the lease with a short duration so a successor need not wait.
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../log/logger.ts';
import { apiErrorMessage, isAlreadyExists, isNotFound } from './patch.ts';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  /** This candidate's identity (pod name, hostname + pid...). */
  identity: string;
  /** How long a lease holds without renewal (client-go default 15 s). Written in whole seconds. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** The pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Lease duration written when releasing on a clean stop (default 1 s). */
  releasedLeaseDurationSeconds?: number;
  /** Called when this candidate becomes leader; the signal aborts when it stops leading. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when this candidate stops leading (lost lease or stop()). */
  onStoppedLeading: () => void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
}

interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  // Times come back as strings or Dates depending on the deserializer; only equality matters here.
  const time = (t: unknown) => (t instanceof Date ? t.toISOString() : String(t ?? ''));
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onNewLeader' | 'logger'>> &
    Pick<LeaderElectionOptions, 'onNewLeader' | 'logger'>;
  #observed: LeaseRecord | undefined;
  /** Local time (ms) when the lease record was last seen to change. */
  #observedAt = 0;
  #leader = false;
  #stopped = false;
  #release = true;
  #wake = new AbortController();
  #leading: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: LeaderElectionOptions) {
    const o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releasedLeaseDurationSeconds: 1,
      ...opts,
    };
    if (o.leaseDurationMs <= o.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (o.renewDeadlineMs <= o.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod');
    this.#o = o;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** The holder last seen on the lease ('' when free or unknown). */
  get observedLeader(): string {
    return this.#observed?.holderIdentity ?? '';
  }

  /** Campaign, then lead until the lease is lost or stop() is called. Resolves at that point. */
  run(): Promise<void> {
    this.#running ??= this.#campaign();
    return this.#running;
  }

  /**
   * Stop campaigning or leading. With `release` (the default) a leader gives the lease up at once;
   * without it the lease is left to expire, as if the process had died.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#release = opts.release ?? true;
    this.#stopped = true;
    this.#wake.abort();
    await this.#running;
  }

  async #campaign(): Promise<void> {
    const log = this.#o.logger;
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) await this.#sleep(this.#jittered());
    if (this.#stopped) return;
    this.#leader = true;
    this.#leading = new AbortController();
    log?.info({ lease: this.#o.name, identity: this.#o.identity }, 'became leader');
    this.#o.onStartedLeading(this.#leading.signal);

    let lastRenew = Date.now();
    while (!this.#stopped) {
      await this.#sleep(this.#o.retryPeriodMs);
      if (this.#stopped) break;
      // An attempt stuck on an unresponsive API server must not outlive the deadline.
      const remaining = this.#o.renewDeadlineMs - (Date.now() - lastRenew);
      if (await this.#within(this.#tryAcquireOrRenew(), remaining)) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.#o.renewDeadlineMs) {
        log?.error(
          { lease: this.#o.name, identity: this.#o.identity },
          'could not renew the lease in time, stepping down',
        );
        break;
      }
    }
    if (this.#stopped && this.#release) await this.#releaseLease();
    this.#leader = false;
    this.#leading.abort();
    this.#o.onStoppedLeading();
  }

  /** One attempt; true when this candidate holds the lease afterwards. Errors count as failure. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.#o;
    const now = Date.now();
    const durationSeconds = Math.max(1, Math.ceil(this.#o.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) return this.#failed('reading', err);
      const created: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
          leaseTransitions: 0,
        },
      };
      try {
        this.#observe(await api.createNamespacedLease({ namespace, body: created }), Date.now());
        return true;
      } catch (createErr) {
        return isAlreadyExists(createErr) ? false : this.#failed('creating', createErr);
      }
    }

    const current = recordOf(lease);
    this.#observe(lease, now);
    const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== identity;
    if (heldByOther && this.#observedAt + current.leaseDurationSeconds * 1000 > now) return false;

    const mine = current.holderIdentity === identity;
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine && lease.spec?.acquireTime ? lease.spec.acquireTime : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
    };
    try {
      // The resourceVersion read makes this a compare-and-swap: a concurrent writer gets a 409.
      const updated = await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
      this.#observe(updated, Date.now());
      return true;
    } catch (err) {
      return this.#failed('updating', err);
    }
  }

  #observe(lease: V1Lease, at: number): void {
    const record = recordOf(lease);
    if (this.#observed !== undefined && isDeepStrictEqual(record, this.#observed)) return;
    const previousHolder = this.#observed?.holderIdentity;
    this.#observed = record;
    this.#observedAt = at;
    if (record.holderIdentity !== previousHolder && record.holderIdentity !== '') {
      this.#o.onNewLeader?.(record.holderIdentity);
    }
  }

  async #releaseLease(): Promise<void> {
    const { api, namespace, name, identity } = this.#o;
    try {
      const lease = await api.readNamespacedLease({ name, namespace });
      if ((lease.spec?.holderIdentity ?? '') !== identity) return;
      const now = new V1MicroTime(Date.now());
      const spec = {
        holderIdentity: '',
        leaseDurationSeconds: this.#o.releasedLeaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: lease.spec?.leaseTransitions ?? 0,
      };
      await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
      this.#o.logger?.info({ lease: name, identity }, 'released the lease');
    } catch (err) {
      this.#o.logger?.warn({ err: apiErrorMessage(err), lease: name, identity }, 'could not release the lease');
    }
  }

  #failed(what: string, err: unknown): false {
    this.#o.logger?.debug(
      { err: apiErrorMessage(err), lease: this.#o.name, identity: this.#o.identity },
      `${what} the lease failed`,
    );
    return false;
  }

  /** The retry period with up to 20% jitter, so candidates do not retry in lockstep. */
  #jittered(): number {
    return this.#o.retryPeriodMs * (1 + Math.random() * 0.2);
  }

  /** The attempt's result, or false when it takes longer than `ms`. */
  async #within(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, ms));
    });
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sleep, cut short by stop(). */
  #sleep(ms: number): Promise<void> {
    if (this.#wake.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#wake.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
