import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_EXCLUDES, compileRules, PGDATA_EXCLUDES, pathAllowed } from './exclusions.ts';

const pgdata = compileRules([...PGDATA_EXCLUDES, ...COMMON_EXCLUDES, '/pg_tblspc/16385']);
const allowed = (path: string, isDir = false) => pathAllowed(pgdata, [], path, isDir);

describe("barman's PGDATA exclusions", () => {
  it('keep the data, the configuration and the directories themselves', () => {
    for (const p of ['PG_VERSION', 'base/1/1259', 'global/1262', 'postgresql.conf', 'pg_hba.conf', 'custom.conf']) {
      assert.equal(allowed(p), true, p);
    }
    for (const d of ['.', 'pg_wal', 'pg_replslot', 'pg_stat_tmp', 'base', 'pg_tblspc', 'log']) {
      assert.equal(allowed(d, true), true, d);
    }
  });

  it('leave out WAL, logs, pg_control, runtime files and the contents of transient directories', () => {
    for (const p of [
      'pg_wal/000000010000000000000001',
      'log/postgres.csv',
      'global/pg_control',
      'postmaster.pid',
      'postmaster.opts',
      'standby.signal',
      'base/16384/pg_internal.init',
      'global/pg_internal.init',
      'pg_stat_tmp/global.stat',
      'base/pgsql_tmp/pgsql_tmp123.0',
      'base/16384/t3_16400',
      'base/16384/t3_16400_fsm',
    ]) {
      assert.equal(allowed(p), false, p);
    }
    for (const d of ['pg_wal/archive_status', 'pg_replslot/slot', 'base/pgsql_tmp', 'pg_tblspc/16385']) {
      assert.equal(allowed(d, true), false, d);
    }
  });

  it('anchor rules with a leading slash only at the top', () => {
    assert.equal(allowed('base/1/global/pg_control'), true);
    assert.equal(allowed('sub/log/x', false), true);
    // Unanchored rules match at any depth.
    assert.equal(allowed('sub/postmaster.pid'), false);
  });
});

describe('tablespace rules', () => {
  const exclude = compileRules(['/*', ...COMMON_EXCLUDES]);
  const include = compileRules(['/PG_15_*']);
  it("keep only this major version's directory", () => {
    // As in barman, the top directory itself is excluded (no entry) but walked.
    assert.equal(pathAllowed(exclude, include, '.', true), false);
    assert.equal(pathAllowed(exclude, include, 'PG_15_202209061', true), true);
    assert.equal(pathAllowed(exclude, include, 'PG_15_202209061/16384/16390', false), true);
    assert.equal(pathAllowed(exclude, include, 'PG_14_202107181', true), false);
    assert.equal(pathAllowed(exclude, include, 'stray-file', false), false);
  });
});
