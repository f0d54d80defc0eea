// The operator's side of the instance manager's REST contract (port 8000): the status every
// reconcile pass collects, and the operations it drives. As upstream: HTTPS, the instance's
// certificate checked against the cluster's CA only (user-provided server certificates need not
// name the pod), and the operator's own in-memory self-signed client certificate, which instances
// trust by the public-key fingerprint the operator publishes in the Cluster's status.
import { request } from 'node:https';
import type { PostgresqlStatus } from '../../api/v1/instance-status.ts';
import { publicKeyFingerprint } from '../../certs/inspect.ts';
import { createSelfSignedClientCertificate, type KeyPair } from '../../certs/key-pair.ts';

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

/** The common name of the operator's client certificate. */
export const OPERATOR_CLIENT_CN = 'cnpg-operator';

export class InstanceClient {
  readonly #statusTimeoutMs: number;
  readonly #operationTimeoutMs: number;
  readonly #port: number;
  /** Made once per process, shared by every cluster's view of the client; never written anywhere. */
  readonly #identity: Promise<KeyPair>;
  /** The CA the instances' certificates must chain to; undefined: no cluster chosen yet. */
  readonly #serverCA: string | undefined;

  constructor(opts: InstanceClientOptions = {}, shared?: { identity: Promise<KeyPair>; serverCA: string }) {
    this.#statusTimeoutMs = opts.statusTimeoutMs ?? 2_000;
    this.#operationTimeoutMs = opts.operationTimeoutMs ?? 120_000;
    this.#port = opts.port ?? INSTANCE_STATUS_PORT;
    this.#identity = shared?.identity ?? createSelfSignedClientCertificate(OPERATOR_CLIENT_CN);
    this.#serverCA = shared?.serverCA;
  }

  /** This client for the instances of one cluster, whose certificates `serverCAPem` signed. */
  withServerCA(serverCAPem: string): InstanceClient {
    return new InstanceClient(
      { statusTimeoutMs: this.#statusTimeoutMs, operationTimeoutMs: this.#operationTimeoutMs, port: this.#port },
      { identity: this.#identity, serverCA: serverCAPem },
    );
  }

  /** What instances compare the presented client certificate with (`status.operatorCertificateFingerprint`). */
  async fingerprint(): Promise<string> {
    return publicKeyFingerprint((await this.#identity).certPem);
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

  /**
   * `POST /pg/stepdown`: a primary stops accepting writes and hands the primary lease to
   * `successor`; resolves with where its WAL ends.
   */
  async stepDown(podIP: string, successor: string): Promise<{ lsn: string }> {
    const body = { successor };
    return (await this.#call('POST', podIP, '/pg/stepdown', this.#operationTimeoutMs, body)) as { lsn: string };
  }

  /** `POST /pg/demote`: make a former primary follow `primaryHost`. */
  async demote(podIP: string, primaryHost: string): Promise<void> {
    await this.#call('POST', podIP, '/pg/demote', this.#operationTimeoutMs, { primaryHost });
  }

  async #call(method: string, podIP: string, path: string, timeoutMs: number, body?: unknown): Promise<unknown> {
    const url = `https://${podIP.includes(':') ? `[${podIP}]` : podIP}:${this.#port}${path}`;
    const ca = this.#serverCA;
    if (ca === undefined) throw new Error(`${method} ${url}: the cluster's CA is not known yet`);
    const identity = await this.#identity;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca,
          cert: identity.certPem,
          key: identity.keyPem,
          minVersion: 'TLSv1.3',
          // The chain is verified against the cluster's CA; the name is not (upstream's rule).
          checkServerIdentity: () => undefined,
          signal: AbortSignal.timeout(timeoutMs),
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            data += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    }).catch((err: unknown) => {
      throw new Error(`${method} ${url}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (status < 200 || status > 299)
      throw new Error(`${method} ${url}: HTTP ${status}${text ? `: ${text.trim()}` : ''}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
