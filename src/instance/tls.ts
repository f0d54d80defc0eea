// The instance's certificates. In a pod, as upstream's instance manager does, they are read from
// the cluster's Secrets through the API server (the pod's Role grants exactly these) and written to
// `<scratch>/certificates` with upstream's file names, mode 0600, owned by the postgres user; they
// are read again every few seconds, and a change is applied without a restart: PostgreSQL reloads
// its configuration and the status server swaps its certificate. With `--cluster-file` (no API
// server) the files found there are used as they are, and followed the same way.
//
// With certificates, the status server speaks HTTPS only, and an operation that changes state
// needs the operator's client certificate, recognised by the SHA-256 fingerprint of its public key
// that the operator publishes in the Cluster's status (upstream's operator authentication).
import { createHash, X509Certificate } from 'node:crypto';
import { chownSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import type { Cluster } from '../api/v1/cluster-types.ts';
import type { InstanceContext } from './context.ts';
import { ensureOwnedDirectory } from './data-directory.ts';
import { errorMessage, InstanceError } from './errors.ts';

/** Upstream's file names under the certificates directory. */
export const CERTIFICATE_FILES = {
  serverCert: 'server.crt',
  serverKey: 'server.key',
  serverCA: 'server-ca.crt',
  clientCA: 'client-ca.crt',
  replicationCert: 'streaming_replica.crt',
  replicationKey: 'streaming_replica.key',
} as const;

type CertificateFile = (typeof CERTIFICATE_FILES)[keyof typeof CERTIFICATE_FILES];

const REFRESH_INTERVAL_MS = 3_000;

/** The Secrets holding each file: the names the operator published, else the spec's, else upstream's. */
function secretSources(cluster: Cluster): [CertificateFile, string, string][] {
  const name = cluster.metadata?.name ?? '';
  const published = cluster.status?.certificates;
  const own = cluster.spec.certificates;
  const serverTLS = published?.serverTLSSecret || own?.serverTLSSecret || `${name}-server`;
  const serverCA = published?.serverCASecret || own?.serverCASecret || `${name}-ca`;
  const clientCA = published?.clientCASecret || own?.clientCASecret || `${name}-ca`;
  const replication = published?.replicationTLSSecret || own?.replicationTLSSecret || `${name}-replication`;
  return [
    [CERTIFICATE_FILES.serverCert, serverTLS, 'tls.crt'],
    [CERTIFICATE_FILES.serverKey, serverTLS, 'tls.key'],
    [CERTIFICATE_FILES.serverCA, serverCA, 'ca.crt'],
    [CERTIFICATE_FILES.clientCA, clientCA, 'ca.crt'],
    [CERTIFICATE_FILES.replicationCert, replication, 'tls.crt'],
    [CERTIFICATE_FILES.replicationKey, replication, 'tls.key'],
  ];
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes `content` to `path` (0600, the pod user's) unless it is there already; returns whether it wrote. */
function installFile(ctx: InstanceContext, path: string, content: string): boolean {
  if (readIfPresent(path) === content) return false;
  // Written aside and renamed: PostgreSQL never reads half a key.
  const temporary = `${path}.new`;
  writeFileSync(temporary, content, { mode: 0o600 });
  if (ctx.podUser !== undefined) chownSync(temporary, ctx.podUser.uid, ctx.podUser.gid);
  renameSync(temporary, path);
  return true;
}

/** Reads the certificate Secrets of the cluster through the API server and installs them as files. */
async function fetchFromApi(ctx: InstanceContext, api: CoreV1Api): Promise<boolean> {
  const sources = secretSources(ctx.cluster);
  const secrets = new Map<string, V1Secret>();
  for (const name of new Set(sources.map(([, secret]) => secret))) {
    try {
      secrets.set(name, await api.readNamespacedSecret({ name, namespace: ctx.options.namespace }));
    } catch (err) {
      const code = (err as { code?: number }).code;
      throw new InstanceError(
        `cannot read the certificate secret ${ctx.options.namespace}/${name}${code ? ` (HTTP ${code})` : ''}: ` +
          errorMessage(err).split('\n')[0],
      );
    }
  }
  const files: [string, string][] = sources.map(([file, secret, key]) => {
    const value = secrets.get(secret)?.data?.[key];
    if (value === undefined) throw new InstanceError(`the certificate secret ${secret} has no ${key}`);
    return [file, Buffer.from(value, 'base64').toString('utf8')];
  });
  ensureOwnedDirectory(ctx.certificatesDir, ctx.podUser);
  let changed = false;
  for (const [file, content] of files) changed = installFile(ctx, join(ctx.certificatesDir, file), content) || changed;
  return changed;
}

/** The operator-authentication verdict for a request: undefined when it may proceed. */
interface AuthRefusal {
  status: number;
  error: string;
}

/** Hex SHA-256 of the SubjectPublicKeyInfo of a DER certificate. */
function fingerprintOf(der: Buffer): string {
  return createHash('sha256')
    .update(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Upstream's rule: no client certificate is refused for good (401); a certificate that is not the
 * one the Cluster's status names may be an operator that restarted and whose new fingerprint has
 * not reached this instance yet, so it is refused as unavailable (503), and the operator retries.
 */
function operatorAuthRefusal(socket: TLSSocket, expected: string | undefined): AuthRefusal | undefined {
  const peer = socket.getPeerCertificate();
  if (peer === null || peer.raw === undefined) {
    return { status: 401, error: 'this operation needs the operator client certificate' };
  }
  if (expected === undefined || expected === '') {
    return { status: 503, error: 'the operator certificate fingerprint is not known yet' };
  }
  return fingerprintOf(peer.raw) === expected.toLowerCase()
    ? undefined
    : { status: 503, error: 'the client certificate is not the operator certificate' };
}

/** What the status server needs to speak HTTPS and authenticate the operator. */
export interface StatusServerTls {
  cert: string;
  key: string;
  authorize(socket: TLSSocket): AuthRefusal | undefined;
}

export class InstanceCertificates {
  readonly #ctx: InstanceContext;
  readonly #api: CoreV1Api | undefined;

  private constructor(ctx: InstanceContext, api: CoreV1Api | undefined) {
    this.#ctx = ctx;
    this.#api = api;
  }

  /**
   * The certificates of this instance, installed: from the API server when the Cluster comes from
   * there (they must exist: the operator makes them before any pod), else the files already in the
   * certificates directory; undefined when there are none (plain HTTP, `ssl = off`).
   */
  static async install(ctx: InstanceContext): Promise<InstanceCertificates | undefined> {
    let api: CoreV1Api | undefined;
    const kc = ctx.source.kubeConfig;
    if (kc !== undefined) {
      api = kc.makeApiClient(CoreV1Api);
      await fetchFromApi(ctx, api);
    }
    const certs = new InstanceCertificates(ctx, api);
    return certs.present() ? certs : undefined;
  }

  #path(file: CertificateFile): string {
    return join(this.#ctx.certificatesDir, file);
  }

  present(): boolean {
    return existsSync(this.#path(CERTIFICATE_FILES.serverCert)) && existsSync(this.#path(CERTIFICATE_FILES.serverKey));
  }

  /** The status server's TLS settings, the operator fingerprint read from the Cluster at each request. */
  statusServerTls(): StatusServerTls {
    return {
      cert: readFileSync(this.#path(CERTIFICATE_FILES.serverCert), 'utf8'),
      key: readFileSync(this.#path(CERTIFICATE_FILES.serverKey), 'utf8'),
      authorize: (socket) => operatorAuthRefusal(socket, this.#ctx.cluster.status?.operatorCertificateFingerprint),
    };
  }

  #digest(): string {
    const hash = createHash('sha256');
    for (const file of Object.values(CERTIFICATE_FILES)) hash.update(`${file}\0${readIfPresent(this.#path(file))}\0`);
    return hash.digest('hex');
  }

  /**
   * Re-reads the certificates every few seconds; on a change, `servers` (status, metrics) present
   * the new one from their next connection and PostgreSQL reloads (its configuration names the same
   * files). Returns the stop.
   */
  follow(...servers: HttpsServer[]): () => void {
    const { log, sql } = this.#ctx;
    let last = this.#digest();
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        if (this.#api !== undefined) await fetchFromApi(this.#ctx, this.#api);
        const digest = this.#digest();
        if (digest === last) return;
        last = digest;
        const tls = this.statusServerTls();
        for (const server of servers) server.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' });
        log.info('certificates changed: reloading PostgreSQL and the servers presenting them');
        await sql.exec('SELECT pg_catalog.pg_reload_conf();').catch((err: unknown) => {
          log.info({ err: errorMessage(err) }, 'PostgreSQL not reloaded (not running): it reads them when it starts');
        });
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'cannot refresh the certificates; keeping the current ones');
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void tick(), REFRESH_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
