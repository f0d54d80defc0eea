// The credential secrets of a cluster: `<cluster>-app` for the owner of the application database and
// `<cluster>-superuser` for `postgres` when superuser access is enabled. Both are basic-auth secrets
// carrying ready-made connection strings, with upstream's keys and formats. A secret the user names
// in the spec is the user's: nothing is generated for it.
import { randomInt } from 'node:crypto';
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { isReplicaCluster } from '../../api/v1/cluster-validation-postgres.ts';
import { SERVER_PORT as POSTGRES_PORT } from '../../api/v1/postgres-parameters.ts';
import { type InheritanceOptions, LABELS, MANAGER_NAME, setInheritedDataAndOwnership, USER_TYPES } from './labels.ts';
import {
  applicationDatabaseName,
  applicationDatabaseOwner,
  applicationSecretName,
  clusterName,
  clusterNamespace,
  serviceReadWriteName,
  superuserSecretName,
} from './names.ts';

export const SUPERUSER_NAME = 'postgres';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/**
 * A random password as upstream generates them (go-password's Generate(64, 10, 0, false, true)):
 * 64 characters, exactly 10 of them digits and the rest letters of both cases, repeats allowed.
 */
export function generatePassword(length = 64, digits = 10): string {
  const chars: string[] = [];
  const insertRandom = (alphabet: string) => {
    chars.splice(randomInt(chars.length + 1), 0, alphabet[randomInt(alphabet.length)] as string);
  };
  for (let i = 0; i < length - digits; i++) insertRandom(LETTERS);
  for (let i = 0; i < digits; i++) insertRandom(DIGITS);
  return chars.join('');
}

// Percent-encoding as Go's net/url does it, so the URIs are byte-identical to upstream's.
const UNRESERVED = /[A-Za-z0-9\-_.~]/;
function goEscape(s: string, keep: string, spaceAsPlus = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && (UNRESERVED.test(c) || keep.includes(c))) out += c;
    else if (c === ' ' && spaceAsPlus) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const escapeUserInfo = (s: string) => goEscape(s, '$&+,;=');
const escapePath = (s: string) => (s === '*' ? s : goEscape(s, '$&+,/:;=@'));
const escapeQuery = (s: string) => goEscape(s, '', true);

/** `postgresql://user:password@host/dbname` */
export function postgresUri(host: string, dbname: string, username: string, password: string): string {
  return `postgresql://${escapeUserInfo(username)}:${escapeUserInfo(password)}@${host}/${escapePath(dbname)}`;
}

/** `jdbc:postgresql://host/dbname?password=...&user=...` (query keys sorted, as Go encodes them). */
export function jdbcUri(host: string, dbname: string, username: string, password: string): string {
  return (
    `jdbc:postgresql://${host}/${escapePath(dbname)}` +
    `?password=${escapeQuery(password)}&user=${escapeQuery(username)}`
  );
}

export interface CredentialsSecretInput {
  name: string;
  namespace: string;
  /** The service clients reach the database through (`<cluster>-rw`). */
  hostname: string;
  dbname: string;
  username: string;
  password: string;
  userType: (typeof USER_TYPES)[keyof typeof USER_TYPES];
  clusterDomain?: string;
}

/** A basic-auth secret with the credentials and every connection string upstream provides. */
export function buildCredentialsSecret(input: CredentialsSecretInput): V1Secret & { metadata: V1ObjectMeta } {
  const { name, namespace, hostname, dbname, username, password } = input;
  const domain = input.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const namespacedHost = `${hostname}.${namespace}:${POSTGRES_PORT}`;
  const fqdnHost = `${hostname}.${namespace}.svc.${domain}:${POSTGRES_PORT}`;
  const stringData: Record<string, string> = {
    username,
    user: username,
    password,
    dbname,
    host: hostname,
    port: String(POSTGRES_PORT),
    pgpass: `${hostname}:${POSTGRES_PORT}:${dbname}:${username}:${password}\n`,
    uri: postgresUri(namespacedHost, dbname, username, password),
    'jdbc-uri': jdbcUri(namespacedHost, dbname, username, password),
    'fqdn-uri': postgresUri(fqdnHost, dbname, username, password),
    'fqdn-jdbc-uri': jdbcUri(fqdnHost, dbname, username, password),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: {
        [LABELS.userType]: input.userType,
        [LABELS.reload]: 'true',
        [LABELS.appManagedBy]: MANAGER_NAME,
      },
    },
    type: 'kubernetes.io/basic-auth',
    // `data` rather than `stringData`: the same stored object, and comparable with what we read back.
    data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/**
 * Whether the operator must generate the application secret: the bootstrap defines an application
 * database and owner without naming a secret (recovery and pg_basebackup only outside replica
 * clusters, which receive their data from elsewhere).
 */
export function shouldCreateApplicationSecret(cluster: Cluster): boolean {
  const { initdb, recovery, pg_basebackup: pgBaseBackup } = cluster.spec.bootstrap ?? {};
  const wants = (s: { database?: string; owner?: string; secret?: { name: string } } | undefined) =>
    s !== undefined && !!s.owner && !!s.database && !s.secret?.name;
  if (wants(initdb)) return true;
  if (isReplicaCluster(cluster)) return false;
  return wants(pgBaseBackup) || wants(recovery);
}

/** Whether the operator must generate `<cluster>-superuser`. */
export function shouldCreateSuperuserSecret(cluster: Cluster): boolean {
  return cluster.spec.enableSuperuserAccess === true && !cluster.spec.superuserSecret?.name;
}

export interface SecretBuildOptions extends InheritanceOptions {
  clusterDomain?: string;
  /** The password to use; a new one is generated when absent. */
  password?: string;
}

/** `<cluster>-app`, or undefined when the operator must not generate it. */
export function buildApplicationSecret(cluster: Cluster, opts: SecretBuildOptions): V1Secret | undefined {
  if (!shouldCreateApplicationSecret(cluster)) return undefined;
  const secret = buildCredentialsSecret({
    name: applicationSecretName(cluster),
    namespace: clusterNamespace(cluster),
    hostname: serviceReadWriteName(clusterName(cluster)),
    dbname: applicationDatabaseName(cluster),
    username: applicationDatabaseOwner(cluster),
    password: opts.password ?? generatePassword(),
    userType: USER_TYPES.app,
    ...(opts.clusterDomain !== undefined ? { clusterDomain: opts.clusterDomain } : {}),
  });
  setInheritedDataAndOwnership(secret.metadata, cluster, opts);
  return secret;
}

/** `<cluster>-superuser` for `postgres` on any database, or undefined when not to be generated. */
export function buildSuperuserSecret(cluster: Cluster, opts: SecretBuildOptions): V1Secret | undefined {
  if (!shouldCreateSuperuserSecret(cluster)) return undefined;
  const secret = buildCredentialsSecret({
    name: superuserSecretName(cluster),
    namespace: clusterNamespace(cluster),
    hostname: serviceReadWriteName(clusterName(cluster)),
    dbname: '*',
    username: SUPERUSER_NAME,
    password: opts.password ?? generatePassword(),
    userType: USER_TYPES.superuser,
    ...(opts.clusterDomain !== undefined ? { clusterDomain: opts.clusterDomain } : {}),
  });
  setInheritedDataAndOwnership(secret.metadata, cluster, opts);
  return secret;
}
