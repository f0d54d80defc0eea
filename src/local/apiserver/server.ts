// The local runtime's Kubernetes-compatible API server: HTTPS on loopback with bearer tokens,
// state in `<data-dir>/apiserver/` (SQLite + PKI), and an admin kubeconfig at
// `<data-dir>/kubeconfig`. Start it in-process with `startApiServer`, or with
// `cnpg local apiserver --data-dir DIR`.
import { claimAddressBlock } from '../address-block.ts';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { componentLogger, type Logger } from '../../log/logger.ts';
import { TokenAuthority } from './auth.ts';
import { ServerControllers } from './controllers.ts';
import { ApiCore } from './core.ts';
import { createRequestHandler } from './http.ts';
import { loadOrCreatePki } from './pki.ts';
import { ObjectStore } from './storage.ts';
import { WatchHub } from './watch.ts';
import { processAlive } from '../process-alive.ts';

export { containerLogPath } from './logs.ts';

export interface ApiServerOptions {
  dataDir: string;
  /** A loopback address; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port; default: the port of the previous run in this data directory, else a free one. */
  port?: number;
  logger?: Logger;
  /** Events kept per resource type for watches resuming from a resourceVersion (default 10000). */
  watchHistory?: number;
  /** How often watches that allow bookmarks get one (default 10 s). */
  bookmarkIntervalMs?: number;
  /** How long a watch lasts unless the client asks otherwise (default 30 min; clients then resume). */
  watchTimeoutSeconds?: number;
  /** How long an Event lasts after it was last written (kube-apiserver's --event-ttl; default 1 h). */
  eventTtlSeconds?: number;
}

export interface RunningApiServer {
  /** `https://host:port` */
  url: string;
  /** `<data-dir>/kubeconfig`: the admin credentials and the CA. */
  kubeconfigPath: string;
  adminToken: string;
  caCertPem: string;
  stop(): Promise<void>;
}

export const KUBECONFIG_NAME = 'kubeconfig';
export const CONTEXT_NAME = 'cnpg-local';
const LOCK_NAME = 'apiserver.pid';

function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** One server per data directory: a second one would hold a diverging copy of the state. */
function takeLock(dir: string, dataDir: string): () => void {
  const path = join(dir, LOCK_NAME);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
      throw new Error(`another API server (pid ${pid}) is using the data directory ${dataDir}`);
    }
    if (pid === process.pid) {
      throw new Error(`an API server of this process is already using the data directory ${dataDir}`);
    }
  }
  writeFileSync(path, String(process.pid));
  return () => rmSync(path, { force: true });
}

export function kubeconfigYaml(url: string, caCertPem: string, token: string, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: CONTEXT_NAME,
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') },
      },
    ],
    users: [{ name: 'cnpg-local-admin', user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: 'cnpg-local-admin', namespace } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new Error(`the local API server listens on loopback only (127.0.0.0/8 or localhost), not ${host}`);
  const log = opts.logger ?? componentLogger('apiserver', { dataDir: opts.dataDir });
  mkdirSync(opts.dataDir, { recursive: true });
  // Pods run as a non-root user and reach their log directories under the data directory.
  chmodSync(opts.dataDir, 0o755);
  const stateDir = join(opts.dataDir, 'apiserver');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const unlock = takeLock(stateDir, opts.dataDir);
  let store: ObjectStore | undefined;
  try {
    const pki = await loadOrCreatePki(join(stateDir, 'pki'), host);
    store = new ObjectStore(stateDir);
    const tokens = new TokenAuthority(store);
    const core = new ApiCore(store, tokens, pki.caCertPem, claimAddressBlock(opts.dataDir));
    const hub = new WatchHub(store.currentRv(), opts.watchHistory ?? 10_000);
    store.onCommit((events) => hub.publish(events));
    const controllers = new ServerControllers(
      core,
      log,
      opts.eventTtlSeconds === undefined ? undefined : opts.eventTtlSeconds * 1000,
    );
    core.bootstrap();
    controllers.resync();
    await store.durable();

    const watches = new Set<() => void>();
    let address = '';
    const server = createServer(
      { key: pki.keyPem, cert: pki.certPem },
      createRequestHandler({
        core,
        hub,
        dataDir: opts.dataDir,
        log,
        address: () => address,
        bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
        watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 30 * 60,
        trackWatch: (close) => {
          watches.add(close);
          return () => watches.delete(close);
        },
      }),
    );
    const previous = Number(store.getKv('port') ?? '0');
    let port: number;
    if (opts.port !== undefined) port = await listen(server, opts.port, host);
    else {
      port = await listen(server, previous, host).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE' || previous === 0) throw err;
        return listen(server, 0, host);
      });
    }
    store.putKv('port', String(port));
    address = `${host}:${port}`;
    const url = `https://${address}`;
    const kubeconfigPath = join(opts.dataDir, KUBECONFIG_NAME);
    writeFileSync(kubeconfigPath, kubeconfigYaml(url, pki.caCertPem, tokens.adminToken), { mode: 0o600 });
    log.info({ url, kubeconfig: kubeconfigPath, resourceVersion: store.currentRv() }, 'API server listening');

    const running = store;
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        controllers.stop();
        for (const close of [...watches]) close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await running.durable().catch(() => undefined);
        running.close();
        unlock();
        log.info({ url }, 'API server stopped');
      })();
      return stopping;
    };
    return { url, kubeconfigPath, adminToken: tokens.adminToken, caCertPem: pki.caCertPem, stop };
  } catch (err) {
    store?.close();
    unlock();
    throw err;
  }
}
