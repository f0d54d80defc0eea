// Isolation end to end (issue 7, spec 8.7): every packet from or to the primary's pod address is
// dropped (tc on lo, as the harness's network cut; needs root). Pods' own connections leave from
// their address, so the cut primary reaches neither the API server nor its peers: it must stop
// committing by itself while still cut, a replica takes over, and once the cut is undone the
// former primary rejoins as a standby of the new one. The cluster is asynchronous on purpose:
// nothing but the isolation check stops the cut primary from committing local writes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostPath, podRootDir } from '../../src/local/node/volumes.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { cutAddress, cutUnavailable } from '../harness/nemeses.ts';
import {
  type AppUser,
  appUser,
  createHealthyCluster,
  type OperatorEnv,
  podIP,
  readCluster,
  serviceIP,
  startOperatorEnv,
  waitFor,
} from './support.ts';

const NS = 'default';
const NAME = 'isolated';
const PSQL = '/usr/bin/psql';

/** A session committing one row every 50 ms over the pod's Unix socket, until the server ends it. */
function localWriter(socketDir: string, db: string): Promise<{ code: number | null; stderr: string; endedAt: number }> {
  const user = podProcessUser();
  const loop =
    'DO $$ BEGIN LOOP INSERT INTO local_writes VALUES (clock_timestamp()); COMMIT; ' +
    'PERFORM pg_sleep(0.05); END LOOP; END $$;';
  const child = spawn(PSQL, ['-h', socketDir, '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-c', loop], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, endedAt: Date.now() })));
}

describe('isolation of the primary', { timeout: 300_000 }, () => {
  let env: OperatorEnv;
  let app: AppUser;
  let unavailable: string | undefined;
  const sql = (host: string, text: string) => app.sql(host, text);

  before(async () => {
    unavailable = cutUnavailable();
    if (unavailable !== undefined) return;
    env = await startOperatorEnv();
    await createHealthyCluster(env, NS, NAME, { instances: 3, storage: { size: '1Gi' } });
    app = await appUser(env, NS, NAME);
    await sql(await serviceIP(env, NS, `${NAME}-rw`), 'CREATE TABLE local_writes (at timestamptz)');
  });
  after(() => env?.stop(), { timeout: 120_000 });

  it('stops committing once cut off, is replaced, and rejoins as a standby', async (t) => {
    if (unavailable !== undefined) {
      t.skip(`cannot cut a pod's network here: ${unavailable}`);
      return;
    }
    const old = (await readCluster(env, NS, NAME)).status?.currentPrimary as string;
    const oldIP = await podIP(env, NS, old);
    const socketDir = hostPath(podRootDir(env.runtime.dir, NS, old), '/controller/run');
    const pidFile = join(env.runtime.dir, 'volumes', NS, old, 'pgdata', 'postmaster.pid');
    const writer = localWriter(socketDir, app.db);
    await waitFor('the local writer committing', async () => {
      const out = await sql(oldIP, 'SELECT count(*) FROM local_writes');
      return Number(out) > 0 || undefined;
    });

    const cutAt = Date.now();
    const undo = cutAddress(oldIP);
    try {
      const ended = await Promise.race([
        writer,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000).unref()),
      ]);
      assert.ok(ended !== undefined, 'the cut primary still commits after 60 s');
      assert.notEqual(ended.code, 0);
      assert.match(ended.stderr, /terminating connection|server closed the connection/);
      await waitFor('the cut primary to stop PostgreSQL', async () => !existsSync(pidFile) || undefined, 30_000);
      process.stdout.write(`# isolated primary stopped committing ${ended.endedAt - cutAt} ms after the cut\n`);

      const next = await waitFor(
        'a replica promoted while the old primary is cut off',
        async () => {
          const c = await readCluster(env, NS, NAME);
          const p = c.status?.currentPrimary;
          return p !== undefined && p !== old && p === c.status?.targetPrimary ? p : undefined;
        },
        90_000,
      );
      await sql(await serviceIP(env, NS, `${NAME}-rw`), 'INSERT INTO local_writes VALUES (now())');
      assert.notEqual(next, old);
      assert.ok(!existsSync(pidFile), 'the old primary started PostgreSQL again while cut off');
    } finally {
      undo();
    }

    // A row written through -rw after the cut reaches the former primary: it streams as a standby.
    const marker = '2000-01-01T00:00:00Z';
    await sql(await serviceIP(env, NS, `${NAME}-rw`), `INSERT INTO local_writes VALUES ('${marker}')`);
    await waitFor(
      'the former primary streaming from the new one',
      async () => {
        const query = `SELECT pg_is_in_recovery(), count(*) FROM local_writes WHERE at = '${marker}'`;
        return (await sql(oldIP, query).catch(() => '')) === 't|1' || undefined;
      },
      120_000,
    );
    const c = await readCluster(env, NS, NAME);
    assert.notEqual(c.status?.currentPrimary, old);
  });
});
