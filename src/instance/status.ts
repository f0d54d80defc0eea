// `/pg/status`: upstream's PostgresqlStatus (pkg/postgres/status.go) field names, collected in one
// query, plus what a reader without a Pod object needs (instance name, role, version) and the
// data directory's major (the server's: it runs only on its own), which the operator records as
// the cluster's running major.
import type { PostgresqlStatus, ReplicationPeer } from '../api/v1/instance-status.ts';
import type { InstanceContext } from './context.ts';
import { readyWalFileCount } from './wal-files.ts';

/** A primary's timeline, from the name of the WAL file it writes (pg_control lags until a checkpoint). */
export const WRITE_TIMELINE_SQL =
  "('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int";

interface Row {
  system_id: string;
  in_recovery: boolean;
  current_lsn: string | null;
  received_lsn: string | null;
  replay_lsn: string | null;
  replay_paused: boolean;
  timeline: number;
  wal_receiver_status: string | null;
  sender_host: string | null;
  sender_port: number | null;
  pending: string[];
  config_hash: string | null;
  current_wal: string | null;
  version: string;
  major: number;
  peers: Record<string, string | number | null>[];
  slots: {
    slot_name: string;
    slot_type: string;
    active: boolean;
    restart_lsn: string | null;
    wal_status: string | null;
  }[];
}

const STATUS_QUERY = `
SELECT
  (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) AS system_id,
  pg_catalog.pg_is_in_recovery() AS in_recovery,
  CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_current_wal_lsn()::text END AS current_lsn,
  pg_catalog.pg_last_wal_receive_lsn()::text AS received_lsn,
  pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
  CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused() ELSE false END AS replay_paused,
  CASE WHEN pg_catalog.pg_is_in_recovery()
    THEN coalesce((SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver),
                  (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()))
    ELSE ${WRITE_TIMELINE_SQL}
  END AS timeline,
  (SELECT status FROM pg_catalog.pg_stat_wal_receiver) AS wal_receiver_status,
  (SELECT sender_host FROM pg_catalog.pg_stat_wal_receiver) AS sender_host,
  (SELECT sender_port FROM pg_catalog.pg_stat_wal_receiver) AS sender_port,
  (SELECT coalesce(json_agg(name ORDER BY name), '[]'::json) FROM pg_catalog.pg_settings WHERE pending_restart) AS pending,
  current_setting('cnpg.config_sha256', true) AS config_hash,
  CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
    ELSE pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()) END AS current_wal,
  current_setting('server_version') AS version,
  current_setting('server_version_num')::int / 10000 AS major,
  (SELECT coalesce(json_agg(json_build_object(
      'applicationName', application_name, 'state', state,
      'receivedLsn', sent_lsn::text, 'writeLsn', write_lsn::text, 'flushLsn', flush_lsn::text,
      'replayLsn', replay_lsn::text, 'writeLag', write_lag::text, 'flushLag', flush_lag::text,
      'replayLag', replay_lag::text, 'syncState', sync_state, 'syncPriority', sync_priority::text,
      'replayLagBytes', CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
        ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn)::bigint END
    ) ORDER BY application_name), '[]'::json) FROM pg_catalog.pg_stat_replication) AS peers,
  (SELECT coalesce(json_agg(json_build_object(
      'slot_name', slot_name, 'slot_type', slot_type, 'active', active,
      'restart_lsn', restart_lsn::text, 'wal_status', wal_status) ORDER BY slot_name), '[]'::json)
    FROM pg_catalog.pg_replication_slots) AS slots`;

const dropNulls = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;

export interface StatusExtras {
  isPgRewindRunning: boolean;
  mightBeUnavailable: boolean;
  isFenced: boolean;
  instanceManagerVersion: string;
  sessionID: string;
}

export async function collectStatus(ctx: InstanceContext, extras: StatusExtras): Promise<PostgresqlStatus> {
  const row = await ctx.sql.queryOne<Row>(STATUS_QUERY, { timeoutMs: 5_000 });
  const primary = !row.in_recovery;
  return dropNulls({
    instanceName: ctx.options.podName,
    clusterName: ctx.clusterName,
    role: primary ? 'primary' : 'replica',
    isPrimary: primary,
    systemID: row.system_id,
    timeLineID: row.timeline,
    currentLsn: row.current_lsn ?? undefined,
    receivedLsn: row.received_lsn ?? undefined,
    replayLsn: row.replay_lsn ?? undefined,
    replayPaused: row.replay_paused,
    isWalReceiverActive: row.wal_receiver_status === 'streaming',
    walReceiverStatus: row.wal_receiver_status ?? undefined,
    streamingFrom: row.sender_host === null ? undefined : `${row.sender_host}:${row.sender_port}`,
    pendingRestart: row.pending.length > 0,
    pendingRestartParameters: row.pending,
    loadedConfigurationHash: row.config_hash ?? undefined,
    currentWAL: row.current_wal ?? undefined,
    readyWalFiles: readyWalFileCount(ctx.options.pgdata),
    postgresVersion: row.version,
    // A server runs only on a data directory of its own major: PG_VERSION needs no read.
    pgDataMajorVersion: row.major,
    replicationInfo: row.peers.map((p) => dropNulls(p) as ReplicationPeer),
    replicationSlotsInfo: row.slots.map((s) =>
      dropNulls({
        slotName: s.slot_name,
        slotType: s.slot_type,
        active: s.active,
        restartLsn: s.restart_lsn ?? undefined,
        walStatus: s.wal_status ?? undefined,
      }),
    ),
    ...extras,
  });
}
