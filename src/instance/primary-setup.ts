// What a primary must have for the rest of the cluster: the streaming_replica role with the
// rights pg_rewind needs, the superuser password as the Cluster wants it, and one physical
// replication slot per other instance (upstream's high-availability slots).
import type { Cluster } from '../api/v1/cluster-types.ts';
import { STREAMING_REPLICA_USER } from '../postgres/configuration.ts';
import type { LocalSql } from '../postgres/local-sql.ts';
import { quoteIdentifier, quoteLiteral } from '../postgres/quoting.ts';
import { DEFAULT_SLOT_PREFIX, replicationSlotFor } from './pgdata-config.ts';

const REWIND_FUNCTIONS = [
  'pg_catalog.pg_ls_dir(text, boolean, boolean)',
  'pg_catalog.pg_stat_file(text, boolean)',
  'pg_catalog.pg_read_binary_file(text)',
  'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)',
];

export function streamingReplicaSql(): string {
  const role = quoteIdentifier(STREAMING_REPLICA_USER);
  return [
    `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(STREAMING_REPLICA_USER)}) THEN
    CREATE ROLE ${role} WITH LOGIN REPLICATION;
  END IF;
END $$;`,
    ...REWIND_FUNCTIONS.map((fn) => `GRANT EXECUTE ON FUNCTION ${fn} TO ${role};`),
    '',
  ].join('\n');
}

/** `ALTER ROLE postgres`: a password from the superuser secret, or none when access is disabled. */
export function superuserPasswordSql(password: string | undefined): string {
  return `ALTER ROLE postgres WITH PASSWORD ${password === undefined ? 'NULL' : quoteLiteral(password)};\n`;
}

/** Creates the HA slots of the other instances and drops those of instances no longer listed. */
export async function reconcileReplicationSlots(sql: LocalSql, cluster: Cluster, self: string): Promise<string[]> {
  const names = cluster.status?.instanceNames ?? [];
  if (names.length === 0 || replicationSlotFor(cluster, self) === undefined) return [];
  const prefix = cluster.spec.replicationSlots?.highAvailability?.slotPrefix ?? DEFAULT_SLOT_PREFIX;
  const wanted = names.filter((n) => n !== self).map((n) => replicationSlotFor(cluster, n) as string);
  const existing = await sql.query<{ slot_name: string; active: boolean }>(
    "SELECT slot_name, active FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical'",
  );
  const have = new Set(existing.map((s) => s.slot_name));
  const statements = wanted
    .filter((s) => !have.has(s))
    .map((s) => `SELECT pg_catalog.pg_create_physical_replication_slot(${quoteLiteral(s)}, true);`);
  for (const slot of existing) {
    if (slot.slot_name.startsWith(prefix) && !wanted.includes(slot.slot_name) && !slot.active) {
      statements.push(`SELECT pg_catalog.pg_drop_replication_slot(${quoteLiteral(slot.slot_name)});`);
    }
  }
  if (statements.length > 0) await sql.exec(statements.join('\n'));
  return wanted.filter((s) => !have.has(s));
}

/** On a standby, HA slots are leftovers of its time as primary: drop the inactive ones. */
export async function dropLeftoverSlots(sql: LocalSql, cluster: Cluster): Promise<void> {
  const prefix = cluster.spec.replicationSlots?.highAvailability?.slotPrefix ?? DEFAULT_SLOT_PREFIX;
  await sql.exec(
    `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots
     WHERE NOT active AND slot_type = 'physical' AND starts_with(slot_name, ${quoteLiteral(prefix)});`,
  );
}
