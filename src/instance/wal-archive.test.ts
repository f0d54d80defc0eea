import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { walArchive } from './wal-archive.ts';
import { walArchiveDestination } from './wal-store.ts';

test('a Cluster archives WAL to its object store or its WAL-archiver plugin, else nowhere', () => {
  const cases: [unknown, string | undefined][] = [
    [{ spec: {} }, undefined],
    [{ spec: { backup: { retentionPolicy: '30d' } } }, undefined],
    [{ spec: { backup: { barmanObjectStore: { destinationPath: 's3://b' } } } }, 'spec.backup.barmanObjectStore'],
    [
      { spec: { plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true }] } },
      'plugin "barman-cloud.cloudnative-pg.io"',
    ],
    [{ spec: { plugins: [{ name: 'p', isWALArchiver: true, enabled: false }] } }, undefined],
    [{ spec: { plugins: [{ name: 'p' }] } }, undefined],
  ];
  for (const [cluster, expected] of cases) assert.equal(walArchiveDestination(cluster as never), expected);
});

test('wal-archive succeeds without a destination, refuses a plugin and names a missing credential', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clusterFile = join(dir, 'cluster.json');
  const options = {
    clusterFile,
    walPath: 'pg_wal/000000010000000000000001',
    pgdata: dir,
    spoolDir: join(dir, 'spool'),
  };
  const write = (spec: unknown) =>
    writeFileSync(clusterFile, JSON.stringify({ kind: 'Cluster', metadata: { name: 'pg' }, spec }));
  write({ instances: 1 });
  await walArchive(options);
  write({ plugins: [{ name: 'p', isWALArchiver: true }] });
  await assert.rejects(
    walArchive(options),
    /cannot archive pg_wal\/000000010000000000000001: WAL archiving to plugin "p" is not implemented yet/,
  );
  write({
    backup: {
      barmanObjectStore: {
        destinationPath: 's3://b',
        s3Credentials: { accessKeyId: { name: 'aws', key: 'ID' }, secretAccessKey: { name: 'aws', key: 'KEY' } },
      },
    },
  });
  await assert.rejects(
    walArchive(options),
    /spec.backup.barmanObjectStore.s3Credentials.accessKeyId refers to Secret "aws", but --secrets-root is not set/,
  );
  await assert.rejects(
    walArchive({ ...options, secretsRoot: join(dir, 'secrets') }),
    /cannot read spec.backup.barmanObjectStore.s3Credentials.accessKeyId \(Secret "aws", key "ID"\): .*: no such file/,
  );
});
