// The object-store test support against real components: MinIO over HTTP and HTTPS, the barman-cloud
// tools from PyPI, and a WAL segment a real PostgreSQL wrote, archived and restored byte for byte;
// MinIO as a plain process, and as a pod of a local runtime from samples/minio.yaml. PostgreSQL at
// 127.0.48.1.
import assert from 'node:assert/strict';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cnpgSync,
  http,
  instanceArgs,
  layout,
  ManagerProcess,
  makeSandbox,
  POD_USER,
  psqlSocket,
  testCluster,
  waitFor,
  writeClusterFile,
  writeMountedObject,
} from '../instance/support.ts';
import { startTestRuntime, type TestRuntime } from '../local/node-harness.ts';
import {
  type ObjectStore,
  type ObjectStoreClient,
  type ObjectStorePod,
  runBarmanCloud,
  startObjectStore,
  startObjectStorePod,
} from './object-store.ts';

const sandbox = makeSandbox('object-store');
const pg1 = layout(sandbox, 'pg-1', '127.0.48.1');
const clusterFile = join(sandbox.root, 'cluster.yaml');
/** A completed WAL segment of pg-1, copied out of pg_wal before PostgreSQL can recycle it. */
let segment: { name: string; path: string; bytes: Buffer };

before(async () => {
  writeClusterFile(clusterFile, testCluster());
  writeMountedObject(join(sandbox.root, 'app-secret'), { username: 'app', password: 'app-password' });
  const init = cnpgSync([
    'instance',
    'init',
    ...instanceArgs(pg1, clusterFile, ['--app-secret-dir', join(sandbox.root, 'app-secret')]),
  ]);
  assert.equal(init.status, 0, init.stderr);
  const manager = new ManagerProcess(['instance', 'run', ...instanceArgs(pg1, clusterFile)]);
  sandbox.track(manager);
  await waitFor(
    'pg-1 ready',
    async () => ((await http(pg1.address, '/readyz')).status === 200 ? true : undefined),
    60_000,
  );
  const name = psqlSocket(pg1, 'SELECT pg_walfile_name(pg_current_wal_lsn())');
  psqlSocket(pg1, 'CREATE TABLE archived AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 10000) g');
  psqlSocket(pg1, 'SELECT pg_switch_wal()');
  const dir = join(sandbox.root, 'wal-to-archive');
  mkdirSync(dir);
  const path = join(dir, name);
  copyFileSync(join(pg1.pgdata, 'pg_wal', name), path);
  if (POD_USER) {
    chownSync(dir, POD_USER.uid, POD_USER.gid);
    chownSync(path, POD_USER.uid, POD_USER.gid);
  }
  segment = { name, path, bytes: readFileSync(path) };
  assert.equal(segment.bytes.length, 16 * 1024 * 1024, 'a whole 16 MB segment');
});

after(() => sandbox.dispose());

/** Archives the segment to `store` as server `server`, then restores it and compares the bytes. */
async function archiveAndRestore(store: ObjectStoreClient, server: string): Promise<void> {
  const check = await runBarmanCloud(store, 'barman-cloud-check-wal-archive', [store.destinationPath, server]);
  assert.equal(check.status, 0, `an empty archive passes the check: ${check.stderr}`);

  const archive = await runBarmanCloud(store, 'barman-cloud-wal-archive', [
    store.destinationPath,
    server,
    segment.path,
  ]);
  assert.equal(archive.status, 0, archive.stderr);

  const recheck = await runBarmanCloud(store, 'barman-cloud-check-wal-archive', [store.destinationPath, server]);
  assert.notEqual(recheck.status, 0, 'an archive holding WAL fails the check');
  assert.match(recheck.stderr, /Expected empty archive/);

  const restoreDir = join(sandbox.root, `restored-${server}`);
  mkdirSync(restoreDir);
  if (POD_USER) chownSync(restoreDir, POD_USER.uid, POD_USER.gid);
  const restored = join(restoreDir, 'RECOVERYXLOG');
  const restore = await runBarmanCloud(store, 'barman-cloud-wal-restore', [
    store.destinationPath,
    server,
    segment.name,
    restored,
  ]);
  assert.equal(restore.status, 0, restore.stderr);
  assert.ok(readFileSync(restored).equals(segment.bytes), 'the restored segment is byte-identical');

  const missing = await runBarmanCloud(store, 'barman-cloud-wal-restore', [
    store.destinationPath,
    server,
    'FFFFFFFF00000000000000FF',
    join(restoreDir, 'nothing'),
  ]);
  assert.equal(missing.status, 1, `a segment not in the archive is reported missing: ${missing.stderr}`);
}

describe('over HTTP', () => {
  let store: ObjectStore;
  before(async () => {
    store = await startObjectStore();
  });
  after(() => store?.stop());

  test('barman-cloud-wal-archive then barman-cloud-wal-restore give the segment back byte for byte', async () => {
    assert.match(store.endpointURL, /^http:\/\/127\.0\.0\.1:\d+$/);
    await archiveAndRestore(store, 'pg-http');
  });

  test('barman-cloud-backup-list reads the store, and refuses wrong credentials', async () => {
    const list = await runBarmanCloud(store, 'barman-cloud-backup-list', [store.destinationPath, 'pg-http']);
    assert.equal(list.status, 0, list.stderr);
    const denied = await runBarmanCloud(store, 'barman-cloud-backup-list', [store.destinationPath, 'pg-http'], {
      env: { AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    });
    assert.notEqual(denied.status, 0);
    assert.match(denied.stderr, /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|403/);
  });
});

describe('over HTTPS with a CA of its own', () => {
  let store: ObjectStore;
  before(async () => {
    store = await startObjectStore({ tls: true });
  });
  after(() => store?.stop());

  test('barman-cloud-wal-archive then barman-cloud-wal-restore give the segment back byte for byte', async () => {
    assert.match(store.endpointURL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(store.caPem ?? '', /BEGIN CERTIFICATE/);
    await archiveAndRestore(store, 'pg-https');
  });

  test('without the CA bundle the server certificate is not trusted', async () => {
    const list = await runBarmanCloud(store, 'barman-cloud-backup-list', [store.destinationPath, 'pg-https'], {
      env: { AWS_CA_BUNDLE: undefined },
    });
    assert.notEqual(list.status, 0);
    assert.match(list.stderr, /CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSL/i);
  });

  test('stop() ends MinIO and removes its directory', async () => {
    const other = await startObjectStore({ tls: true, bucket: 'scratch' });
    await other.stop();
    await other.stop();
    assert.equal(existsSync(other.dataDir), false);
    const refused = await fetch(other.endpointURL.replace('https', 'http')).then(
      () => false,
      () => true,
    );
    assert.ok(refused, 'nothing listens on its port any more');
  });
});

describe('as a pod of the local runtime, from samples/minio.yaml', () => {
  let runtime: TestRuntime;
  const stores: ObjectStorePod[] = [];
  before(async () => {
    runtime = await startTestRuntime();
  });
  after(async () => {
    for (const s of stores) await s.stop();
    await runtime?.stop();
  });

  test("over HTTP through the Service: the sample's bucket is there, WAL archives and restores", async () => {
    const store = await startObjectStorePod(runtime.rt.kubeConfig, { namespace: 'plain' });
    stores.push(store);
    assert.equal(store.endpointURL, `http://${store.serviceIP}:9000`);
    await archiveAndRestore(store, 'pg-pod-http');
  });

  test('over HTTPS with the certificate Secret mounted at /root/.minio/certs', async () => {
    // A second MinIO on the same port of another pod address: each pod has its own.
    const store = await startObjectStorePod(runtime.rt.kubeConfig, { namespace: 'tls', tls: true });
    stores.push(store);
    assert.equal(store.endpointURL, `https://${store.serviceIP}:9000`);
    await archiveAndRestore(store, 'pg-pod-https');
    const untrusted = await runBarmanCloud(store, 'barman-cloud-backup-list', [store.destinationPath, 'x'], {
      env: { AWS_CA_BUNDLE: undefined },
    });
    assert.notEqual(untrusted.status, 0);
  });

  test("a MinIO image's container with a shell command line is refused, naming it", async () => {
    await runtime.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'minio-shell' },
        spec: {
          containers: [
            { name: 'minio', image: 'minio/minio', command: ['/bin/bash', '-c'], args: ['minio server /data'] },
          ],
        },
      },
    });
    const waiting = await waitFor('the container refused', async () => {
      const pod = await runtime.core.readNamespacedPod({ name: 'minio-shell', namespace: 'default' });
      const w = pod.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerError' ? w : undefined;
    });
    assert.match(waiting.message ?? '', /command "\/bin\/bash -c" cannot run locally: MinIO's images run here as/);
    await runtime.core.deleteNamespacedPod({ name: 'minio-shell', namespace: 'default', gracePeriodSeconds: 0 });
  });
});
