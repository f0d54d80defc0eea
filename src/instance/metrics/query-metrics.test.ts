import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applicationDatabase, observedSyncReplicas, queriesTtlSeconds, settingBytes } from './exporter.ts';
import { renderFamilies } from './exposition.ts';
import { parseQueries, type UserQuery } from './query-file.ts';
import { buildMetrics, type ColumnKind, type MetricFamily, QueryResultError, type ResultSet } from './query-metrics.ts';
import { expandTargets, globToRegExp, mergeFamilies, type QueryError } from './query-runner.ts';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';

function query(yaml: string): UserQuery {
  const { queries, errors } = parseQueries(yaml);
  assert.deepEqual(errors, []);
  assert.ok(queries[0]);
  return queries[0];
}

const result = (columns: [string, ColumnKind][], rows: (string | null)[][]): ResultSet => ({
  columns: columns.map(([name, kind]) => ({ name, kind })),
  rows,
});

const STATES = query(`
conns:
  query: SELECT datname, state, total, up, waited, secret
  metrics:
    - datname: {usage: LABEL, description: Database}
    - state: {usage: LABEL, description: State}
    - total: {usage: COUNTER, description: Connections}
    - up: {usage: GAUGE, description: Up}
    - waited: {usage: DURATION, description: Waited}
    - secret: {usage: DISCARD}
`);

describe('metrics from a query result', () => {
  it('makes one metric per value column, labelled by the LABEL columns, typed by usage', () => {
    const built = buildMetrics(
      STATES,
      result(
        [
          ['total', 'other'],
          ['datname', 'other'],
          ['state', 'other'],
          ['up', 'bool'],
          ['waited', 'other'],
          ['secret', 'other'],
        ],
        [
          ['12', 'app', 'idle', 't', '00:00:01.5', 'x'],
          ['3', 'postgres', null, 'f', '1 day 00:00:00', 'y'],
        ],
      ),
    );
    assert.deepEqual(built.warnings, []);
    assert.deepEqual(built.families, [
      {
        name: 'cnpg_conns_total',
        help: 'Connections',
        type: 'counter',
        samples: [
          { labels: { datname: 'app', state: 'idle' }, value: 12 },
          { labels: { datname: 'postgres', state: '' }, value: 3 },
        ],
      },
      {
        name: 'cnpg_conns_up',
        help: 'Up',
        type: 'gauge',
        samples: [
          { labels: { datname: 'app', state: 'idle' }, value: 1 },
          { labels: { datname: 'postgres', state: '' }, value: 0 },
        ],
      },
      {
        name: 'cnpg_conns_waited_milliseconds',
        help: 'Waited',
        type: 'gauge',
        samples: [
          { labels: { datname: 'app', state: 'idle' }, value: 1500 },
          { labels: { datname: 'postgres', state: '' }, value: 86_400_000 },
        ],
      },
    ]);
  });

  it('maps text through metric_mapping and skips what it cannot convert, with a warning', () => {
    const q = query(`
mode:
  query: SELECT mode, n, d, at
  metrics:
    - mode: {usage: MAPPEDMETRIC, description: Mode, metric_mapping: {primary: 1, replica: 0}}
    - n: {usage: GAUGE, description: N}
    - d: {usage: DURATION, description: D}
    - at: {usage: GAUGE, description: At}
`);
    const built = buildMetrics(
      q,
      result(
        [
          ['mode', 'other'],
          ['n', 'other'],
          ['d', 'other'],
          ['at', 'timestamp'],
        ],
        [
          ['replica', null, '1m30s', '2024-01-02 03:04:05.5+00'],
          ['unknown', 'abc', '-1', '1970-01-01 01:00:00+01'],
        ],
      ),
    );
    const values = Object.fromEntries(built.families.map((f) => [f.name, f.samples.map((s) => s.value)]));
    assert.deepEqual(values.cnpg_mode_mode, [0]);
    assert.ok(Number.isNaN(values.cnpg_mode_n?.[0]), 'NULL is NaN, as upstream');
    assert.equal(values.cnpg_mode_n?.length, 1);
    assert.deepEqual(values.cnpg_mode_d_milliseconds, [90_000]);
    assert.deepEqual(values.cnpg_mode_at, [Date.UTC(2024, 0, 2, 3, 4, 5, 500) / 1000, 0]);
    assert.equal(built.warnings.length, 3);
    assert.match(built.warnings.join('\n'), /column mode: cannot use "unknown" as a MAPPEDMETRIC value/);
  });

  it('refuses a result whose columns are not the described ones', () => {
    assert.throws(
      () => buildMetrics(STATES, result([['total', 'other']], [['1']])),
      (err: unknown) => err instanceof QueryResultError && /returns the columns \[total\]/.test(err.message),
    );
  });

  it('renders the Prometheus text format, escaping help and label values', () => {
    const text = renderFamilies([
      {
        name: 'cnpg_x_v',
        help: 'line\none \\',
        type: 'gauge',
        samples: [
          { labels: { a: 'q"uote\\' }, value: 1.5 },
          { labels: {}, value: Number.NaN },
          { labels: { a: 'b' }, value: Number.POSITIVE_INFINITY },
        ],
      },
    ]);
    assert.equal(
      text,
      [
        '# HELP cnpg_x_v line\\none \\\\',
        '# TYPE cnpg_x_v gauge',
        'cnpg_x_v{a="q\\"uote\\\\"} 1.5',
        'cnpg_x_v NaN',
        'cnpg_x_v{a="b"} +Inf',
        '',
      ].join('\n'),
    );
    assert.equal(renderFamilies([]), '');
  });

  it('merges the families of several databases and drops conflicting ones with an error', () => {
    const f = (name: string, type: 'gauge' | 'counter', db: string): MetricFamily => ({
      name,
      help: '',
      type,
      samples: [{ labels: { datname: db }, value: 1 }],
    });
    const errors: QueryError[] = [];
    const merged = mergeFamilies(
      [
        f('cnpg_a', 'gauge', 'app'),
        f('cnpg_a', 'gauge', 'postgres'),
        f('cnpg_a', 'gauge', 'app'),
        f('cnpg_a', 'counter', 'x'),
      ],
      errors,
    );
    assert.equal(merged.length, 1);
    assert.deepEqual(
      merged[0]?.samples.map((s) => s.labels.datname),
      ['app', 'postgres'],
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /both a gauge and a counter/);
  });
});

describe('target databases', () => {
  it('expands patterns like upstream (path.Match) and keeps plain names as given', () => {
    const accessible = ['app', 'app_two', 'postgres', 'zeta'];
    assert.deepEqual(expandTargets(['*'], accessible), accessible);
    assert.deepEqual(expandTargets(['app*', 'postgres', 'missing'], accessible), [
      'app',
      'app_two',
      'postgres',
      'missing',
    ]);
    assert.deepEqual(expandTargets(['[a-p]*'], accessible), ['app', 'app_two', 'postgres']);
    assert.deepEqual(expandTargets(['[^a]*'], accessible), ['postgres', 'zeta']);
    assert.deepEqual(expandTargets(['?eta'], accessible), ['zeta']);
    assert.equal(globToRegExp('a.b').test('axb'), false);
  });
});

describe('built-in collector helpers', () => {
  it('reads the observed synchronous standbys from synchronous_standby_names', () => {
    assert.equal(observedSyncReplicas(''), 0);
    assert.equal(observedSyncReplicas('ANY 2 ("a","b","c")'), 2);
    assert.equal(observedSyncReplicas('FIRST 1 (a, b)'), 1);
    assert.equal(observedSyncReplicas('a, b'), undefined);
  });

  it('converts pg_settings values to bytes by unit', () => {
    assert.equal(settingBytes('16777216', 'B'), 16 * 1024 * 1024);
    assert.equal(settingBytes('80', 'MB'), 80 * 1024 * 1024);
    assert.equal(settingBytes('2', '8kB'), 16 * 1024);
    assert.equal(settingBytes('7', null), 7);
    assert.ok(Number.isNaN(settingBytes('7', 'ms')));
  });

  it('takes metricsQueriesTTL (30 s when unset, 0 allowed) and the application database', () => {
    assert.equal(queriesTtlSeconds(defaultedCluster({})), 30);
    assert.equal(queriesTtlSeconds(defaultedCluster({ monitoring: { metricsQueriesTTL: '0' } })), 0);
    assert.equal(queriesTtlSeconds(defaultedCluster({ monitoring: { metricsQueriesTTL: '1m30s' } })), 90);
    assert.equal(applicationDatabase(defaultedCluster({})), 'app');
    assert.equal(
      applicationDatabase(defaultedCluster({ bootstrap: { initdb: { database: 'shop', owner: 'o' } } })),
      'shop',
    );
  });
});
