// A real S3 object store for tests: MinIO (scripts/setup.sh builds it) as a plain process on
// 127.0.0.1 with its own port and directory, over HTTP or HTTPS with a CA made for it, a bucket
// created through the S3 API, or as a pod of a local runtime from samples/minio.yaml; and the barman-cloud tools (scripts/setup.sh installs them) run
// against it with the environment upstream gives them. docs/object-store.md describes both.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Deployment,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { createLeaf, createRootCA } from '../../src/certs/key-pair.ts';
import { MINIO_BIN } from '../../src/local/node/image-map.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { PROJECT_ROOT } from './samples.ts';

/** The virtualenv scripts/setup.sh installs barman into; its tools are linked into /usr/local/bin. */
export const BARMAN_VENV = '/opt/cnpg-tools/barman';

/** MinIO's region when none is configured; clients sign requests for it. */
export const OBJECT_STORE_REGION = 'us-east-1';

export interface ObjectStoreOptions {
  /** Serve HTTPS with a server certificate from a CA made for this store (its PEM in `caPem`). */
  tls?: boolean;
  /** The bucket created before the store is handed out (default `backups`). */
  bucket?: string;
}

/** What a client needs to reach a store, wherever it runs. */
export interface ObjectStoreClient {
  /** `http(s)://ADDRESS:PORT`. */
  endpointURL: string;
  bucket: string;
  /** `s3://<bucket>/`: a barmanObjectStore destinationPath in the bucket. */
  destinationPath: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The CA that signed the server certificate (HTTPS only), and a world-readable file holding it. */
  caPem?: string;
  caFile?: string;
  /** Creates another bucket through the S3 API (CreateBucket). */
  createBucket(name: string): Promise<void>;
  /** The environment an S3 client needs for this store (credentials, region, CA bundle). */
  clientEnv(): Record<string, string>;
  /** Stops MinIO and removes what it made; safe to call more than once. */
  stop(): Promise<void>;
}

/** MinIO as a plain process on 127.0.0.1. */
export interface ObjectStore extends ObjectStoreClient {
  /** MinIO's data directory: buckets are its top-level directories. */
  dataDir: string;
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

const ACCESS_KEY_ID = 'cnpg-test';
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 60_000;

/** A port free on 127.0.0.1 now (MinIO may lose it to a race: the caller retries). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GET `/minio/health/live`: true once MinIO answers 200 (over TLS, trusting only `ca`). */
function healthy(url: string, ca: string | undefined): Promise<boolean> {
  const target = new URL('/minio/health/live', url);
  if (ca === undefined) {
    return fetch(target, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
  }
  return new Promise((resolve) => {
    const req = httpsRequest(target, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Runs a command to its end, output captured; killed (whole group) after `timeoutMs`. */
export function runCommand(
  command: string,
  args: string[],
  opts: { env: Record<string, string>; asPodUser?: boolean; timeoutMs?: number; cwd?: string },
): Promise<CommandResult> {
  const user = opts.asPodUser ? podProcessUser() : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env,
      cwd: opts.cwd ?? '/',
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${opts.timeoutMs} ms)`;
      killGroup(child, 'SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Writes the server certificate MinIO loads from `<certs-dir>/public.crt` and `private.key`. */
async function makeServerCertificate(certsDir: string, caFile: string): Promise<string> {
  const ca = await createRootCA('cnpg-test-object-store', 'test');
  const leaf = await createLeaf(ca, { commonName: '127.0.0.1', usage: 'server', altNames: ['localhost'] });
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(certsDir, 'public.crt'), leaf.certPem);
  writeFileSync(join(certsDir, 'private.key'), leaf.keyPem, { mode: 0o600 });
  writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  return ca.certPem;
}

/** A directory the pod user can use as HOME and read the CA file from. */
function clientDir(): string {
  const dir = mkdtempSync('/tmp/cnpg-object-store-');
  chmodSync(dir, 0o755);
  const home = join(dir, 'client-home');
  mkdirSync(home);
  const user = podProcessUser();
  if (user) chownSync(home, user.uid, user.gid);
  return dir;
}

/** The client side of a store: its environment, and CreateBucket through boto3 (barman's own S3 library). */
function storeClient(
  dir: string,
  endpointURL: string,
  bucket: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  ca: { caPem: string; caFile: string } | undefined,
  stop: () => Promise<void>,
): ObjectStoreClient {
  const client: ObjectStoreClient = {
    endpointURL,
    bucket,
    destinationPath: `s3://${bucket}/`,
    ...credentials,
    region: OBJECT_STORE_REGION,
    ...(ca ?? {}),
    clientEnv: () => ({
      PATH: `${join(BARMAN_VENV, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
      HOME: join(dir, 'client-home'),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: OBJECT_STORE_REGION,
      // Keep the machine's own AWS configuration (if any) out of the tests.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...(ca === undefined ? {} : { AWS_CA_BUNDLE: ca.caFile }),
    }),
    createBucket: async (name) => {
      const r = await runCommand(
        join(BARMAN_VENV, 'bin', 'python'),
        [
          '-c',
          'import boto3, sys; boto3.client("s3", endpoint_url=sys.argv[1]).create_bucket(Bucket=sys.argv[2])',
          endpointURL,
          name,
        ],
        { env: client.clientEnv(), timeoutMs: 60_000 },
      );
      if (r.status !== 0) throw new Error(`CreateBucket ${name} on ${endpointURL} failed: ${r.stderr.trim()}`);
    },
    stop,
  };
  return client;
}

/** Starts MinIO for a test; the caller must `stop()` it (in `after`, so it runs on failure too). */
export async function startObjectStore(opts: ObjectStoreOptions = {}): Promise<ObjectStore> {
  if (!existsSync(MINIO_BIN)) throw new Error(`MinIO is not installed at ${MINIO_BIN}: run scripts/setup.sh as root`);
  const dir = clientDir();
  const dataDir = join(dir, 'data');
  const certsDir = join(dir, 'certs');
  const caFile = join(dir, 'ca.crt');
  const secretAccessKey = `secret-${Math.random().toString(36).slice(2, 14)}`;
  const bucket = opts.bucket ?? 'backups';
  let child: ChildProcess | undefined;
  const onExit = () => child && killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (child) {
      killGroup(child, 'SIGTERM');
      const done = await Promise.race([exited(child).then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        killGroup(child, 'SIGKILL');
        await exited(child);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync(dataDir);
    const caPem = opts.tls ? await makeServerCertificate(certsDir, caFile) : undefined;
    if (!opts.tls) mkdirSync(certsDir, { mode: 0o700 });
    const scheme = opts.tls ? 'https' : 'http';
    let endpointURL = '';
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      endpointURL = `${scheme}://127.0.0.1:${port}`;
      const logFile = join(dir, `minio-${attempt}.log`);
      const logFd = openSync(logFile, 'a');
      const started = spawn(
        MINIO_BIN,
        ['server', dataDir, '--address', `127.0.0.1:${port}`, '--certs-dir', certsDir, '--quiet'],
        {
          detached: true,
          stdio: ['ignore', logFd, logFd],
          env: {
            PATH: '/usr/bin:/bin',
            HOME: dir,
            MINIO_ROOT_USER: ACCESS_KEY_ID,
            MINIO_ROOT_PASSWORD: secretAccessKey,
            // No web console: it would take a second port, on every interface.
            MINIO_BROWSER: 'off',
          },
        },
      );
      closeSync(logFd);
      child = started;
      const deadline = Date.now() + READY_TIMEOUT_MS;
      let ready = false;
      while (!ready && Date.now() < deadline && started.exitCode === null && started.signalCode === null) {
        ready = await healthy(endpointURL, caPem);
        if (!ready) await sleep(200);
      }
      if (ready) break;
      const log = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      killGroup(started, 'SIGKILL');
      await exited(started);
      child = undefined;
      if (attempt >= START_ATTEMPTS || !/address already in use/.test(log)) {
        throw new Error(`MinIO did not become ready on ${endpointURL}: ${log || '(no output)'}`);
      }
    }
    const store: ObjectStore = {
      ...storeClient(
        dir,
        endpointURL,
        bucket,
        { accessKeyId: ACCESS_KEY_ID, secretAccessKey },
        caPem === undefined ? undefined : { caPem, caFile },
        stop,
      ),
      dataDir,
    };
    await store.createBucket(bucket);
    return store;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The barman-cloud tools a test may run. */
export type BarmanCloudTool =
  | 'barman-cloud-backup'
  | 'barman-cloud-backup-delete'
  | 'barman-cloud-backup-list'
  | 'barman-cloud-backup-show'
  | 'barman-cloud-check-wal-archive'
  | 'barman-cloud-restore'
  | 'barman-cloud-wal-archive'
  | 'barman-cloud-wal-restore';

export interface BarmanCloudOptions {
  /** More environment (e.g. PGHOST and PGPORT for barman-cloud-backup); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * Runs a barman-cloud tool against `store` as upstream runs it: `--endpoint-url` and
 * `--cloud-provider aws-s3` first, then `args` (options, then `<destinationPath> <serverName> ...`),
 * credentials and the CA bundle in the environment. It runs as the pod user (`postgres` when we are
 * root), as it does in an instance's pod, so it can read and write PostgreSQL's files.
 */
export function runBarmanCloud(
  store: ObjectStoreClient,
  tool: BarmanCloudTool,
  args: string[],
  opts: BarmanCloudOptions = {},
): Promise<CommandResult> {
  const bin = join(BARMAN_VENV, 'bin', tool);
  if (!existsSync(bin)) throw new Error(`${tool} is not installed at ${bin}: run scripts/setup.sh as root`);
  const env = Object.entries({ ...store.clientEnv(), ...opts.env }).filter(
    (e): e is [string, string] => e[1] !== undefined,
  );
  return runCommand(bin, ['--endpoint-url', store.endpointURL, '--cloud-provider', 'aws-s3', ...args], {
    env: Object.fromEntries(env),
    asPodUser: true,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
}

/** The sample `cnpg local up -f samples/minio.yaml` applies; the pod store below applies it too. */
export const MINIO_SAMPLE = join(PROJECT_ROOT, 'samples', 'minio.yaml');

export interface ObjectStorePodOptions {
  /** Where the sample's objects go; created (and deleted on stop) unless `default`. */
  namespace?: string;
  /** Serve HTTPS: a Secret `minio-tls` (certificate from a CA made here) mounted at MinIO's certs dir. */
  tls?: boolean;
  timeoutMs?: number;
}

/** MinIO as a pod of a local runtime: samples/minio.yaml behind its Service `minio`. */
export interface ObjectStorePod extends ObjectStoreClient {
  namespace: string;
  /** The Service's cluster IP, which the endpoint URL names. */
  serviceIP: string;
}

const isKind = (kind: string) => (o: KubernetesObject) => o.kind === kind;

/**
 * Applies samples/minio.yaml to the runtime `kc` talks to and waits for MinIO's pod to be Ready;
 * with `tls`, the Deployment also mounts a Secret `minio-tls` (`public.crt`, `private.key`, valid
 * for the Service's IP and names) at `/root/.minio/certs` and probes over HTTPS. The endpoint is the
 * Service's cluster IP, as the service proxy serves it. `stop()` deletes what was applied.
 */
export async function startObjectStorePod(kc: KubeConfig, opts: ObjectStorePodOptions = {}): Promise<ObjectStorePod> {
  const namespace = opts.namespace ?? 'default';
  const objects = parseAllDocuments(readFileSync(MINIO_SAMPLE, 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null)
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  const api = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const dir = clientDir();
  const created: KubernetesObject[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const o of created.reverse()) {
      try {
        await api.delete(o);
      } catch {
        // Already gone (a namespace's deletion takes its content).
      }
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=minio' }).catch(() => undefined);
      if (pods === undefined || pods.items.length === 0) break;
      await sleep(200);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const create = async (o: KubernetesObject): Promise<KubernetesObject> => {
    const made = await api.create(o);
    created.push(made);
    return made;
  };
  try {
    if (namespace !== 'default') await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const service = (await create(objects.find(isKind('Service')) as KubernetesObject)) as V1Service;
    const serviceIP = service.spec?.clusterIP ?? '';
    const secret = objects.find(isKind('Secret')) as V1Secret;
    const credentials = {
      accessKeyId: secret.stringData?.ACCESS_KEY_ID ?? '',
      secretAccessKey: secret.stringData?.ACCESS_SECRET_KEY ?? '',
    };
    const deployment = objects.find(isKind('Deployment')) as V1Deployment;
    let ca: { caPem: string; caFile: string } | undefined;
    if (opts.tls) {
      const caPair = await createRootCA('cnpg-test-object-store', namespace);
      const names = ['minio', `minio.${namespace}`, `minio.${namespace}.svc`, `minio.${namespace}.svc.cluster.local`];
      const leaf = await createLeaf(caPair, { commonName: 'minio', usage: 'server', altNames: [serviceIP, ...names] });
      await create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'minio-tls', namespace },
        stringData: { 'public.crt': leaf.certPem, 'private.key': leaf.keyPem },
      } as KubernetesObject);
      const pod = deployment.spec?.template.spec;
      const container = pod?.containers[0];
      if (pod === undefined || container === undefined)
        throw new Error(`${MINIO_SAMPLE}: the Deployment has no container`);
      pod.volumes = [...(pod.volumes ?? []), { name: 'certs', secret: { secretName: 'minio-tls' } }];
      container.volumeMounts = [...(container.volumeMounts ?? []), { name: 'certs', mountPath: '/root/.minio/certs' }];
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        if (probe?.httpGet) probe.httpGet.scheme = 'HTTPS';
      }
      const caFile = join(dir, 'ca.crt');
      writeFileSync(caFile, caPair.certPem, { mode: 0o644 });
      ca = { caPem: caPair.certPem, caFile };
    }
    for (const o of objects) if (o.kind !== 'Service') await create(o);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=minio' })).items;
      const ready = pods.some((p) =>
        (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      if (ready) break;
      if (Date.now() > deadline) {
        const states = pods.map((p) => JSON.stringify(p.status?.containerStatuses?.map((c) => c.state) ?? p.status));
        throw new Error(`MinIO's pod in ${namespace} not Ready after ${timeoutMs} ms: ${states.join('; ')}`);
      }
      await sleep(200);
    }
    const scheme = opts.tls ? 'https' : 'http';
    const client = storeClient(dir, `${scheme}://${serviceIP}:9000`, 'backups', credentials, ca, stop);
    return { ...client, namespace, serviceIP };
  } catch (err) {
    await stop();
    throw err;
  }
}
