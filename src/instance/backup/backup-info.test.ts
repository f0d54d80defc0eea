import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBackupInfo, parseBackupInfo, parseBarmanTime, pythonUtcTime } from './backup-info.ts';
import { PyFloat } from './python-literal.ts';

// What a newer barman-cloud-backup (3.12) writes: fields barman 3.4 does not know among them.
const BARMAN_312 = `backup_label='START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\\nCHECKPOINT LOCATION: 0/4000060\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2024-05-01 10:11:12 UTC\\nLABEL: Barman backup cloud 20240501T101112\\nSTART TIMELINE: 1\\n'
backup_name=backup-example
begin_offset=40
begin_time=2024-05-01 10:11:12.345678+00:00
begin_wal=000000010000000000000004
begin_xlog=0/4000028
children_backup_ids=None
cluster_size=30111523
compression=None
config_file=/var/lib/postgresql/data/pgdata/postgresql.conf
copy_stats={'total_time': 2.345, 'number_of_workers': 2, 'analysis_time': 0, 'analysis_time_per_item': {}, 'copy_time_per_item': {'data': 1.2}, 'serialized_copy_time_per_item': {'data': 1.1}, 'copy_time': 1.2, 'serialized_copy_time': 1.1}
data_checksums=on
deduplicated_size=None
end_offset=312
end_time=2024-05-01 10:11:14.5+00:00
end_wal=000000010000000000000004
end_xlog=0/4000138
error=None
hba_file=/var/lib/postgresql/data/pgdata/pg_hba.conf
ident_file=/var/lib/postgresql/data/pgdata/pg_ident.conf
included_files=['/var/lib/postgresql/data/pgdata/custom.conf']
mode=None
parent_backup_id=None
pgdata=/var/lib/postgresql/data/pgdata
server_name=cloud
size=None
status=DONE
summarize_wal=None
systemid=7364431219548741652
tablespaces=[('tbs1', 16385, '/var/lib/postgresql/tablespaces/tbs1/data')]
timeline=1
version=150010
xlog_segment_size=16777216
`;

describe('parseBackupInfo', () => {
  it("reads barman-cloud-backup's backup.info, keeping unknown fields aside", () => {
    const info = parseBackupInfo(BARMAN_312, '20240501T101112');
    assert.equal(info.backupId, '20240501T101112');
    assert.equal(info.backupName, 'backup-example');
    assert.equal(info.status, 'DONE');
    assert.equal(info.beginWal, '000000010000000000000004');
    assert.equal(info.endXlog, '0/4000138');
    assert.equal(info.beginTime?.date.toISOString(), '2024-05-01T10:11:12.345Z');
    assert.equal(info.endTime?.date.toISOString(), '2024-05-01T10:11:14.500Z');
    assert.equal(info.timeline, 1);
    assert.equal(info.version, 150010);
    assert.equal(info.systemid, '7364431219548741652');
    assert.equal(info.error, undefined);
    assert.match(info.backupLabel ?? '', /^START WAL LOCATION: 0\/4000028 .*\nCHECKPOINT/);
    assert.deepEqual(info.tablespaces, [
      { name: 'tbs1', oid: 16385, location: '/var/lib/postgresql/tablespaces/tbs1/data' },
    ]);
    assert.deepEqual(info.includedFiles, ['/var/lib/postgresql/data/pgdata/custom.conf']);
    assert.equal(info.extra.data_checksums, 'on');
    assert.equal(info.extra.cluster_size, '30111523');
  });

  it('names the line that is not valid', () => {
    assert.throws(() => parseBackupInfo('status=DONE\ngarbage\n', 'x'), /line 2 is not key=value/);
    assert.throws(() => parseBackupInfo('timeline=one\n', 'x'), /line 1 \(timeline\): not an integer/);
    assert.throws(() => parseBackupInfo("tablespaces=[('a', 1\n", 'x'), /line 1 \(tablespaces\)/);
  });
});

describe('formatBackupInfo', () => {
  it("writes barman 3.4's fields only, sorted, and reads back what it wrote", () => {
    const info = parseBackupInfo(BARMAN_312, '20240501T101112');
    const text = formatBackupInfo({ ...info, copyStats: { total_time: new PyFloat(2.5), number_of_workers: 2 } });
    const keys = text
      .trim()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf('=')));
    assert.deepEqual(keys, [
      'backup_label',
      'backup_name',
      'begin_offset',
      'begin_time',
      'begin_wal',
      'begin_xlog',
      'compression',
      'config_file',
      'copy_stats',
      'deduplicated_size',
      'end_offset',
      'end_time',
      'end_wal',
      'end_xlog',
      'error',
      'hba_file',
      'ident_file',
      'included_files',
      'mode',
      'pgdata',
      'server_name',
      'size',
      'status',
      'systemid',
      'tablespaces',
      'timeline',
      'version',
      'xlog_segment_size',
    ]);
    // The lines barman wrote come back byte for byte.
    for (const line of text.trim().split('\n')) {
      if (!line.startsWith('copy_stats=')) assert.ok(BARMAN_312.includes(`${line}\n`), line);
    }
    assert.match(text, /^copy_stats=\{'total_time': 2\.5, 'number_of_workers': 2\}$/m);
    const again = parseBackupInfo(text, info.backupId);
    assert.deepEqual({ ...again, extra: {} }, { ...info, copyStats: again.copyStats, extra: {} });
  });

  it('leaves backup_name out when unset, as barman does', () => {
    const text = formatBackupInfo({
      backupId: 'x',
      status: 'FAILED',
      error: 'failure uploading data (boom)',
      extra: {},
    });
    assert.doesNotMatch(text, /backup_name/);
    assert.match(text, /^error=failure uploading data \(boom\)$/m);
    assert.match(text, /^tablespaces=None$/m);
  });
});

describe('times', () => {
  it("prints UTC times as Python's str(datetime) and reads every barman form", () => {
    assert.equal(pythonUtcTime(new Date('2024-05-01T10:11:12.345Z'), 345678).text, '2024-05-01 10:11:12.345678+00:00');
    assert.equal(pythonUtcTime(new Date('2024-05-01T10:11:12Z'), 0).text, '2024-05-01 10:11:12+00:00');
    assert.equal(parseBarmanTime('2024-05-01 12:11:12.5+02:00').date.toISOString(), '2024-05-01T10:11:12.500Z');
    assert.equal(parseBarmanTime('2024-05-01T10:11:12Z').date.toISOString(), '2024-05-01T10:11:12.000Z');
    assert.throws(() => parseBarmanTime('yesterday'), /not a barman time/);
  });
});
