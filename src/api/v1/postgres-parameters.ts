// What CloudNativePG knows about postgresql.conf parameters (upstream `pkg/postgres/configuration.go`):
// the defaults it adds, the settings it forces, the parameters users may not touch, the managed
// extensions, and the merge the defaulter writes back into `spec.postgresql.parameters`.

import { parseQuantity } from './quantity.ts';

export const SCRATCH_DIRECTORY = '/controller';
export const SOCKET_DIRECTORY = `${SCRATCH_DIRECTORY}/run`;
export const LOG_DIRECTORY = `${SCRATCH_DIRECTORY}/log`;
export const LOG_FILE_NAME = 'postgres';
export const CERTIFICATES_DIRECTORY = `${SCRATCH_DIRECTORY}/certificates/`;
export const SERVER_PORT = 5432;

/** Settings CNPG adds unless the user sets them (same for every supported major). */
export const GLOBAL_DEFAULT_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  archive_timeout: '5min',
  dynamic_shared_memory_type: 'posix',
  full_page_writes: 'on',
  logging_collector: 'on',
  log_destination: 'csvlog',
  log_directory: LOG_DIRECTORY,
  log_filename: LOG_FILE_NAME,
  log_rotation_age: '0',
  log_rotation_size: '0',
  log_truncate_on_rotation: 'false',
  max_parallel_workers: '32',
  max_worker_processes: '32',
  max_replication_slots: '32',
  shared_memory_type: 'mmap',
  ssl_max_protocol_version: 'TLSv1.3',
  ssl_min_protocol_version: 'TLSv1.3',
  wal_keep_size: '512MB',
  wal_level: 'logical',
  wal_log_hints: 'on',
  wal_sender_timeout: '5s',
  wal_receiver_timeout: '5s',
  // Explicit so that PostgreSQL sees a value for a restart-only parameter from the start.
  shared_preload_libraries: '',
});

/** Settings written to disk over whatever the user asked for; never shown in the spec. */
export const MANDATORY_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  archive_command: `/controller/manager wal-archive --log-destination ${LOG_DIRECTORY}/${LOG_FILE_NAME}.json %p`,
  hot_standby: 'true',
  listen_addresses: '*',
  port: String(SERVER_PORT),
  restart_after_crash: 'false',
  ssl: 'on',
  ssl_cert_file: `${CERTIFICATES_DIRECTORY}server.crt`,
  ssl_key_file: `${CERTIFICATES_DIRECTORY}server.key`,
  ssl_ca_file: `${CERTIFICATES_DIRECTORY}client-ca.crt`,
  unix_socket_directories: SOCKET_DIRECTORY,
});

/**
 * `fixed`: the operator owns the value. `blocked`: must keep PostgreSQL's or CNPG's default for
 * the operator to work. Either way the user may not set it (unless equal to the operator's value).
 */
export type ReservedParameterKind = 'fixed' | 'blocked';

const FIXED: ReservedParameterKind = 'fixed';
const BLOCKED: ReservedParameterKind = 'blocked';

export const RESERVED_PARAMETERS: ReadonlyMap<string, ReservedParameterKind> = new Map([
  // Parameters that need a restart
  ['allow_system_table_mods', BLOCKED],
  ['archive_mode', FIXED],
  ['bonjour', BLOCKED],
  ['bonjour_name', BLOCKED],
  ['cluster_name', FIXED],
  ['config_file', BLOCKED],
  ['data_directory', BLOCKED],
  ['data_sync_retry', BLOCKED],
  ['event_source', BLOCKED],
  ['external_pid_file', BLOCKED],
  ['hba_file', BLOCKED],
  ['hot_standby', BLOCKED],
  ['ident_file', BLOCKED],
  ['jit_provider', BLOCKED],
  ['listen_addresses', BLOCKED],
  ['logging_collector', BLOCKED],
  ['port', FIXED],
  ['primary_conninfo', FIXED],
  ['primary_slot_name', FIXED],
  ['recovery_target', FIXED],
  ['recovery_target_action', FIXED],
  ['recovery_target_inclusive', FIXED],
  ['recovery_target_lsn', FIXED],
  ['recovery_target_name', FIXED],
  ['recovery_target_time', FIXED],
  ['recovery_target_timeline', FIXED],
  ['recovery_target_xid', FIXED],
  ['restore_command', FIXED],
  ['shared_preload_libraries', FIXED],
  ['temp_tablespaces', FIXED],
  ['unix_socket_directories', BLOCKED],
  ['unix_socket_group', BLOCKED],
  ['unix_socket_permissions', BLOCKED],
  // Parameters applied on reload
  ['archive_cleanup_command', BLOCKED],
  ['archive_command', FIXED],
  ['log_destination', BLOCKED],
  ['log_directory', BLOCKED],
  ['log_file_mode', BLOCKED],
  ['log_filename', BLOCKED],
  ['log_rotation_age', BLOCKED],
  ['log_rotation_size', BLOCKED],
  ['log_truncate_on_rotation', BLOCKED],
  ['pg_failover_slots.primary_dsn', FIXED],
  ['pg_failover_slots.standby_slot_names', FIXED],
  ['promote_trigger_file', BLOCKED],
  ['recovery_end_command', BLOCKED],
  ['recovery_min_apply_delay', BLOCKED],
  ['restart_after_crash', BLOCKED],
  ['ssl', FIXED],
  ['ssl_ca_file', FIXED],
  ['ssl_cert_file', FIXED],
  ['ssl_crl_file', FIXED],
  ['ssl_dh_params_file', FIXED],
  ['ssl_ecdh_curve', FIXED],
  ['ssl_key_file', FIXED],
  ['ssl_passphrase_command', FIXED],
  ['ssl_passphrase_command_supports_reload', FIXED],
  ['ssl_prefer_server_ciphers', FIXED],
  ['stats_temp_directory', BLOCKED],
  ['synchronous_standby_names', FIXED],
  ['synchronized_standby_slots', FIXED],
  ['syslog_facility', BLOCKED],
  ['syslog_ident', BLOCKED],
  ['syslog_sequence_numbers', BLOCKED],
  ['syslog_split_messages', BLOCKED],
]);

/** True for a parameter the user may not set freely (fixed or blocked). */
export function isReservedParameter(name: string): boolean {
  return RESERVED_PARAMETERS.has(name);
}

/** A GUC name: an identifier, optionally qualified by one custom namespace (`pgaudit.log`). */
export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

export function isValidParameterName(name: string): boolean {
  return PARAMETER_NAME_PATTERN.test(name);
}

/** An extension the operator loads on its own when one of its GUC namespaces is configured. */
export interface ManagedExtension {
  name: string;
  namespaces: readonly string[];
  sharedPreloadLibraries: readonly string[];
  /** Only a preloaded library: no CREATE EXTENSION. */
  skipCreateExtension: boolean;
}

export const MANAGED_EXTENSIONS: readonly ManagedExtension[] = [
  { name: 'pgaudit', namespaces: ['pgaudit'], sharedPreloadLibraries: ['pgaudit'], skipCreateExtension: false },
  {
    name: 'pg_stat_statements',
    namespaces: ['pg_stat_statements'],
    sharedPreloadLibraries: ['pg_stat_statements'],
    skipCreateExtension: false,
  },
  {
    name: 'auto_explain',
    namespaces: ['auto_explain'],
    sharedPreloadLibraries: ['auto_explain'],
    skipCreateExtension: true,
  },
  {
    name: 'pg_failover_slots',
    namespaces: ['pg_failover_slots'],
    sharedPreloadLibraries: ['pg_failover_slots'],
    skipCreateExtension: true,
  },
];

/** Whether any parameter lives in one of the extension's namespaces (`<namespace>.<name>`). */
export function isExtensionUsed(extension: ManagedExtension, parameters: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(parameters);
  return extension.namespaces.some((ns) => names.some((name) => name.startsWith(`${ns}.`)));
}

/** `isExtensionUsed` by extension name; false for an extension the operator does not manage. */
export function isManagedExtensionUsed(name: string, parameters: Readonly<Record<string, string>>): boolean {
  const extension = MANAGED_EXTENSIONS.find((e) => e.name === name);
  return extension !== undefined && isExtensionUsed(extension, parameters);
}

/** The shared libraries the managed extensions in use need, in declaration order. */
export function managedSharedPreloadLibraries(parameters: Readonly<Record<string, string>>): string[] {
  const libraries: string[] = [];
  for (const extension of MANAGED_EXTENSIONS) {
    if (!isExtensionUsed(extension, parameters)) continue;
    for (const library of extension.sharedPreloadLibraries) {
      if (!libraries.includes(library)) libraries.push(library);
    }
  }
  return libraries;
}

export interface SanitizeOptions {
  /** `archive_mode` becomes `always` on a replica cluster. */
  isReplicaCluster?: boolean;
  /** Annotation `cnpg.io/skipWalArchiving: enabled`: `archive_mode` becomes `off`. */
  walArchivingDisabled?: boolean;
  /**
   * Keep the user's fixed/blocked parameters. The defaulter keeps them so that validation can
   * reject them; validation compares against the merge without them.
   */
  preserveReservedFromUser?: boolean;
}

/**
 * CNPG's defaults with the user's parameters on top and the operator's `archive_mode`: what
 * upstream's configuration builder yields without mandatory settings, cluster name or replication
 * settings. `_major` is taken because defaults may differ per major; in 1.30 none do.
 */
export function sanitizedParameters(
  _major: number,
  user: Readonly<Record<string, string>> | undefined,
  options: SanitizeOptions = {},
): Record<string, string> {
  // A Map, so that a user key such as `__proto__` stays a plain entry.
  const merged = new Map<string, string>(Object.entries(GLOBAL_DEFAULT_PARAMETERS));
  for (const [name, value] of Object.entries(user ?? {})) {
    if (isReservedParameter(name) && !options.preserveReservedFromUser) continue;
    merged.set(name, value);
  }
  let archiveMode = 'on';
  if (options.walArchivingDisabled) archiveMode = 'off';
  else if (options.isReplicaCluster) archiveMode = 'always';
  merged.set('archive_mode', archiveMode);
  return Object.fromEntries(merged);
}

/**
 * What the defaulter stores in `spec.postgresql.parameters`: the user's parameters (reserved ones
 * included, so validation can report them) merged over CNPG's defaults for that major.
 */
export function defaultParameters(
  major: number,
  user: Readonly<Record<string, string>> | undefined,
  options: Omit<SanitizeOptions, 'preserveReservedFromUser'> = {},
): Record<string, string> {
  return sanitizedParameters(major, user, { ...options, preserveReservedFromUser: true });
}

/**
 * A PostgreSQL boolean (`on`, `off`, `true`, `false`, `yes`, `no`, `1`, `0` or an unambiguous
 * prefix, case-insensitive); undefined when the text is none of these.
 */
export function parsePostgresBoolean(value: string): boolean | undefined {
  switch (value.toLowerCase()) {
    case '1':
    case 'on':
    case 'y':
    case 'ye':
    case 'yes':
    case 't':
    case 'tr':
    case 'tru':
    case 'true':
      return true;
    case '0':
    case 'of':
    case 'off':
    case 'n':
    case 'no':
    case 'f':
    case 'fa':
    case 'fal':
    case 'fals':
    case 'false':
      return false;
    default:
      return undefined;
  }
}

// Go's strconv.Atoi: optional sign and decimal digits.
const GO_INTEGER = /^[+-]?\d+$/;

/** True when a memory setting is a bare integer (upstream warns that it lacks a unit). */
export function isBareInteger(value: string): boolean {
  return GO_INTEGER.test(value);
}

/**
 * Bytes of a PostgreSQL memory setting, as the admission rules read it: a unit ending in `B`
 * (`8kB`, `128MB`, `1GB`, `1TB`, `100B`) taken as binary multiples, spaces allowed before the unit,
 * and a bare integer taken as megabytes (not as PostgreSQL's 8kB pages: upstream's choice).
 * Throws on anything else.
 */
export function parsePostgresMemory(value: string): number {
  let text = isBareInteger(value) ? `${value}MB` : value;
  if (!text.endsWith('B')) throw new Error(`quantities must end with a B unit: ${value}`);
  text = text.slice(0, -1).replaceAll(' ', '');
  if (!isBareInteger(text)) text = `${text}i`.replaceAll('ki', 'Ki');
  return parseQuantity(text);
}
