// WAL archiving from a real PostgreSQL primary into a real MinIO through `cnpg instance
// wal-archive` (PostgreSQL's archive_command): segments arrive gzip-compressed under barman-cloud's
// keys, `cnpg instance wal-restore` gives them back byte for byte, and a new cluster refuses an
// archive that already holds WAL unless annotated. Addresses 127.0.46.x.
import assert from 'node:assert/strict';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BarmanLayout } from '../../src/objectstore/barman-layout.ts';
import { type ObjectStore, runBarmanCloud, startObjectStore } from '../support/object-store.ts';
import { objectStoreClient } from '../support/object-store-client.ts';
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
} from './support.ts';

const sandbox = makeSandbox('wal-archive');
const pg1 = layout(sandbox, 'pg-1', '127.0.46.1');
const clusterFile = join(sandbox.root, 'cluster.yaml');
const secretsRoot = join(sandbox.root, 'secrets');
const storeLayout = new BarmanLayout('e2e', 'pg');
let minio: ObjectStore;

function backupCluster(
  name: string,
  annotations: Record<string, string> = {},
  serverName = 'pg',
): Record<string, unknown> {
  const cluster = testCluster({
    spec: {
      instances: 1,
      backup: {
        barmanObjectStore: {
          destinationPath: 's3://wal/e2e',
          serverName,
          endpointURL: minio.endpointURL,
          s3Credentials: {
            accessKeyId: { name: 'minio', key: 'ACCESS_KEY_ID' },
            secretAccessKey: { name: 'minio', key: 'ACCESS_SECRET_KEY' },
          },
          wal: { compression: 'gzip', maxParallel: 4 },
        },
      },
    },
  });
  return { ...cluster, metadata: { name, namespace: 'default', annotations } };
}

before(async () => {
  minio = await startObjectStore({ bucket: 'wal' });
  writeMountedObject(join(secretsRoot, 'minio'), {
    ACCESS_KEY_ID: minio.accessKeyId,
    ACCESS_SECRET_KEY: minio.secretAccessKey,
  });
  writeClusterFile(clusterFile, backupCluster('pg'));
  writeMountedObject(join(sandbox.root, 'app-secret'), { username: 'app', password: 'app-password' });
  const extra = ['--secrets-root', secretsRoot];
  const init = cnpgSync([
    'instance',
    'init',
    ...instanceArgs(pg1, clusterFile, [...extra, '--app-secret-dir', join(sandbox.root, 'app-secret')]),
  ]);
  assert.equal(init.status, 0, init.stderr);
  assert.ok(existsSync(join(pg1.pgdata, '.check-empty-wal-archive')), 'a new cluster checks its archive first');
  const manager = new ManagerProcess(['instance', 'run', ...instanceArgs(pg1, clusterFile, extra)]);
  sandbox.track(manager);
  await waitFor('readiness', async () => ((await http(pg1.address, '/readyz')).status === 200 ? true : undefined));
});

after(async () => {
  await sandbox.dispose();
  await minio?.stop();
});

const switched: string[] = [];

/** `cnpg instance wal-restore` of `name` into `target`, with the Cluster in `file`. */
function walRestore(file: string, scratch: string, name: string, target: string, extra: string[] = []) {
  return cnpgSync([
    'instance',
    'wal-restore',
    '--cluster-file',
    file,
    '--secrets-root',
    secretsRoot,
    '--scratch-dir',
    join(sandbox.root, scratch),
    ...extra,
    name,
    target,
  ]);
}

test('switched segments arrive gzip-compressed under barman-cloud keys', async () => {
  psqlSocket(pg1, 'CREATE TABLE t (x int)');
  for (let i = 0; i < 6; i++) {
    const name = psqlSocket(
      pg1,
      'INSERT INTO t SELECT generate_series(1, 1000); SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal();',
    ).split('\n')[0] as string;
    switched.push(name);
  }
  const store = objectStoreClient(minio);
  try {
    const last = switched.at(-1) as string;
    await waitFor(
      `${last} archived`,
      () => {
        const archived = psqlSocket(pg1, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return archived >= last ? true : undefined;
      },
      120_000,
    );
    const keys = new Set((await store.list(storeLayout.walsPrefix)).objects.map((o) => o.key));
    for (const name of switched) {
      const key = `e2e/pg/wals/${name.slice(0, 16)}/${name}.gz`;
      assert.ok(keys.has(key), `${key} in ${[...keys].join(', ')}`);
    }
  } finally {
    store.close();
  }
  assert.equal(existsSync(join(pg1.pgdata, '.check-empty-wal-archive')), false, 'the check runs once');
  const failed = psqlSocket(pg1, 'SELECT failed_count FROM pg_stat_archiver');
  assert.equal(failed, '0');
});

test('wal-restore gives an archived segment back byte for byte', () => {
  const name = switched.at(-1) as string;
  const target = join(sandbox.root, 'restored', name);
  mkdirSync(join(sandbox.root, 'restored'), { recursive: true });
  const r = walRestore(clusterFile, 'restore-scratch', name, target, ['--pgdata', sandbox.root]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(target).equals(readFileSync(join(pg1.pgdata, 'pg_wal', name))), 'identical to pg_wal');
  const missing = walRestore(
    clusterFile,
    'restore-scratch',
    '000000010000000F00000001',
    join(sandbox.root, 'restored', 'missing'),
  );
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /error: 000000010000000F00000001 is not in s3:\/\/wal\/e2e\/pg\/wals\//);
});

test("a new cluster refuses an archive holding another cluster's WAL unless annotated", () => {
  // A second cluster's first segment, archived to the same place.
  const other = join(sandbox.root, 'other-pgdata');
  mkdirSync(join(other, 'pg_wal'), { recursive: true });
  const name = '000000010000000000000001';
  copyFileSync(join(pg1.pgdata, 'pg_wal', switched.at(-1) as string), join(other, 'pg_wal', name));
  const otherFile = join(sandbox.root, 'other.yaml');
  const archive = () =>
    cnpgSync([
      'instance',
      'wal-archive',
      '--cluster-file',
      otherFile,
      '--secrets-root',
      secretsRoot,
      '--scratch-dir',
      join(sandbox.root, 'other-scratch'),
      '--pgdata',
      other,
      `pg_wal/${name}`,
    ]);
  writeClusterFile(otherFile, backupCluster('other'));
  const flag = join(other, '.check-empty-wal-archive');
  writeFileSync(flag, '');
  const refused = archive();
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /error: cannot archive 000000010000000000000001: Expected empty archive: s3:\/\/wal\/e2e\/pg\/wals\/ already holds \d+ WAL file/,
  );
  assert.ok(existsSync(flag), 'still checks next time');
  writeClusterFile(otherFile, backupCluster('other', { 'cnpg.io/skipEmptyWalArchiveCheck': 'enabled' }));
  const accepted = archive();
  assert.equal(accepted.status, 0, accepted.stderr);
  assert.equal(existsSync(flag), false);
});

test('barman-cloud-wal-restore restores our segments byte for byte, we restore what barman-cloud-wal-archive wrote', async () => {
  const name = switched.at(-1) as string;
  const original = readFileSync(join(pg1.pgdata, 'pg_wal', name));
  // The barman-cloud tools run as the pod user, as in an instance's pod.
  const barmanDir = join(sandbox.root, 'barman');
  mkdirSync(barmanDir);
  if (POD_USER) chownSync(barmanDir, POD_USER.uid, POD_USER.gid);
  const byBarman = join(barmanDir, 'restored');
  const restored = await runBarmanCloud(minio, 'barman-cloud-wal-restore', ['s3://wal/e2e', 'pg', name, byBarman]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.ok(readFileSync(byBarman).equals(original));

  const archived = await runBarmanCloud(minio, 'barman-cloud-wal-archive', [
    '--gzip',
    's3://wal/e2e',
    'barman',
    join(pg1.pgdata, 'pg_wal', name),
  ]);
  assert.equal(archived.status, 0, archived.stderr);
  const barmanFile = join(sandbox.root, 'barman-cluster.yaml');
  writeClusterFile(barmanFile, backupCluster('pg', {}, 'barman'));
  const target = join(sandbox.root, 'ours-from-barman');
  const r = walRestore(barmanFile, 'barman-scratch', name, target);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(target).equals(original));
});
