// The operator's side of the instance manager's REST contract (port 8000): the status every
// reconcile pass collects, and the operations it drives. Plain HTTP until the certificates work
// brings upstream's TLS with operator client certificates.
import type { PostgresqlStatus } from '../../api/v1/instance-status.ts';

/**
 * What the operator reads of `GET /pg/status`: every field may be missing (an older or failing
 * instance manager) but the role.
 */
export type InstanceStatusReport = Partial<PostgresqlStatus> & Pick<PostgresqlStatus, 'isPrimary'>;

export const INSTANCE_STATUS_PORT = 8000;

export interface InstanceClientOptions {
  /** Per-request timeout for status reads (upstream: a few seconds; short so one dead pod costs little). */
  statusTimeoutMs?: number;
  /** Timeout of operations (restart, promote) that wait for PostgreSQL. */
  operationTimeoutMs?: number;
  port?: number;
}

export class InstanceClient {
  readonly #statusTimeoutMs: number;
  readonly #operationTimeoutMs: number;
  readonly #port: number;

  constructor(opts: InstanceClientOptions = {}) {
    this.#statusTimeoutMs = opts.statusTimeoutMs ?? 2_000;
    this.#operationTimeoutMs = opts.operationTimeoutMs ?? 120_000;
    this.#port = opts.port ?? INSTANCE_STATUS_PORT;
  }

  /** `GET /pg/status` of the instance at `podIP`; throws with the reason when it cannot be read. */
  async status(podIP: string): Promise<InstanceStatusReport> {
    return (await this.#call('GET', podIP, '/pg/status', this.#statusTimeoutMs)) as InstanceStatusReport;
  }

  /** `POST /pg/restart`: a fast restart applying pending parameters; resolves once PostgreSQL is back. */
  async restart(podIP: string): Promise<void> {
    await this.#call('POST', podIP, '/pg/restart', this.#operationTimeoutMs);
  }

  /** `POST /pg/promote`: make a replica the primary. */
  async promote(podIP: string): Promise<void> {
    await this.#call('POST', podIP, '/pg/promote', this.#operationTimeoutMs);
  }

  /** `POST /pg/stepdown`: a primary stops accepting writes; resolves with where its WAL ends. */
  async stepDown(podIP: string): Promise<{ lsn: string }> {
    return (await this.#call('POST', podIP, '/pg/stepdown', this.#operationTimeoutMs)) as { lsn: string };
  }

  /** `POST /pg/demote`: make a former primary follow `primaryHost`. */
  async demote(podIP: string, primaryHost: string): Promise<void> {
    await this.#call('POST', podIP, '/pg/demote', this.#operationTimeoutMs, { primaryHost });
  }

  async #call(method: string, podIP: string, path: string, timeoutMs: number, body?: unknown): Promise<unknown> {
    const url = `http://${podIP}:${this.#port}${path}`;
    const res = await fetch(url, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}${text ? `: ${text.trim()}` : ''}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
