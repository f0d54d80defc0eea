// The primary Lease (upstream 1.30, spec.primaryLease): a coordination.k8s.io Lease named after the
// cluster, which an instance must hold to run as primary. A replica acquires it before it
// promotes, so a primary that merely stopped answering (frozen, partitioned) keeps it until it
// expires: no second primary while the first may still be writing. A primary that stops on
// purpose (switchover, fencing, a crash, shutdown) releases it with a short remaining duration,
// so its successor does not wait the full lease. The operator creates the object; instances
// only read and update it.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Cluster } from '../api/v1/cluster-types.ts';
import type { Logger } from '../log/logger.ts';
import { errorMessage } from './errors.ts';

interface LeaseTimings {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  releasedLeaseDurationSeconds: number;
}

export function leaseTimings(cluster: Cluster): LeaseTimings {
  const own = cluster.spec.primaryLease;
  return {
    leaseDurationSeconds: own?.leaseDurationSeconds ?? 15,
    renewDeadlineSeconds: own?.renewDeadlineSeconds ?? 10,
    retryPeriodSeconds: own?.retryPeriodSeconds ?? 2,
    releasedLeaseDurationSeconds: own?.releasedLeaseDurationSeconds ?? 1,
  };
}

export class PrimaryLease {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #log: Logger;
  #timings: () => LeaseTimings;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewedAt = 0;
  #onLost: (reason: string) => void = () => undefined;

  constructor(
    kc: KubeConfig,
    namespace: string,
    cluster: string,
    identity: string,
    timings: () => LeaseTimings,
    log: Logger,
  ) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = cluster;
    this.#identity = identity;
    this.#timings = timings;
    this.#log = log;
  }

  /**
   * What to do when the lease is lost while held: taken over by another instance, or not renewed
   * within renewDeadlineSeconds (it may expire before we could notice, so the holder must stop
   * acting as primary before a successor can take it).
   */
  onLost(handler: (reason: string) => void): void {
    this.#onLost = handler;
  }

  /**
   * Takes the lease, waiting while another instance holds a valid one; resolves once held, rejects
   * when `giveUp` says so (the instance should no longer become primary) or on timeout.
   */
  async acquire(timeoutMs: number, giveUp: () => boolean = () => false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let reported = '';
    for (;;) {
      const outcome = await this.#tryTake().catch((err: unknown) => `cannot update the lease: ${errorMessage(err)}`);
      if (outcome === true) {
        this.#renewedAt = Date.now();
        this.#startRenewing();
        return;
      }
      if (outcome !== reported) this.#log.info({ lease: this.#name, reason: outcome }, 'waiting for the primary lease');
      reported = outcome;
      if (giveUp()) throw new Error(`gave up waiting for the primary lease: ${outcome}`);
      if (Date.now() > deadline) throw new Error(`the primary lease was not acquired in time: ${outcome}`);
      await new Promise((r) => setTimeout(r, Math.min(500, this.#timings().retryPeriodSeconds * 1000)));
    }
  }

  /**
   * Gives the lease up: anyone may take it after releasedLeaseDurationSeconds, or at once the
   * `successor` it is handed to (a switchover's target: PostgreSQL is already down here).
   */
  async release(successor?: string): Promise<void> {
    this.stop();
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
      if (lease.spec?.holderIdentity !== this.#identity) return;
      const now = new Date();
      lease.spec.leaseDurationSeconds = this.#timings().releasedLeaseDurationSeconds;
      lease.spec.renewTime = now;
      if (successor !== undefined && successor !== this.#identity) {
        lease.spec.holderIdentity = successor;
        lease.spec.acquireTime = now;
        lease.spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1;
      }
      await this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: lease });
      this.#log.info({ lease: this.#name, successor }, 'primary lease released');
    } catch (err) {
      this.#log.warn({ lease: this.#name, err: errorMessage(err) }, 'cannot release the primary lease');
    }
  }

  stop(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  /** true when held now; otherwise why not. */
  async #tryTake(): Promise<true | string> {
    const lease: V1Lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    if (holder !== undefined && holder !== '' && holder !== this.#identity) {
      const renewed = spec.renewTime === undefined ? 0 : new Date(spec.renewTime).getTime();
      const expires = renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
      if (expires > Date.now()) return `held by ${holder} for ${Math.ceil((expires - Date.now()) / 1000)} s more`;
    }
    const now = new Date();
    lease.spec = {
      ...spec,
      holderIdentity: this.#identity,
      leaseDurationSeconds: this.#timings().leaseDurationSeconds,
      renewTime: now,
      ...(holder === this.#identity ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    // The resourceVersion read above makes a concurrent taker fail with a conflict.
    await this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: lease });
    return true;
  }

  #startRenewing(): void {
    if (this.#renewTimer !== undefined) return;
    let inFlight = false;
    const lost = (reason: string) => {
      this.stop();
      this.#log.error({ lease: this.#name, reason }, 'the primary lease is lost');
      this.#onLost(reason);
    };
    this.#renewTimer = setInterval(() => {
      // Checked on every tick, not only when a renewal fails: a hanging API server fails nothing.
      const since = Date.now() - this.#renewedAt;
      if (since > this.#timings().renewDeadlineSeconds * 1000) {
        lost(`not renewed for ${Math.round(since / 1000)} s`);
        return;
      }
      if (inFlight) return;
      inFlight = true;
      this.#tryTake()
        .then(
          (outcome) => {
            if (this.#renewTimer === undefined) return;
            if (outcome === true) this.#renewedAt = Date.now();
            else lost(outcome);
          },
          (err: unknown) => {
            // A renewal still in flight when the lease was given up or lost says nothing any more.
            if (this.#renewTimer === undefined) return;
            this.#log.warn({ lease: this.#name, err: errorMessage(err) }, 'cannot renew the primary lease');
          },
        )
        .finally(() => {
          inFlight = false;
        });
    }, this.#timings().retryPeriodSeconds * 1000);
    this.#renewTimer.unref();
  }
}
