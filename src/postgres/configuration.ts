// The PostgreSQL configuration an instance runs with, rendered as upstream lays it out in PGDATA:
// postgresql.conf (initdb's) includes custom.conf (CNPG defaults + user parameters + mandatory
// settings, sorted, with their checksum) and override.conf (replication settings owned by the
// instance manager); pg_hba.conf and pg_ident.conf are fixed rules plus the user's.
import { createHash } from 'node:crypto';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { managedSharedPreloadLibraries, sanitizedParameters } from '../api/v1/postgres-parameters.ts';
import { quoteConfValue } from './quoting.ts';
import { renderSynchronousStandbyNames, synchronousStandbyNamesConfig } from './synchronous-standby-names.ts';

export const CUSTOM_CONF = 'custom.conf';
export const OVERRIDE_CONF = 'override.conf';
export const HBA_CONF = 'pg_hba.conf';
export const IDENT_CONF = 'pg_ident.conf';
export const STANDBY_SIGNAL = 'standby.signal';
/** Injected into custom.conf so the manager can tell when PostgreSQL has loaded a given version. */
export const CONFIG_SHA_PARAMETER = 'cnpg.config_sha256';
/**
 * Upstream's custom setting holding what synchronous_standby_names was computed from (JSON: method,
 * number, standbyNames), so the instance manager can tell what a running PostgreSQL uses.
 */
export const SYNCHRONOUS_METADATA_PARAMETER = 'cnpg.synchronous_standby_names_metadata';
export const STREAMING_REPLICA_USER = 'streaming_replica';
export const SKIP_WAL_ARCHIVING_ANNOTATION = 'cnpg.io/skipWalArchiving';

/** Where this instance's files and sockets are: the pod-specific part of the configuration. */
export interface ConfigPlacement {
  pgMajor: number;
  listenAddresses: string;
  port: number;
  socketDir: string;
  logDir: string;
  logFileName: string;
  certificatesDir: string;
  /** The server certificate and key are present: TLS on, certificate authentication for replication. */
  tlsEnabled: boolean;
  archiveCommand: string;
}

/** The parameters custom.conf holds, before rendering. */
export function postgresParameters(cluster: Cluster, placement: ConfigPlacement): Record<string, string> {
  const spec = cluster.spec;
  const user = spec.postgresql?.parameters ?? {};
  const annotations = cluster.metadata?.annotations ?? {};
  // CNPG's defaults, the user's parameters that are not reserved, and archive_mode.
  const params = sanitizedParameters(placement.pgMajor, user, {
    isReplicaCluster: spec.replica?.enabled === true,
    walArchivingDisabled: annotations[SKIP_WAL_ARCHIVING_ANNOTATION] === 'enabled',
  });
  // The log directory is blocked for users: it is ours, like the mandatory settings below.
  params.log_directory = placement.logDir;
  params.log_filename = placement.logFileName;
  Object.assign(params, {
    archive_command: placement.archiveCommand,
    hot_standby: 'true',
    listen_addresses: placement.listenAddresses,
    port: String(placement.port),
    restart_after_crash: 'false',
    unix_socket_directories: placement.socketDir,
  });
  if (placement.tlsEnabled) {
    Object.assign(params, {
      ssl: 'on',
      ssl_cert_file: `${placement.certificatesDir}/server.crt`,
      ssl_key_file: `${placement.certificatesDir}/server.key`,
      ssl_ca_file: `${placement.certificatesDir}/client-ca.crt`,
    });
  } else {
    params.ssl = 'off';
  }
  if (placement.pgMajor >= 17) params.allow_alter_system = spec.postgresql?.enableAlterSystem ? 'on' : 'off';
  // Same value on every instance, from the Cluster's status: a reload follows instances coming
  // and going. Absent (PostgreSQL's '') when synchronous replication is off.
  const sync = synchronousStandbyNamesConfig(cluster);
  const standbyNames = renderSynchronousStandbyNames(sync);
  if (standbyNames !== '') {
    params.synchronous_standby_names = standbyNames;
    const { method, number, standbyNames: names } = sync;
    params[SYNCHRONOUS_METADATA_PARAMETER] = JSON.stringify({ method, number, standbyNames: names });
  }
  const name = cluster.metadata?.name;
  if (typeof name === 'string' && name !== '') params.cluster_name = name;
  // The user's libraries first, then the ones managed extensions need, without duplicates.
  const libraries = [...(spec.postgresql?.shared_preload_libraries ?? []), ...managedSharedPreloadLibraries(user)];
  const unique = [...new Set(libraries.filter((l) => l !== ''))];
  if (unique.length > 0) params.shared_preload_libraries = unique.join(',');
  return params;
}

export interface RenderedConf {
  text: string;
  sha256: string;
}

/** custom.conf: one `name = 'value'` per line, sorted so equal configurations render equal. */
export function renderCustomConf(params: Readonly<Record<string, string>>): RenderedConf {
  const lines = Object.keys(params)
    .filter((name) => name !== CONFIG_SHA_PARAMETER)
    .sort()
    .map((name) => `${name} = ${quoteConfValue(params[name] ?? '')}\n`)
    .join('');
  const sha256 = createHash('sha256').update(lines).digest('hex');
  return { text: `${lines}${CONFIG_SHA_PARAMETER} = ${quoteConfValue(sha256)}\n`, sha256 };
}

/** override.conf: the replication settings the instance manager owns. */
export function renderOverrideConf(settings: Readonly<Record<string, string>>): string {
  return Object.keys(settings)
    .sort()
    .map((name) => `${name} = ${quoteConfValue(settings[name] ?? '')}\n`)
    .join('');
}

/** pg_hba.conf: upstream's fixed rules, the user's rules, then password authentication for the rest. */
export function renderHba(userRules: readonly string[], pgMajor: number, tlsEnabled: boolean): string {
  const replication = tlsEnabled
    ? [
        '# Require client certificate authentication for the streaming_replica user',
        'hostssl postgres streaming_replica all cert map=cnpg_streaming_replica',
        'hostssl replication streaming_replica all cert map=cnpg_streaming_replica',
        'hostssl all cnpg_pooler_pgbouncer all cert map=cnpg_pooler_pgbouncer',
      ]
    : [
        '# No server certificate yet: streaming_replica is trusted over plain TCP until the',
        '# instance has its certificates (then certificate authentication replaces these rules)',
        'host postgres streaming_replica all trust',
        'host replication streaming_replica all trust',
      ];
  // PostgreSQL 14 made SCRAM the default password_encryption.
  const defaultMethod = pgMajor >= 14 ? 'scram-sha-256' : 'md5';
  return [
    '#',
    '# FIXED RULES',
    '#',
    '',
    "# Grant local access ('local' user map)",
    'local all all peer map=local',
    '',
    ...replication,
    '',
    '#',
    '# USER-DEFINED RULES',
    '#',
    '',
    ...userRules,
    '',
    '#',
    '# DEFAULT RULES',
    '#',
    `host all all all ${defaultMethod}`,
    '',
  ].join('\n');
}

/** pg_ident.conf: the OS user the manager runs as may log in locally as `postgres`. */
export function renderIdent(osUserName: string, userLines: readonly string[]): string {
  return [
    '#',
    '# FIXED RULES',
    '#',
    '',
    "# Grant local access ('local' user map)",
    `local ${osUserName} postgres`,
    '',
    "# Grant streaming_replica access ('cnpg_streaming_replica' user map)",
    'cnpg_streaming_replica streaming_replica streaming_replica',
    '',
    "# Grant cnpg_pooler_pgbouncer access ('cnpg_pooler_pgbouncer' user map)",
    'cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer',
    '',
    '#',
    '# USER-DEFINED RULES',
    '#',
    '',
    ...userLines,
    '',
  ].join('\n');
}

/** postgresql.conf with the include directives for custom.conf and override.conf appended if missing. */
export function withIncludes(postgresqlConf: string): string {
  let text = postgresqlConf.endsWith('\n') || postgresqlConf === '' ? postgresqlConf : `${postgresqlConf}\n`;
  for (const file of [CUSTOM_CONF, OVERRIDE_CONF]) {
    const directive = `include '${file}'`;
    if (!text.split('\n').some((line) => line.trim() === directive)) text += `${directive}\n`;
  }
  return text;
}

const DEFAULT_SLOT_PREFIX = '_cnpg_';

/**
 * The prefix of the cluster's HA replication slots (whether they are on or not: turning them off
 * drops the slots with this prefix). An empty prefix would make every slot an HA slot: upstream
 * falls back to the default.
 */
export function haSlotPrefix(cluster: Cluster): string {
  return cluster.spec.replicationSlots?.highAvailability?.slotPrefix || DEFAULT_SLOT_PREFIX;
}

/** The physical replication slot an instance streams through (upstream's HA slot naming). */
export function slotNameForInstance(prefix: string, instanceName: string): string {
  return `${prefix}${instanceName}`.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}
