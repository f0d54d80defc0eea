// A real S3 object store for tests: MinIO (scripts/setup.sh builds it) as a plain process on
// 127.0.0.1 with its own port and directory, over HTTP or HTTPS with a CA made for it, a bucket
// created through the S3 API; and the barman-cloud tools (scripts/setup.sh installs them) run
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
import { createLeaf, createRootCA } from '../../src/certs/key-pair.ts';
import { MINIO_BIN } from '../../src/local/node/image-map.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';

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

export interface ObjectStore {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
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
  /** MinIO's data directory: buckets are its top-level directories. */
  dataDir: string;
  /** Creates another bucket through the S3 API (CreateBucket). */
  createBucket(name: string): Promise<void>;
  /** The environment an S3 client needs for this store (credentials, region, CA bundle). */
  clientEnv(): Record<string, string>;
  /** Stops MinIO and removes its directory; safe to call more than once. */
  stop(): Promise<void>;
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

/** Starts MinIO for a test; the caller must `stop()` it (in `after`, so it runs on failure too). */
export async function startObjectStore(opts: ObjectStoreOptions = {}): Promise<ObjectStore> {
  if (!existsSync(MINIO_BIN)) throw new Error(`MinIO is not installed at ${MINIO_BIN}: run scripts/setup.sh as root`);
  const dir = mkdtempSync('/tmp/cnpg-object-store-');
  // The barman-cloud tools run as the pod user: they read the CA file and use `home` as HOME.
  chmodSync(dir, 0o755);
  const home = join(dir, 'client-home');
  mkdirSync(home);
  const user = podProcessUser();
  if (user) chownSync(home, user.uid, user.gid);
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
      endpointURL,
      bucket,
      destinationPath: `s3://${bucket}/`,
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey,
      region: OBJECT_STORE_REGION,
      ...(caPem === undefined ? {} : { caPem, caFile }),
      dataDir,
      clientEnv: () => ({
        PATH: `${join(BARMAN_VENV, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
        HOME: home,
        AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_DEFAULT_REGION: OBJECT_STORE_REGION,
        // Keep the machine's own AWS configuration (if any) out of the tests.
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        ...(caPem === undefined ? {} : { AWS_CA_BUNDLE: caFile }),
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
          { env: store.clientEnv(), timeoutMs: 60_000 },
        );
        if (r.status !== 0) throw new Error(`CreateBucket ${name} on ${endpointURL} failed: ${r.stderr.trim()}`);
      },
      stop,
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
  store: ObjectStore,
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
