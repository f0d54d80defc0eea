import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQueries, QueryFileError } from './query-file.ts';
import { metricName } from './query-metrics.ts';
import { defaultQueries } from './query-sources.ts';
import { postgresSemver, versionInRange } from './version-range.ts';

const VALID = `
some_query:
  query: SELECT datname, count, state FROM x
  primary: true
  cache_seconds: 10
  runonserver: ">=14.0.0 <17.0.0"
  predicate_query: SELECT true
  target_databases: ["app", "db_*"]
  metrics:
    - datname:
        usage: LABEL
        description: the database
    - count:
        usage: counter
        description: how many
    - state:
        usage: MAPPEDMETRIC
        description: the state
        metric_mapping:
          up: 1
          down: 0
renamed:
  name: other_prefix
  master: true
  query: SELECT 1 AS v
  metrics:
    - v: { usage: DURATION, description: d }
`;

describe('custom query file', () => {
  it('parses every field of upstream format', () => {
    const { queries, errors } = parseQueries(VALID);
    assert.deepEqual(errors, []);
    const [q, renamed] = queries;
    assert.ok(q && renamed);
    assert.equal(q.key, 'some_query');
    assert.equal(q.namespace, 'some_query');
    assert.equal(q.primaryOnly, true);
    assert.equal(q.cacheSeconds, 10);
    assert.equal(q.predicateQuery, 'SELECT true');
    assert.deepEqual(q.targetDatabases, ['app', 'db_*']);
    assert.deepEqual(
      q.columns.map((c) => [c.column, c.usage]),
      [
        ['datname', 'LABEL'],
        ['count', 'COUNTER'],
        ['state', 'MAPPEDMETRIC'],
      ],
    );
    assert.deepEqual(q.columns[2]?.valueMap, { up: 1, down: 0 });
    assert.ok(q.runOnServer);
    assert.equal(versionInRange(q.runOnServer, postgresSemver('15.8')), true);
    assert.equal(versionInRange(q.runOnServer, postgresSemver('17.2')), false);
    assert.equal(renamed.namespace, 'other_prefix');
    assert.equal(renamed.primaryOnly, true, 'master is the older spelling of primary');
    assert.equal(metricName(renamed, renamed.columns[0] ?? assert.fail()), 'cnpg_other_prefix_v_milliseconds');
  });

  const rejected: [string, string, RegExp][] = [
    ['no query', 'q:\n  metrics: [{a: {usage: GAUGE}}]', /query "q": query is required/],
    ['no metrics', 'q:\n  query: SELECT 1', /query "q": metrics must list at least one column/],
    ['unknown usage', 'q:\n  query: S\n  metrics: [{a: {usage: WEIRD}}]', /usage "WEIRD" is not one of DISCARD, LABEL/],
    ['histogram', 'q:\n  query: S\n  metrics: [{a: {usage: HISTOGRAM}}]', /HISTOGRAM is not supported/],
    [
      'mapping missing',
      'q:\n  query: S\n  metrics: [{a: {usage: MAPPEDMETRIC}}]',
      /MAPPEDMETRIC needs a metric_mapping/,
    ],
    [
      'bad mapping',
      'q:\n  query: S\n  metrics: [{a: {usage: MAPPEDMETRIC, metric_mapping: {x: y}}}]',
      /must be a number/,
    ],
    ['two columns in one entry', 'q:\n  query: S\n  metrics: [{a: {usage: GAUGE}, b: {usage: GAUGE}}]', /exactly one/],
    ['column twice', 'q:\n  query: S\n  metrics: [{a: {usage: GAUGE}}, {a: {usage: LABEL}}]', /described twice/],
    ['bad cache', 'q:\n  query: S\n  cache_seconds: -1\n  metrics: [{a: {usage: GAUGE}}]', /cache_seconds/],
    ['bad range', 'q:\n  query: S\n  runonserver: "~>x"\n  metrics: [{a: {usage: GAUGE}}]', /not a version comparator/],
    ['bad targets', 'q:\n  query: S\n  target_databases: app\n  metrics: [{a: {usage: GAUGE}}]', /target_databases/],
    ['bad metric name', 'q-1:\n  query: S\n  metrics: [{a: {usage: GAUGE}}]', /invalid metric name "cnpg_q-1_a"/],
    ['bad label name', 'q:\n  query: S\n  metrics: [{a-b: {usage: LABEL}}]', /invalid label name "a-b"/],
  ];
  for (const [what, text, message] of rejected) {
    it(`leaves out a query with ${what}, keeping the others`, () => {
      const { queries, errors } = parseQueries(
        `${text}\nok:\n  query: SELECT 1 AS a\n  metrics: [{a: {usage: GAUGE}}]\n`,
      );
      assert.deepEqual(
        queries.map((q) => q.key),
        ['ok'],
      );
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', message);
    });
  }

  it('rejects a file that is not a YAML map as a whole', () => {
    assert.throws(() => parseQueries('- a\n- b'), QueryFileError);
    assert.throws(() => parseQueries('q: [unclosed'), /not valid YAML/);
    assert.deepEqual(parseQueries(''), { queries: [], errors: [] });
  });

  it('ships default queries that parse and produce the metric names upstream exports', () => {
    const names = defaultQueries().flatMap((q) =>
      q.columns.filter((c) => c.usage !== 'LABEL').map((c) => metricName(q, c)),
    );
    for (const expected of [
      'cnpg_backends_total',
      'cnpg_backends_max_tx_duration_seconds',
      'cnpg_backends_waiting_total',
      'cnpg_pg_database_size_bytes',
      'cnpg_pg_database_xid_age',
      'cnpg_pg_database_mxid_age',
      'cnpg_pg_postmaster_start_time',
      'cnpg_pg_replication_lag',
      'cnpg_pg_replication_in_recovery',
      'cnpg_pg_replication_is_wal_receiver_up',
      'cnpg_pg_replication_streaming_replicas',
      'cnpg_pg_replication_slots_active',
      'cnpg_pg_replication_slots_pg_wal_lsn_diff',
      'cnpg_pg_stat_archiver_archived_count',
      'cnpg_pg_stat_archiver_seconds_since_last_archival',
      'cnpg_pg_stat_archiver_last_archived_wal_start_lsn',
      'cnpg_pg_stat_bgwriter_checkpoints_timed',
      'cnpg_pg_stat_bgwriter_buffers_alloc',
      'cnpg_pg_stat_checkpointer_restartpoints_done',
      'cnpg_pg_stat_database_xact_commit',
      'cnpg_pg_stat_database_blk_write_time',
      'cnpg_pg_stat_replication_replay_lag_seconds',
      'cnpg_pg_settings_setting',
      'cnpg_pg_extensions_update_available',
    ]) {
      assert.ok(names.includes(expected), expected);
    }
    const bgwriter17 = defaultQueries().find((q) => q.key === 'pg_stat_bgwriter_17');
    assert.equal(bgwriter17?.namespace, 'pg_stat_bgwriter');
    assert.deepEqual(defaultQueries().find((q) => q.key === 'pg_extensions')?.targetDatabases, ['*']);
    assert.equal(defaultQueries().find((q) => q.key === 'pg_stat_replication')?.primaryOnly, true);
  });
});

describe('runonserver ranges', () => {
  const cases: [string, string, boolean][] = [
    ['<17.0.0', '16.4', true],
    ['<17.0.0', '17.0', false],
    ['>=17.0.0', '17.2', true],
    ['>= 17.0.0', '16.9', false],
    ['>=11.0.0 <13.0.0', '12.1', true],
    ['>=11.0.0 <13.0.0', '13.1', false],
    ['<12.0.0 || >=16.0.0', '16.1', true],
    ['<12.0.0 || >=16.0.0', '14.1', false],
    ['15.0.8', '15.8', true],
    ['!=15.0.8', '15.8', false],
    ['>9.6.0', '9.6.24', true],
  ];
  for (const [range, version, expected] of cases) {
    it(`${version} ${expected ? 'is' : 'is not'} in "${range}"`, () => {
      const parsed = parseQueries(`q:\n  query: S\n  runonserver: "${range}"\n  metrics: [{a: {usage: GAUGE}}]`);
      const r = parsed.queries[0]?.runOnServer;
      assert.ok(r, parsed.errors.join());
      assert.equal(versionInRange(r, postgresSemver(version)), expected);
    });
  }
});
