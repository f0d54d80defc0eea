// One instance from init to SIGTERM: bootstrap, probes, crash recovery, configuration changes,
// staged shutdown. Real PostgreSQL; addresses 127.0.41.x.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  cnpgSync,
  http,
  httpJson,
  instanceArgs,
  type LogLine,
  layout,
  ManagerProcess,
  makeSandbox,
  PG_BIN,
  POD_USER,
  postmasterPid,
  processAlive,
  psqlSocket,
  psqlTcp,
  sleep,
  testCluster,
  waitFor,
  within,
  writeClusterFile,
  writeMountedObject,
} from './support.ts';

const sandbox = makeSandbox('lifecycle');
const pg1 = layout(sandbox, 'pg-1', '127.0.41.1');
const clusterFile = join(sandbox.root, 'cluster.yaml');
const APP_PASSWORD = "pa ss'word";
let manager: ManagerProcess;

const initdbStanza = {
  postInitSQL: ['CREATE ROLE from_post_init'],
  postInitTemplateSQL: ['CREATE TABLE in_every_db (x int)'],
  postInitApplicationSQL: ['CREATE TABLE once (x int)', 'INSERT INTO once VALUES (1)'],
  postInitSQLRefs: { secretRefs: [{ name: 'init-sql', key: 'roles.sql' }] },
  postInitApplicationSQLRefs: {
    secretRefs: [{ name: 'init-sql', key: 'app.sql' }],
    configMapRefs: [{ name: 'app-sql', key: 'more.sql' }],
  },
};

function writeCluster(parameters: Record<string, string> = {}): void {
  writeClusterFile(
    clusterFile,
    testCluster({ spec: { bootstrap: { initdb: initdbStanza }, postgresql: { parameters } } }),
  );
}

before(async () => {
  writeCluster();
  writeMountedObject(join(sandbox.root, 'app-secret'), { username: 'app', password: APP_PASSWORD });
  writeMountedObject(join(sandbox.root, 'secrets', 'init-sql'), {
    'roles.sql': 'CREATE ROLE from_secret_ref;',
    'app.sql': 'INSERT INTO once VALUES (2);',
  });
  writeMountedObject(join(sandbox.root, 'configmaps', 'app-sql'), { 'more.sql': 'INSERT INTO once VALUES (3);' });
  const init = cnpgSync([
    'instance',
    'init',
    ...instanceArgs(pg1, clusterFile, [
      '--app-secret-dir',
      join(sandbox.root, 'app-secret'),
      '--secrets-root',
      join(sandbox.root, 'secrets'),
      '--configmaps-root',
      join(sandbox.root, 'configmaps'),
    ]),
  ]);
  assert.equal(init.status, 0, init.stderr);
  manager = new ManagerProcess(['instance', 'run', ...instanceArgs(pg1, clusterFile)]);
  sandbox.track(manager);
  await waitFor('readiness', async () => ((await http(pg1.address, '/readyz')).status === 200 ? true : undefined));
});

after(() => sandbox.dispose());

test('init then run: probes pass, the owner logs in with its secret, postInit SQL ran once', async () => {
  for (const path of ['/startupz', '/readyz', '/healthz'])
    assert.equal((await http(pg1.address, path)).status, 200, path);
  const login = psqlTcp(pg1.address, 'app', APP_PASSWORD, 'app', 'SELECT current_user');
  assert.equal(login.status, 0, login.stderr);
  assert.equal(login.stdout, 'app');
  assert.notEqual(psqlTcp(pg1.address, 'app', 'wrong', 'app', 'SELECT 1').status, 0);
  assert.equal(psqlSocket(pg1, "SELECT string_agg(x::text, ',' ORDER BY x) FROM once", 'app'), '1,2,3');
  assert.equal(
    psqlSocket(pg1, "SELECT count(*) FROM pg_roles WHERE rolname IN ('from_post_init', 'from_secret_ref')"),
    '2',
  );
  assert.equal(psqlSocket(pg1, "SELECT to_regclass('in_every_db') IS NOT NULL", 'app'), 't');
  assert.equal(psqlSocket(pg1, "SELECT rolreplication FROM pg_roles WHERE rolname = 'streaming_replica'"), 't');
  const printed = cnpgSync(['instance', 'status', '--host', pg1.address]);
  assert.equal(printed.status, 0, printed.stderr);
  const reported = JSON.parse(printed.stdout) as { instanceName: string; pgDataMajorVersion?: number };
  assert.equal(reported.instanceName, 'pg-1');
  // The data directory's major (PG_VERSION) is the server's: PostgreSQL starts on no other.
  const serverMajor = Number(psqlSocket(pg1, "SELECT current_setting('server_version_num')::int / 10000"));
  assert.equal(reported.pgDataMajorVersion, serverMajor);
  // Without a WAL archive, archiving is a no-op success (archive_mode on, archive_command ':').
  psqlSocket(pg1, 'SELECT pg_switch_wal()');
  await waitFor('a WAL segment archived', () =>
    psqlSocket(pg1, 'SELECT archived_count > 0 AND failed_count = 0 FROM pg_stat_archiver') === 't' ? true : undefined,
  );
  assert.equal((await httpJson<{ restarted: boolean }>(pg1.address, '/pg/restart', 'POST')).restarted, true);
  assert.equal(psqlSocket(pg1, 'SELECT count(*) FROM once', 'app'), '3');
});

test('kill -9 of the postmaster: probes report the outage, the manager restarts it', async () => {
  const before = postmasterPid(pg1);
  const seen: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      seen.push((await http(pg1.address, '/readyz')).status);
      await sleep(50);
    }
  })();
  process.kill(before, 'SIGKILL');
  // The manager waits before restarting, so a probe sent right after the kill sees the outage.
  seen.push((await http(pg1.address, '/readyz')).status);
  // A primary with replicas first gives the operator time to fail over; no Cluster status names
  // another primary here, so it then restarts in place.
  await manager.waitForLog('the crash report', (l) => /postmaster exited unexpectedly/.test(String(l.msg)));
  const restarted = await waitFor('a new postmaster', () => {
    const pid = postmasterPid(pg1);
    return pid !== before && processAlive(pid) ? pid : undefined;
  });
  await waitFor('readiness after the crash', async () =>
    (await http(pg1.address, '/readyz')).status === 200 ? true : undefined,
  );
  polling = false;
  await poller;
  assert.notEqual(restarted, before);
  assert.ok(seen.includes(500), `readiness never reported the outage: ${seen.join(',')}`);
  // Asked afresh: the poller's last answer may be one sent before the restart completed.
  assert.equal((await http(pg1.address, '/readyz')).status, 200);
  assert.equal((await http(pg1.address, '/healthz')).status, 200);
  assert.equal(psqlSocket(pg1, 'SELECT count(*) FROM once', 'app'), '3');
});

test('a reload-only change applies live, a restart-only one is pending, a fixed one is refused', async () => {
  const pid = postmasterPid(pg1);
  writeCluster({ work_mem: '6MB' });
  process.kill(manager.pid, 'SIGHUP');
  await waitFor('work_mem from SIGHUP', () => (psqlSocket(pg1, 'SHOW work_mem') === '6MB' ? true : undefined));
  writeCluster({ work_mem: '7MB' });
  const reload = await httpJson<{ changed: boolean; pendingRestart: boolean }>(pg1.address, '/pg/reload', 'POST');
  assert.deepEqual([reload.changed, reload.pendingRestart], [true, false]);
  assert.equal(psqlSocket(pg1, 'SHOW work_mem'), '7MB');

  writeCluster({ work_mem: '7MB', shared_buffers: '24MB' });
  const pending = await httpJson<{ pendingRestart: boolean; pendingRestartParameters: string[] }>(
    pg1.address,
    '/pg/reload',
    'POST',
  );
  assert.equal(pending.pendingRestart, true);
  assert.deepEqual(pending.pendingRestartParameters, ['shared_buffers']);
  assert.equal((await httpJson<{ pendingRestart: boolean }>(pg1.address, '/pg/status')).pendingRestart, true);
  assert.equal(postmasterPid(pg1), pid, 'a reload must not restart PostgreSQL');

  writeCluster({ work_mem: '7MB', shared_buffers: '24MB', port: '6543' });
  const refused = await http(pg1.address, '/pg/reload', 'POST');
  assert.equal(refused.status, 422);
  assert.match(
    refused.body,
    /spec\.postgresql\.parameters\.port: Invalid value: \\"6543\\": Can't set fixed configuration parameter/,
  );
  assert.equal(psqlSocket(pg1, 'SHOW port'), '5432');

  writeCluster({ work_mem: '7MB', shared_buffers: '24MB' });
  await httpJson(pg1.address, '/pg/restart', 'POST');
  assert.equal(psqlSocket(pg1, 'SHOW shared_buffers'), '24MB');
  assert.equal((await httpJson<{ pendingRestart: boolean }>(pg1.address, '/pg/status')).pendingRestart, false);
});

test('fencing stops PostgreSQL and keeps it down until unfenced', async () => {
  const pid = postmasterPid(pg1);
  assert.equal((await httpJson<{ fenced: boolean }>(pg1.address, '/pg/fence', 'POST')).fenced, true);
  assert.equal(processAlive(pid), false);
  const readiness = await http(pg1.address, '/readyz');
  assert.deepEqual([readiness.status, readiness.body], [500, 'readiness check failed: instance is fenced']);
  assert.equal((await http(pg1.address, '/healthz')).status, 200, 'a fenced instance is alive');
  assert.equal((await http(pg1.address, '/pg/restart', 'POST')).status, 409);
  await sleep(1500);
  assert.equal((await http(pg1.address, '/readyz')).status, 500, 'nothing restarts a fenced instance');
  assert.equal((await httpJson<{ fenced: boolean }>(pg1.address, '/pg/unfence', 'POST')).fenced, false);
  assert.equal((await http(pg1.address, '/readyz')).status, 200);
  assert.equal(psqlSocket(pg1, 'SELECT count(*) FROM once', 'app'), '3');
});

function openTransaction(): ChildProcess {
  const session = spawn(join(PG_BIN, 'psql'), ['-X', '-h', pg1.socketDir, '-U', 'postgres', '-d', 'postgres'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: '/',
    ...(POD_USER ? { uid: POD_USER.uid, gid: POD_USER.gid } : {}),
  });
  session.stdin?.write("BEGIN; SELECT 'held';\n");
  return session;
}

test('SIGTERM: checkpoint, smart until the timeout while a transaction is open, then fast', async () => {
  const session = openTransaction();
  let sessionErr = '';
  session.stderr?.setEncoding('utf8').on('data', (d: string) => {
    sessionErr += d;
  });
  const sessionEnded = new Promise<void>((resolve) => session.on('exit', () => resolve()));
  try {
    await waitFor('the open transaction', () =>
      psqlSocket(pg1, "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'") === '1'
        ? true
        : undefined,
    );
    const pid = postmasterPid(pg1);
    process.kill(manager.pid, 'SIGTERM');
    const code = await within(manager.exited, 30_000);
    assert.equal(code, 0);
    const stages = manager.managerLines().filter((l): l is LogLine & { stage: string } => typeof l.stage === 'string');
    assert.deepEqual(
      stages.slice(-5).map((l) => l.stage),
      ['checkpoint', 'smart', 'fast', 'wait-for-wal-archiving', 'stopped'],
    );
    const at = (stage: string) => Date.parse(stages.findLast((l) => l.stage === stage)?.time ?? '');
    assert.ok(
      at('fast') - at('smart') >= 2900,
      `smart stage lasted ${at('fast') - at('smart')} ms, not the 3 s timeout`,
    );
    assert.equal(stages.at(-1)?.mode, 'fast');
    // psql notices the closed connection when it sends its next command.
    session.stdin?.end('SELECT 2;\n');
    await within(sessionEnded, 5000);
    assert.match(sessionErr, /terminating connection due to administrator command|server closed the connection/);
    assert.equal(processAlive(pid), false);
    const control = spawnSync(join(PG_BIN, 'pg_controldata'), [pg1.pgdata], { encoding: 'utf8' }).stdout;
    assert.match(control, /Database cluster state:\s+shut down\n/);
  } finally {
    session.kill('SIGKILL');
  }
});
