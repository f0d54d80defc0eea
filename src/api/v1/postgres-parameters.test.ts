import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultParameters,
  GLOBAL_DEFAULT_PARAMETERS,
  isBareInteger,
  isManagedExtensionUsed,
  isReservedParameter,
  isValidParameterName,
  managedSharedPreloadLibraries,
  parsePostgresBoolean,
  parsePostgresMemory,
  RESERVED_PARAMETERS,
  sanitizedParameters,
} from './postgres-parameters.ts';

const MiB = 1024 * 1024;

describe('reserved parameters', () => {
  it('classifies fixed and blocked parameters', () => {
    assert.equal(RESERVED_PARAMETERS.get('archive_mode'), 'fixed');
    assert.equal(RESERVED_PARAMETERS.get('listen_addresses'), 'blocked');
    assert.equal(RESERVED_PARAMETERS.get('pg_failover_slots.primary_dsn'), 'fixed');
    assert.ok(isReservedParameter('synchronized_standby_slots'));
    assert.ok(!isReservedParameter('shared_buffers'));
    assert.ok(!isReservedParameter('ssl_min_protocol_version'));
    assert.ok(!isReservedParameter('wal_level'));
  });
});

describe('parameter names', () => {
  for (const name of ['shared_buffers', 'pgaudit.log', '_x', 'a$b', 'Work_Mem', 'x.y$']) {
    it(`accepts ${name}`, () => assert.ok(isValidParameterName(name)));
  }
  for (const name of ['', '1abc', 'log_diconnections=', 'a-b', 'a.b.c', ' x', '#\narchive_command', 'a.']) {
    it(`rejects ${JSON.stringify(name)}`, () => assert.ok(!isValidParameterName(name)));
  }
});

describe('managed extensions', () => {
  it('detects an extension by its namespace', () => {
    assert.ok(isManagedExtensionUsed('pgaudit', { 'pgaudit.log': 'all' }));
    assert.ok(!isManagedExtensionUsed('pgaudit', { pgaudit: 'x' }));
    assert.ok(isManagedExtensionUsed('pg_failover_slots', { 'pg_failover_slots.synchronize_slot_names': 'x' }));
    assert.ok(!isManagedExtensionUsed('unknown', { 'unknown.x': 'y' }));
  });
  it('lists the libraries to preload', () => {
    assert.deepEqual(managedSharedPreloadLibraries({ 'auto_explain.log_min_duration': '1s', 'pgaudit.log': 'all' }), [
      'pgaudit',
      'auto_explain',
    ]);
  });
});

describe('sanitizedParameters / defaultParameters', () => {
  it('merges the user parameters over the defaults and sets archive_mode', () => {
    const got = defaultParameters(18, { shared_buffers: '256MB', wal_keep_size: '1GB' });
    assert.deepEqual(got, {
      ...GLOBAL_DEFAULT_PARAMETERS,
      shared_buffers: '256MB',
      wal_keep_size: '1GB',
      archive_mode: 'on',
    });
  });
  it('keeps reserved user parameters in the defaulter, drops them for validation', () => {
    assert.equal(defaultParameters(18, { port: '5433' }).port, '5433');
    assert.equal(sanitizedParameters(18, { port: '5433' }).port, undefined);
    // A blocked parameter equal to CNPG's default survives the sanitizing (so it is allowed).
    assert.equal(sanitizedParameters(18, { log_destination: 'stderr' }).log_destination, 'csvlog');
  });
  it('computes archive_mode', () => {
    assert.equal(defaultParameters(18, {}, { isReplicaCluster: true }).archive_mode, 'always');
    assert.equal(defaultParameters(18, {}, { isReplicaCluster: true, walArchivingDisabled: true }).archive_mode, 'off');
    // archive_mode is the operator's, whatever the user wrote.
    assert.equal(defaultParameters(18, { archive_mode: 'off' }).archive_mode, 'on');
  });
  it('starts from the defaults when the user set nothing', () => {
    assert.equal(defaultParameters(13, undefined).wal_level, 'logical');
  });
  it('keeps a __proto__ key as a plain entry', () => {
    const got = defaultParameters(18, JSON.parse('{"__proto__": "x"}') as Record<string, string>);
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.ok(Object.hasOwn(got, '__proto__'));
  });
});

describe('parsePostgresBoolean', () => {
  for (const v of ['on', 'ON', 'true', 'tr', 'y', 'yes', '1', 't']) {
    it(`${v} is true`, () => assert.equal(parsePostgresBoolean(v), true));
  }
  for (const v of ['off', 'of', 'false', 'f', 'n', 'no', '0', 'FALSE']) {
    it(`${v} is false`, () => assert.equal(parsePostgresBoolean(v), false));
  }
  for (const v of ['', 'o', 'enabled', '2', 'yess']) {
    it(`${JSON.stringify(v)} is not a boolean`, () => assert.equal(parsePostgresBoolean(v), undefined));
  }
});

describe('parsePostgresMemory', () => {
  const good: Array<[string, number]> = [
    ['128', 128 * MiB],
    ['128MB', 128 * MiB],
    ['8kB', 8 * 1024],
    ['1GB', 1024 * MiB],
    ['1TB', 1024 * 1024 * MiB],
    ['100B', 100],
    ['2 GB', 2048 * MiB],
    ['1 B', 1],
    ['1.5GB', 1536 * MiB],
    // apimachinery reads a quantity without digits as zero.
    ['MB', 0],
  ];
  for (const [value, bytes] of good) {
    it(`${value} = ${bytes} bytes`, () => assert.equal(parsePostgresMemory(value), bytes));
  }
  for (const value of ['1Gb', '1kb', '1Mb', '10Mi', 'abc', '1G', '1random', 'non-numeric', '1gB']) {
    it(`rejects ${value}`, () => assert.throws(() => parsePostgresMemory(value)));
  }
  it('knows a bare integer', () => {
    assert.ok(isBareInteger('1024'));
    assert.ok(!isBareInteger('1024MB'));
  });
});
