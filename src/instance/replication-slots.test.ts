import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../api/v1/cluster-types.ts';
import {
  planPrimarySlots,
  planStandbySlots,
  type SlotChanges,
  type SlotPolicy,
  type SlotState,
  slotChangesSql,
  slotKind,
  slotPolicy,
} from './replication-slots.ts';

const clusterWith = (replicationSlots: unknown): Cluster =>
  ({ metadata: { name: 'pg' }, spec: { instances: 3, replicationSlots } }) as Cluster;

const policy = (overrides: Partial<SlotPolicy> = {}): SlotPolicy => ({
  highAvailability: true,
  prefix: '_cnpg_',
  synchronizeReplicas: true,
  excludePatterns: [/^skip_/],
  updateIntervalMs: 30_000,
  ...overrides,
});

const slot = (name: string, restartLsn = '0/3000000', extra: Partial<SlotState> = {}): SlotState => ({
  name,
  active: false,
  restartLsn,
  holdsXmin: false,
  ...extra,
});

const none: SlotChanges = { drop: [], create: [], advance: [] };

describe('slotPolicy', () => {
  it('applies upstream defaults to an absent or partial section', () => {
    const p = slotPolicy(clusterWith(undefined));
    assert.deepEqual(
      [p.highAvailability, p.prefix, p.synchronizeReplicas, p.excludePatterns, p.updateIntervalMs],
      [true, '_cnpg_', true, [], 30_000],
    );
    // An empty prefix falls back to the default, as upstream's GetSlotPrefix does.
    assert.equal(slotPolicy(clusterWith({ highAvailability: { slotPrefix: '' } })).prefix, '_cnpg_');
  });

  it('reads every field', () => {
    const p = slotPolicy(
      clusterWith({
        highAvailability: { enabled: false, slotPrefix: 'ha_' },
        updateInterval: 1,
        synchronizeReplicas: { enabled: false, excludePatterns: ['^skip_', '(?i)^Tmp'] },
      }),
    );
    assert.deepEqual(
      [p.highAvailability, p.prefix, p.synchronizeReplicas, p.updateIntervalMs],
      [false, 'ha_', false, 1000],
    );
    assert.equal(p.excludePatterns.length, 2);
  });

  it('refuses an exclude pattern that does not compile, naming it', () => {
    assert.throws(
      () => slotPolicy(clusterWith({ synchronizeReplicas: { enabled: true, excludePatterns: ['(?=x)'] } })),
      /excludePatterns: "\(\?=x\)": error parsing regexp/,
    );
  });
});

describe('slotKind', () => {
  const cases: [string, SlotPolicy, string, ReturnType<typeof slotKind>][] = [
    ['an HA slot by the default prefix', policy(), '_cnpg_pg_2', 'ha'],
    ['an HA slot is never excluded', policy({ excludePatterns: [/cnpg/] }), '_cnpg_pg_2', 'ha'],
    ['a custom prefix', policy({ prefix: 'ha_' }), 'ha_pg_2', 'ha'],
    ['the default prefix is a user slot under a custom one', policy({ prefix: 'ha_' }), '_cnpg_pg_2', 'user'],
    ['a user slot', policy(), 'user_slot', 'user'],
    ['a user slot matching a pattern', policy(), 'skip_me', 'excluded'],
    ['patterns search, like Go MatchString', policy({ excludePatterns: [/tmp/] }), 'my_tmp_slot', 'excluded'],
    [
      'a case-insensitive Go flag',
      slotPolicy(clusterWith({ synchronizeReplicas: { enabled: true, excludePatterns: ['(?i)^TMP'] } })),
      'tmp_1',
      'excluded',
    ],
  ];
  for (const [title, p, name, kind] of cases) {
    it(title, () => assert.equal(slotKind(p, name), kind));
  }
});

describe('planPrimarySlots', () => {
  const names = ['pg-1', 'pg-2', 'pg-3'];

  it('creates the HA slots of the other instances, reserving WAL', () => {
    assert.deepEqual(planPrimarySlots([slot('_cnpg_pg_2')], policy(), names, 'pg-1'), {
      drop: [],
      create: [{ name: '_cnpg_pg_3', reserve: true }],
      advance: [],
    });
  });

  it('drops inactive HA slots of gone instances and its own, never user slots or active ones', () => {
    const local = [
      slot('_cnpg_pg_1'),
      slot('_cnpg_pg_2'),
      slot('_cnpg_pg_3'),
      slot('_cnpg_pg_4'),
      slot('_cnpg_pg_5', '', { active: true }),
      slot('user_slot'),
    ];
    assert.deepEqual(planPrimarySlots(local, policy(), names, 'pg-1'), {
      drop: ['_cnpg_pg_1', '_cnpg_pg_4'],
      create: [],
      advance: [],
    });
  });

  it('drops every inactive HA slot when HA slots are disabled', () => {
    const local = [slot('_cnpg_pg_2'), slot('_cnpg_pg_3', '0/1', { active: true }), slot('user_slot')];
    assert.deepEqual(planPrimarySlots(local, policy({ highAvailability: false }), names, 'pg-1'), {
      drop: ['_cnpg_pg_2'],
      create: [],
      advance: [],
    });
  });

  it('changes nothing while the instance list is unknown', () => {
    assert.deepEqual(planPrimarySlots([slot('_cnpg_pg_2')], policy(), [], 'pg-1'), none);
  });
});

describe('planStandbySlots', () => {
  const self = 'pg-2';

  it('mirrors the other HA slots and user slots, not its own nor excluded ones', () => {
    const primary = [slot('_cnpg_pg_2'), slot('_cnpg_pg_3', '0/5000000'), slot('user_slot', ''), slot('skip_me')];
    assert.deepEqual(planStandbySlots(primary, [], policy(), self), {
      drop: [],
      create: [
        { name: '_cnpg_pg_3', reserve: true },
        { name: 'user_slot', reserve: false },
      ],
      advance: [{ name: '_cnpg_pg_3', lsn: '0/5000000' }],
    });
  });

  it('waits for an HA slot of the primary to reserve WAL', () => {
    assert.deepEqual(planStandbySlots([slot('_cnpg_pg_3', '')], [], policy(), self), none);
  });

  it('advances only forward', () => {
    const primary = [slot('_cnpg_pg_3', '0/5000000'), slot('user_slot', '1/0')];
    const local = [slot('_cnpg_pg_3', '0/6000000'), slot('user_slot', '0/FFFFFFFF')];
    assert.deepEqual(planStandbySlots(primary, local, policy(), self), {
      drop: [],
      create: [],
      advance: [{ name: 'user_slot', lsn: '1/0' }],
    });
  });

  it('drops what the primary no longer has, its own slot, and slots holding xmin (recreated)', () => {
    const primary = [slot('_cnpg_pg_3'), slot('_cnpg_pg_2')];
    const local = [
      slot('_cnpg_pg_1'),
      slot('_cnpg_pg_2'),
      slot('_cnpg_pg_3', '0/3000000', { holdsXmin: true }),
      slot('gone_user_slot'),
      slot('gone_but_active', '0/1', { active: true }),
      slot('skip_local_only'),
    ];
    assert.deepEqual(planStandbySlots(primary, local, policy(), self), {
      drop: ['_cnpg_pg_1', '_cnpg_pg_2', '_cnpg_pg_3', 'gone_user_slot'],
      create: [{ name: '_cnpg_pg_3', reserve: true }],
      advance: [{ name: '_cnpg_pg_3', lsn: '0/3000000' }],
    });
  });

  it('recreates a slot made before the primary reserved WAL for it', () => {
    assert.deepEqual(planStandbySlots([slot('user_slot', '0/7000000')], [slot('user_slot', '')], policy(), self), {
      drop: ['user_slot'],
      create: [{ name: 'user_slot', reserve: true }],
      advance: [{ name: 'user_slot', lsn: '0/7000000' }],
    });
  });

  it('with synchronizeReplicas off: HA slots only, mirrored user slots dropped', () => {
    const primary = [slot('_cnpg_pg_3'), slot('user_slot')];
    const local = [slot('_cnpg_pg_3'), slot('user_slot'), slot('skip_me')];
    assert.deepEqual(planStandbySlots(primary, local, policy({ synchronizeReplicas: false }), self), {
      drop: ['user_slot'],
      create: [],
      advance: [],
    });
  });

  it('with HA slots off: user slots only, HA slots dropped (its own too)', () => {
    const primary = [slot('_cnpg_pg_3'), slot('user_slot')];
    const local = [slot('_cnpg_pg_2'), slot('_cnpg_pg_3')];
    assert.deepEqual(planStandbySlots(primary, local, policy({ highAvailability: false }), self), {
      drop: ['_cnpg_pg_2', '_cnpg_pg_3'],
      create: [{ name: 'user_slot', reserve: true }],
      advance: [{ name: 'user_slot', lsn: '0/3000000' }],
    });
  });

  it('with both off and the primary not asked: every managed slot goes, excluded ones stay', () => {
    const local = [slot('_cnpg_pg_3'), slot('user_slot'), slot('skip_me')];
    const p = policy({ highAvailability: false, synchronizeReplicas: false });
    assert.deepEqual(planStandbySlots(undefined, local, p, self), {
      drop: ['_cnpg_pg_3', 'user_slot'],
      create: [],
      advance: [],
    });
  });

  it('honours a custom prefix', () => {
    const primary = [slot('ha_pg_2'), slot('ha_pg_3')];
    assert.deepEqual(planStandbySlots(primary, [], policy({ prefix: 'ha_' }), self).create, [
      { name: 'ha_pg_3', reserve: true },
    ]);
  });
});

describe('slotChangesSql', () => {
  it('drops, creates, then advances forward only', () => {
    const sql = slotChangesSql({
      drop: ['old'],
      create: [{ name: "o'k", reserve: false }],
      advance: [{ name: 'x', lsn: '0/16B3748' }],
    });
    assert.equal(
      sql,
      [
        "SELECT pg_catalog.pg_drop_replication_slot('old');",
        "SELECT pg_catalog.pg_create_physical_replication_slot('o''k', false);",
        "SELECT pg_catalog.pg_replication_slot_advance(slot_name, '0/16B3748'::pg_lsn) FROM " +
          "pg_catalog.pg_replication_slots WHERE slot_name = 'x' AND restart_lsn < '0/16B3748'::pg_lsn;",
        '',
      ].join('\n'),
    );
    assert.equal(slotChangesSql(none), '');
  });

  it('refuses an LSN that is not one', () => {
    assert.throws(
      () => slotChangesSql({ ...none, advance: [{ name: 'x', lsn: "0/1'; DROP" }] }),
      /not a PostgreSQL LSN/,
    );
  });
});
