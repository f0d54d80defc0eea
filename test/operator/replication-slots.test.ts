// Replication slots end to end on the local runtime: in a 3-instance cluster each standby mirrors
// the HA slot of the other standby (never its own) and moves it forward as WAL flows; a user slot
// made on the primary reaches the standbys unless an excludePattern matches, and goes when it is
// dropped there; after a switchover the new primary holds the HA slots of both other instances and
// the former primary keeps only the one it must mirror.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareLsn } from '../../src/postgres/lsn.ts';
import {
  cnpgVerb,
  createHealthyCluster,
  type OperatorEnv,
  podIP,
  psql,
  readCluster,
  secretData,
  startOperatorEnv,
  waitFor,
} from './support.ts';

const NS = 'default';
const NAME = 'slots';
const ha = (instance: string) => `_cnpg_${instance.replaceAll('-', '_')}`;

describe('replication slots', { timeout: 240_000 }, () => {
  let env: OperatorEnv;
  let su: { user: string; password: string };
  const sql = async (instance: string, text: string) =>
    psql(`host=${await podIP(env, NS, instance)} port=5432 user=${su.user} dbname=postgres`, text, su.password);
  /** The physical slots of an instance: name → restart_lsn ('' when none). */
  const slotsOn = async (instance: string): Promise<Map<string, string>> => {
    const out = await sql(
      instance,
      "SELECT slot_name || ' ' || coalesce(restart_lsn::text, '') FROM pg_replication_slots " +
        "WHERE slot_type = 'physical' ORDER BY 1",
    ).catch(() => undefined);
    if (out === undefined) return new Map();
    return new Map(
      out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(' ') as [string, string]),
    );
  };
  /** Waits until `instance` has exactly the physical slots `names`. */
  const waitForSlots = (instance: string, names: string[], timeoutMs = 30_000) => {
    const wanted = [...names].sort().join(',');
    let seen = '';
    return waitFor(
      `${instance} holding the slots [${wanted}]`,
      async () => {
        seen = [...(await slotsOn(instance)).keys()].join(',');
        return seen === wanted || undefined;
      },
      timeoutMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last seen: [${seen}])`);
    });
  };
  const cnpg = (...args: string[]) => cnpgVerb(env, NS, ...args);

  const [first, second, third] = [`${NAME}-1`, `${NAME}-2`, `${NAME}-3`];

  before(async () => {
    env = await startOperatorEnv();
    await createHealthyCluster(env, NS, NAME, {
      instances: 3,
      storage: { size: '1Gi' },
      enableSuperuserAccess: true,
      replicationSlots: { updateInterval: 1, synchronizeReplicas: { enabled: true, excludePatterns: ['^skip_'] } },
    });
    const secret = await secretData(env, NS, `${NAME}-superuser`);
    su = { user: secret.username ?? '', password: secret.password ?? '' };
    assert.equal((await readCluster(env, NS, NAME)).status?.currentPrimary, first);
  });
  after(() => env?.stop(), { timeout: 120_000 });

  it('keeps on each standby the HA slot of the other standby, not its own', async () => {
    await waitForSlots(first, [ha(second), ha(third)]);
    await waitForSlots(second, [ha(third)]);
    await waitForSlots(third, [ha(second)]);
  });

  it('advances the mirrored slots as WAL flows', async () => {
    const before = (await slotsOn(second)).get(ha(third)) ?? '';
    await sql(first, 'CREATE TABLE filler AS SELECT g FROM generate_series(1, 50000) AS g');
    await sql(first, 'SELECT pg_switch_wal()');
    const now = await waitFor(
      `${ha(third)} on ${second} to move past ${before}`,
      async () => {
        const lsn = (await slotsOn(second)).get(ha(third)) ?? '';
        return lsn !== '' && compareLsn(lsn, before) > 0 ? lsn : undefined;
      },
      30_000,
    );
    // Never ahead of the primary's own slot for that standby.
    const onPrimary = (await slotsOn(first)).get(ha(third)) ?? '';
    assert.ok(compareLsn(now, onPrimary) <= 0, `${now} <= ${onPrimary}`);
  });

  it('mirrors user slots unless excluded, and drops them once the primary did', async () => {
    await sql(first, "SELECT pg_create_physical_replication_slot('user_slot', true)");
    await sql(first, "SELECT pg_create_physical_replication_slot('skip_me', true)");
    // One pass handles both: once user_slot is there, skip_me would be too if it were mirrored.
    await waitForSlots(second, [ha(third), 'user_slot']);
    await waitForSlots(third, [ha(second), 'user_slot']);
    await sql(first, "SELECT pg_drop_replication_slot('user_slot')");
    await sql(first, "SELECT pg_drop_replication_slot('skip_me')");
    await waitForSlots(second, [ha(third)]);
    await waitForSlots(third, [ha(second)]);
  });

  it('leaves the new primary of a switchover with the HA slots of both others', async () => {
    assert.match(await cnpg('promote', NAME, '2'), /Switchover of cluster default\/slots to slots-2 requested/);
    await waitFor(
      'the switchover to complete',
      async () => {
        const c = await readCluster(env, NS, NAME);
        return (c.status?.currentPrimary === second && c.status.targetPrimary === second) || undefined;
      },
      60_000,
    );
    await waitForSlots(second, [ha(first), ha(third)]);
    // The former primary mirrors the slot of the other standby and drops the new primary's.
    await waitForSlots(first, [ha(third)], 60_000);
    await waitForSlots(third, [ha(first)], 60_000);
    await waitFor(
      `${third} and ${first} streaming through their slots on ${second}`,
      async () =>
        (await sql(second, 'SELECT count(*) FROM pg_replication_slots WHERE active').catch(() => '')) === '2' ||
        undefined,
      60_000,
    );
  });
});
