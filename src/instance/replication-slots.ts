// Which physical replication slots an instance keeps, as upstream decides it: the primary holds one
// high-availability (HA) slot per other instance; a standby mirrors the primary's HA slots (except
// its own) and the users' physical slots (unless synchronizeReplicas is off or an excludePattern
// matches), moves them forward to the primary's restart_lsn, and drops what the primary no longer
// has, so that whichever standby is promoted already retains the WAL every other instance needs.
// The planning here is pure; the SQL is run by the caller.
import type { Cluster } from '../api/v1/cluster-types.ts';
import { compileGoRegExp } from '../api/v1/cluster-validation-postgres.ts';
import { haSlotPrefix, slotNameForInstance } from '../postgres/configuration.ts';
import type { LocalSql } from '../postgres/local-sql.ts';
import { compareLsn, parseLsn } from '../postgres/lsn.ts';
import { quoteLiteral } from '../postgres/quoting.ts';

const DEFAULT_UPDATE_INTERVAL_SECONDS = 30;

/** `spec.replicationSlots` with upstream's defaults applied. */
export interface SlotPolicy {
  highAvailability: boolean;
  prefix: string;
  synchronizeReplicas: boolean;
  excludePatterns: RegExp[];
  updateIntervalMs: number;
}

/** A physical slot as pg_replication_slots shows it (restartLsn '' when it reserves no WAL). */
export interface SlotState {
  name: string;
  active: boolean;
  restartLsn: string;
  /** xmin or catalog_xmin set: a former primary's slot fed by hot_standby_feedback. */
  holdsXmin: boolean;
}

export interface SlotChanges {
  drop: string[];
  create: { name: string; reserve: boolean }[];
  /** Move these slots forward to `lsn` (never backwards). */
  advance: { name: string; lsn: string }[];
}

/** Throws when an exclude pattern does not compile (admission rejects those; this is a safety net). */
export function slotPolicy(cluster: Cluster): SlotPolicy {
  const config = cluster.spec.replicationSlots;
  const patterns = config?.synchronizeReplicas?.excludePatterns ?? [];
  return {
    highAvailability: config?.highAvailability?.enabled ?? true,
    prefix: haSlotPrefix(cluster),
    synchronizeReplicas: config?.synchronizeReplicas?.enabled ?? true,
    excludePatterns: patterns.map((pattern) => {
      try {
        return compileGoRegExp(pattern);
      } catch (err) {
        throw new Error(
          `spec.replicationSlots.synchronizeReplicas.excludePatterns: ${JSON.stringify(pattern)}: ${(err as Error).message}`,
        );
      }
    }),
    updateIntervalMs: (config?.updateInterval ?? DEFAULT_UPDATE_INTERVAL_SECONDS) * 1000,
  };
}

export type SlotKind = 'ha' | 'user' | 'excluded';

/** HA slots go by prefix; a user slot matching an exclude pattern is none of the synchroniser's business. */
export function slotKind(policy: SlotPolicy, name: string): SlotKind {
  if (name.startsWith(policy.prefix)) return 'ha';
  return policy.excludePatterns.some((re) => re.test(name)) ? 'excluded' : 'user';
}

/**
 * On a primary: the HA slots of the other instances, created reserving WAL at once; HA slots of
 * instances no longer listed dropped (every one of them when HA slots are disabled). Active slots
 * are left alone (PostgreSQL refuses to drop them; the next pass retries).
 */
export function planPrimarySlots(
  local: readonly SlotState[],
  policy: SlotPolicy,
  instanceNames: readonly string[],
  self: string,
): SlotChanges {
  // Without the instance list (no status yet) there is no telling which slots are stale.
  if (policy.highAvailability && instanceNames.length === 0) return { drop: [], create: [], advance: [] };
  const wanted = policy.highAvailability
    ? instanceNames.filter((n) => n !== self).map((n) => slotNameForInstance(policy.prefix, n))
    : [];
  const have = new Set(local.map((s) => s.name));
  return {
    drop: local
      .filter((s) => !s.active && slotKind(policy, s.name) === 'ha' && !wanted.includes(s.name))
      .map((s) => s.name),
    create: wanted.filter((n) => !have.has(n)).map((name) => ({ name, reserve: true })),
    advance: [],
  };
}

/**
 * On a standby: aligns `local` with `primary` (undefined when neither feature is on and the primary
 * was not asked). Mirrors upstream's slot replicator, plus the cleanup its reconciler does when a
 * feature is turned off.
 */
export function planStandbySlots(
  primary: readonly SlotState[] | undefined,
  local: readonly SlotState[],
  policy: SlotPolicy,
  self: string,
): SlotChanges {
  const own = policy.highAvailability ? slotNameForInstance(policy.prefix, self) : undefined;
  const mirrored = (slot: SlotState): boolean => {
    const kind = slotKind(policy, slot.name);
    if (kind === 'excluded' || slot.name === own) return false;
    // An HA slot that reserves nothing yet would only be created empty: wait until it does.
    return kind === 'ha' ? policy.highAvailability && slot.restartLsn !== '' : policy.synchronizeReplicas;
  };
  const onPrimary = new Map(
    (primary ?? []).filter((s) => slotKind(policy, s.name) !== 'excluded').map((s) => [s.name, s]),
  );
  const changes: SlotChanges = { drop: [], create: [], advance: [] };
  const dropped = new Set<string>();
  for (const slot of local) {
    const kind = slotKind(policy, slot.name);
    if (kind === 'excluded' || slot.active) continue;
    const source = onPrimary.get(slot.name);
    const stale =
      slot.name === own ||
      slot.holdsXmin ||
      (kind === 'ha' && !policy.highAvailability) ||
      (kind === 'user' && !policy.synchronizeReplicas) ||
      (primary !== undefined && source === undefined) ||
      // Created before the primary's slot reserved WAL: it cannot be advanced, so it is created anew.
      (source !== undefined && slot.restartLsn === '' && source.restartLsn !== '' && mirrored(source));
    if (stale) {
      changes.drop.push(slot.name);
      dropped.add(slot.name);
    }
  }
  const present = new Map(local.filter((s) => !dropped.has(s.name)).map((s) => [s.name, s]));
  for (const slot of onPrimary.values()) {
    if (!mirrored(slot)) continue;
    const mine = present.get(slot.name);
    if (mine === undefined) changes.create.push({ name: slot.name, reserve: slot.restartLsn !== '' });
    if (slot.restartLsn !== '' && (mine === undefined || compareLsn(slot.restartLsn, mine.restartLsn) > 0)) {
      changes.advance.push({ name: slot.name, lsn: slot.restartLsn });
    }
  }
  return changes;
}

export const isEmpty = (c: SlotChanges): boolean =>
  c.drop.length === 0 && c.create.length === 0 && c.advance.length === 0;

/** The statements applying `changes`: drops, then creations, then advances. */
export function slotChangesSql(changes: SlotChanges): string {
  const statements = [
    ...changes.drop.map((n) => `SELECT pg_catalog.pg_drop_replication_slot(${quoteLiteral(n)});`),
    ...changes.create.map(
      (s) => `SELECT pg_catalog.pg_create_physical_replication_slot(${quoteLiteral(s.name)}, ${s.reserve});`,
    ),
    // The guard re-reads the slot: one created above reserved WAL at a position of its own, and
    // pg_replication_slot_advance refuses to go backwards.
    ...changes.advance.map((s) => {
      parseLsn(s.lsn);
      const lsn = `${quoteLiteral(s.lsn)}::pg_lsn`;
      return (
        `SELECT pg_catalog.pg_replication_slot_advance(slot_name, ${lsn}) FROM pg_catalog.pg_replication_slots ` +
        `WHERE slot_name = ${quoteLiteral(s.name)} AND restart_lsn < ${lsn};`
      );
    }),
  ];
  return statements.length === 0 ? '' : `${statements.join('\n')}\n`;
}

/** The physical slots of an instance, as rows of SlotRow. */
export const PHYSICAL_SLOTS_QUERY = `SELECT slot_name, active, coalesce(restart_lsn::text, '') AS restart_lsn,
  (xmin IS NOT NULL OR catalog_xmin IS NOT NULL) AS holds_xmin
  FROM pg_catalog.pg_replication_slots WHERE NOT temporary AND slot_type = 'physical'`;

export interface SlotRow {
  slot_name: string;
  active: boolean;
  restart_lsn: string;
  holds_xmin: boolean;
}

export const toSlotState = (row: SlotRow): SlotState => ({
  name: row.slot_name,
  active: row.active,
  restartLsn: row.restart_lsn,
  holdsXmin: row.holds_xmin,
});

export async function localSlots(sql: LocalSql): Promise<SlotState[]> {
  return (await sql.query<SlotRow>(PHYSICAL_SLOTS_QUERY)).map(toSlotState);
}
