import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { walArchive, walArchiveDestination } from './wal-archive.ts';

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

test('wal-archive succeeds without a destination and refuses one it cannot reach yet', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', spec: { instances: 1 } }));
  walArchive(file, 'pg_wal/000000010000000000000001');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      spec: { backup: { barmanObjectStore: {} } },
    }),
  );
  assert.throws(
    () => walArchive(file, 'pg_wal/000000010000000000000001'),
    /cannot archive pg_wal\/000000010000000000000001: WAL archiving to spec.backup.barmanObjectStore is not implemented yet/,
  );
});
