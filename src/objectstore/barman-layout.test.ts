import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BarmanLayout, backupIdFor, parseXlogName, walHashDir } from './barman-layout.ts';

test('WAL, partial, backup-label and history names parse as barman parses them', () => {
  assert.deepEqual(parseXlogName('000000020000000A000000FE'), {
    name: '000000020000000A000000FE',
    kind: 'segment',
    timeline: 2,
    log: 10,
    seg: 254,
    compression: undefined,
  });
  assert.equal(parseXlogName('000000010000000000000003.partial')?.kind, 'partial');
  assert.equal(parseXlogName('000000010000000000000002.00000028.backup')?.kind, 'backup-label');
  assert.deepEqual(parseXlogName('00000003.history.gz'), {
    name: '00000003.history',
    kind: 'history',
    timeline: 3,
    compression: 'gzip',
  });
  assert.equal(parseXlogName('000000010000000000000001.zst')?.compression, 'zstd');
  for (const bad of ['00000001000000000000001', 'backup.info', '000000010000000000000001.tmp', 'XYZ00001.history']) {
    assert.equal(parseXlogName(bad), undefined, bad);
  }
});

test('keys follow barman-cloud: hash directory of timeline and log, history files beside them', () => {
  const layout = new BarmanLayout('backups/pg', 'cluster-example');
  assert.equal(
    layout.walKey('000000010000000200000003', 'gzip'),
    'backups/pg/cluster-example/wals/0000000100000002/000000010000000200000003.gz',
  );
  assert.equal(layout.walKey('00000002.history'), 'backups/pg/cluster-example/wals/00000002.history');
  assert.equal(
    layout.walKey('000000010000000000000002.00000028.backup', 'zstd'),
    'backups/pg/cluster-example/wals/0000000100000000/000000010000000000000002.00000028.backup.zst',
  );
  assert.throws(() => layout.walKey('pg_wal'), /"pg_wal" is not a WAL, partial, backup label or history file name/);
  assert.equal(new BarmanLayout('', 'c').walKey('00000002.history'), 'c/wals/00000002.history');
  assert.equal(walHashDir(parseXlogName('000000010000000A000000FE') as never), '000000010000000A');
});

test("keys parse back into the file they hold, and only this server's", () => {
  const layout = new BarmanLayout('p', 's');
  assert.equal(layout.parseWalKey('p/s/wals/0000000100000002/000000010000000200000003.bz2')?.compression, 'bzip2');
  assert.equal(layout.parseWalKey('p/s/wals/00000002.history')?.kind, 'history');
  assert.equal(layout.parseWalKey('p/s/wals/0000000100000003/000000010000000200000003'), undefined);
  assert.equal(layout.parseWalKey('p/other/wals/00000002.history'), undefined);
  assert.equal(layout.parseBackupKey('p/s/base/20240101T010203/backup.info'), '20240101T010203');
  // A listing with delimiter '/' of basePrefix gives each backup's directory.
  assert.equal(layout.basePrefix, 'p/s/base/');
  assert.equal(layout.parseBackupKey('p/s/base/20240101T010203/'), '20240101T010203');
  assert.equal(layout.parseBackupKey('p/s/wals/00000002.history'), undefined);
});

test('base backups: backup.info and one tar per tablespace, split parts numbered as barman does', () => {
  const layout = new BarmanLayout('p', 's');
  assert.equal(layout.backupPrefix('20240102T030405'), 'p/s/base/20240102T030405/');
  assert.equal(layout.backupInfoKey('20240102T030405'), 'p/s/base/20240102T030405/backup.info');
  assert.equal(new BarmanLayout('', 's').backupInfoKey('20240102T030405'), 's/base/20240102T030405/backup.info');
  assert.equal(layout.tarKey('20240102T030405', 'data'), 'p/s/base/20240102T030405/data.tar');
  assert.equal(layout.tarKey('20240102T030405', '16384', 0, 'gzip'), 'p/s/base/20240102T030405/16384.tar.gz');
  assert.equal(layout.tarKey('20240102T030405', 'data', 1, 'snappy'), 'p/s/base/20240102T030405/data_0001.tar.snappy');
  assert.throws(() => layout.tarKey('x', 'data', 0, 'zstd'), /does not write zstd-compressed tars/);
  assert.equal(backupIdFor(new Date(2024, 0, 2, 3, 4, 5)), '20240102T030405');
  assert.equal(backupIdFor(new Date(2024, 4, 1, 9, 8, 7)), '20240501T090807');
});
