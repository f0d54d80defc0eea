// What a primary must have for the rest of the cluster: the streaming_replica role with the
// rights pg_rewind needs, the superuser password as the Cluster wants it, and one physical
// replication slot per other instance (upstream's high-availability slots).
import type { Cluster } from '../api/v1/cluster-types.ts';
import { STREAMING_REPLICA_USER } from '../postgres/configuration.ts';
import type { LocalSql } from '../postgres/local-sql.ts';
import { quoteIdentifier, quoteLiteral } from '../postgres/quoting.ts';
import { localSlots, planPrimarySlots, slotChangesSql, slotPolicy } from './replication-slots.ts';

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

/**
 * Creates the HA slots of the other instances and drops those of instances no longer listed (all
 * of them when HA slots are disabled); returns the slots created.
 */
export async function reconcileReplicationSlots(sql: LocalSql, cluster: Cluster, self: string): Promise<string[]> {
  const changes = planPrimarySlots(
    await localSlots(sql),
    slotPolicy(cluster),
    cluster.status?.instanceNames ?? [],
    self,
  );
  const script = slotChangesSql(changes);
  if (script !== '') await sql.exec(script);
  return changes.create.map((s) => s.name);
}
