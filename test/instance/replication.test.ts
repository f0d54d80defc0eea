// Two instances: a replica joined by pg_basebackup streams from the primary; a promotion and a
// demotion with pg_rewind swap their roles without losing a committed row. Addresses 127.0.42.x.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PostgresqlStatus } from '../../src/api/v1/instance-status.ts';
import {
  cnpgSync,
  http,
  httpJson,
  type InstanceLayout,
  instanceArgs,
  layout,
  ManagerProcess,
  makeSandbox,
  psqlSocket,
  testCluster,
  waitFor,
  writeClusterFile,
  writeMountedObject,
} from './support.ts';

const sandbox = makeSandbox('replication');
const pg1 = layout(sandbox, 'pg-1', '127.0.42.1');
const pg2 = layout(sandbox, 'pg-2', '127.0.42.2');
const clusterFile = join(sandbox.root, 'cluster.yaml');
const managers = new Map<string, ManagerProcess>();

function run(l: InstanceLayout, primary: InstanceLayout): ManagerProcess {
  const m = new ManagerProcess([
    'instance',
    'run',
    ...instanceArgs(l, clusterFile, ['--primary-host', primary.address]),
  ]);
  sandbox.track(m);
  managers.set(l.name, m);
  return m;
}

const status = (l: InstanceLayout) => httpJson<PostgresqlStatus>(l.address, '/pg/status');
const ready = async (l: InstanceLayout) => ((await http(l.address, '/readyz')).status === 200 ? true : undefined);

before(async () => {
  writeClusterFile(clusterFile, testCluster({ status: { instanceNames: ['pg-1', 'pg-2'] } }));
  writeMountedObject(join(sandbox.root, 'app-secret'), { username: 'app', password: 'app-password' });
  const init = cnpgSync([
    'instance',
    'init',
    ...instanceArgs(pg1, clusterFile, ['--app-secret-dir', join(sandbox.root, 'app-secret')]),
  ]);
  assert.equal(init.status, 0, init.stderr);
  run(pg1, pg1);
  await waitFor('pg-1 ready', () => ready(pg1));
  psqlSocket(pg1, 'CREATE TABLE t (x int PRIMARY KEY); INSERT INTO t VALUES (1)', 'app');
  const join_ = cnpgSync(['instance', 'join', ...instanceArgs(pg2, clusterFile, ['--primary-host', pg1.address])]);
  assert.equal(join_.status, 0, join_.stderr);
  run(pg2, pg1);
  await waitFor('pg-2 ready', () => ready(pg2));
});

after(() => sandbox.dispose());

test('a joined replica streams from the primary', async () => {
  const replica = await waitFor('pg-2 streaming', async () => {
    const s = await status(pg2);
    return s.isWalReceiverActive ? s : undefined;
  });
  assert.equal(replica.role, 'replica');
  assert.equal(replica.streamingFrom, `${pg1.address}:5432`);
  const primary = await status(pg1);
  assert.equal(primary.role, 'primary');
  assert.equal(primary.systemID, replica.systemID);
  const peer = primary.replicationInfo.find((p) => p.applicationName === 'pg-2');
  assert.equal(peer?.state, 'streaming');
  assert.equal(typeof peer?.replayLagBytes, 'number');
  assert.ok(primary.replicationSlotsInfo.some((s) => s.slotName === '_cnpg_pg_2' && s.active));
  assert.equal(psqlSocket(pg1, "SELECT application_name || ':' || state FROM pg_stat_replication"), 'pg-2:streaming');
  assert.equal(psqlSocket(pg2, 'SELECT count(*) FROM t', 'app'), '1');
});

test('promote the replica, demote the old primary with pg_rewind: no committed row is lost', async () => {
  psqlSocket(pg1, 'INSERT INTO t VALUES (2)', 'app');
  const target = psqlSocket(pg1, 'SELECT pg_current_wal_lsn()');
  await waitFor('pg-2 to replay the last commit', () =>
    psqlSocket(pg2, `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`) === 't' ? true : undefined,
  );

  const promoted = await httpJson<{ timeLineID: number }>(pg2.address, '/pg/promote', 'POST');
  assert.equal(promoted.timeLineID, 2);
  assert.equal((await http(pg2.address, '/pg/promote', 'POST')).status, 409);
  // The old primary still accepts a write: it diverges, and pg_rewind must undo it.
  psqlSocket(pg1, 'INSERT INTO t VALUES (99)', 'app');
  psqlSocket(pg2, 'INSERT INTO t VALUES (3)', 'app');

  const demoted = await http(pg1.address, '/pg/demote', 'POST', { primaryHost: pg2.address, primaryPort: 5432 });
  assert.equal(demoted.status, 200, demoted.body);
  const rewound = managers
    .get('pg-1')
    ?.managerLines()
    .find((l) => l.msg === 'pg_rewind succeeded');
  assert.equal(rewound?.outcome, 'rewound');

  const follower = await waitFor('pg-1 streaming from pg-2', async () => {
    const s = await status(pg1);
    return s.isWalReceiverActive && s.timeLineID === 2 ? s : undefined;
  });
  assert.equal(follower.role, 'replica');
  assert.equal(follower.streamingFrom, `${pg2.address}:5432`);
  psqlSocket(pg2, 'INSERT INTO t VALUES (4)', 'app');
  const last = psqlSocket(pg2, 'SELECT pg_current_wal_lsn()');
  await waitFor('pg-1 to replay the new primary', () =>
    psqlSocket(pg1, `SELECT pg_last_wal_replay_lsn() >= '${last}'::pg_lsn`) === 't' ? true : undefined,
  );
  assert.equal(psqlSocket(pg1, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t", 'app'), '1,2,3,4');
  const newPrimary = await status(pg2);
  assert.equal(newPrimary.timeLineID, 2);
  assert.equal(newPrimary.replicationInfo.find((p) => p.applicationName === 'pg-1')?.state, 'streaming');
  assert.ok(newPrimary.replicationSlotsInfo.some((s) => s.slotName === '_cnpg_pg_1' && s.active));
  await waitFor('pg-1 ready', () => ready(pg1));
});

test('when pg_rewind is impossible, the demoted primary is cloned again', async () => {
  // Without wal_log_hints (and without checksums) pg_rewind refuses the target. The webhook only
  // allows that with one instance; the instance manager does not care how many the spec wants.
  writeClusterFile(
    clusterFile,
    testCluster({
      spec: { instances: 1, postgresql: { parameters: { wal_log_hints: 'off' } } },
      status: { instanceNames: ['pg-1', 'pg-2'] },
    }),
  );
  for (const l of [pg1, pg2]) await httpJson(l.address, '/pg/reload', 'POST');
  await httpJson(pg2.address, '/pg/restart', 'POST');
  assert.equal(psqlSocket(pg2, 'SHOW wal_log_hints'), 'off');
  const last = psqlSocket(pg2, 'SELECT pg_current_wal_lsn()');
  await waitFor('pg-1 to catch up', () =>
    psqlSocket(pg1, `SELECT pg_last_wal_replay_lsn() >= '${last}'::pg_lsn`) === 't' ? true : undefined,
  );

  assert.equal((await httpJson<{ timeLineID: number }>(pg1.address, '/pg/promote', 'POST')).timeLineID, 3);
  psqlSocket(pg1, 'INSERT INTO t VALUES (5)', 'app');
  const demoted = await http(pg2.address, '/pg/demote', 'POST', { primaryHost: pg1.address });
  assert.equal(demoted.status, 200, demoted.body);
  const lines = managers.get('pg-2')?.managerLines() ?? [];
  assert.ok(lines.some((l) => l.msg === 'pg_rewind is impossible: cloning the new primary instead'));
  assert.ok(lines.some((l) => l.msg === 'data directory recloned'));
  await waitFor('pg-2 streaming from pg-1', async () => {
    const s = await status(pg2);
    return s.isWalReceiverActive && s.timeLineID === 3 ? s : undefined;
  });
  assert.equal(psqlSocket(pg2, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t", 'app'), '1,2,3,4,5');
});
