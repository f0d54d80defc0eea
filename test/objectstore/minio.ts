// A real MinIO server for the object-store suites: its own data directory and port, a bucket
// made on demand, stopped (process group and directory) by dispose(). The binary comes from
// $MINIO_BIN, /usr/local/bin/minio or Go's bin directory (`go install github.com/minio/minio`).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { S3ObjectStore } from '../../src/objectstore/s3-client.ts';
import { staticCredentials } from '../../src/objectstore/s3-credentials.ts';

const CANDIDATES = [process.env.MINIO_BIN, '/usr/local/bin/minio', '/root/go/bin/minio'];

export const MINIO_BIN = CANDIDATES.find((p): p is string => p !== undefined && existsSync(p));

export interface Minio {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  client(bucket: string, overrides?: Partial<ConstructorParameters<typeof S3ObjectStore>[0]>): S3ObjectStore;
  makeBucket(bucket: string): Promise<void>;
  dispose(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

export async function startMinio(): Promise<Minio> {
  if (MINIO_BIN === undefined) throw new Error(`no MinIO binary (looked at ${CANDIDATES.filter(Boolean).join(', ')})`);
  const dir = mkdtempSync('/tmp/cnpg-minio-');
  const port = await freePort();
  const accessKey = 'cnpg-test';
  const secretKey = 'cnpg-test-secret';
  const child: ChildProcess = spawn(
    MINIO_BIN,
    ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--console-address', '127.0.0.1:0', '--quiet'],
    {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' },
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const dispose = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${endpoint}/minio/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await dispose();
      throw new Error(`MinIO did not start on ${endpoint}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const client = (bucket: string, overrides = {}) =>
    new S3ObjectStore({
      bucket,
      region: 'us-east-1',
      endpointURL: endpoint,
      credentials: staticCredentials({ accessKeyId: accessKey, secretAccessKey: secretKey }),
      ...overrides,
    });
  return {
    endpoint,
    accessKey,
    secretKey,
    client,
    async makeBucket(bucket) {
      const c = client(bucket);
      try {
        if (!(await c.bucketExists())) await c.createBucket();
      } finally {
        c.close();
      }
    },
    dispose,
  };
}
