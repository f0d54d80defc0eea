// `synchronous_standby_names` as upstream computes it from the Cluster alone (spec plus the status
// the operator maintains: instanceNames, instancesStatus, currentPrimary, topology), so every
// instance renders the same value and a promoted replica already has the right one. Two APIs:
// `postgresql.synchronous` (explicit) and the legacy `minSyncReplicas`/`maxSyncReplicas`.
import type { Cluster, SynchronousReplicaConfiguration, Topology } from '../api/v1/cluster-types.ts';
import { quoteIdentifier } from './quoting.ts';

/** Upstream's SynchronousStandbyNamesConfig: no standby names means synchronous replication is off. */
export interface SynchronousStandbyNamesConfig {
  method: 'ANY' | 'FIRST' | '';
  number: number;
  standbyNames: string[];
}

/** The instancesStatus bucket of instances that are ready and reporting. */
const HEALTHY = 'healthy';

/**
 * The fake standby upstream names when `required` durability finds no instance at all: an empty
 * list would be a syntax error, and dropping the setting would silently stop protecting commits.
 */
const PLACEHOLDER_SUFFIX = '-placeholder';

const DISABLED: SynchronousStandbyNamesConfig = { method: '', number: 0, standbyNames: [] };

/** The value for `synchronous_standby_names`; '' when synchronous replication is off. */
export function synchronousStandbyNames(cluster: Cluster): string {
  return renderSynchronousStandbyNames(synchronousStandbyNamesConfig(cluster));
}

/** `METHOD n ("a","b")`, each name quoted like an identifier; '' for no names. */
export function renderSynchronousStandbyNames(config: SynchronousStandbyNamesConfig): string {
  if (config.standbyNames.length === 0) return '';
  return `${config.method} ${config.number} (${config.standbyNames.map(quoteIdentifier).join(',')})`;
}

export function synchronousStandbyNamesConfig(cluster: Cluster): SynchronousStandbyNamesConfig {
  const sync = cluster.spec.postgresql?.synchronous;
  if (sync === undefined) return legacyConfig(cluster);
  return sync.dataDurability === 'preferred' ? preferredConfig(cluster, sync) : requiredConfig(cluster, sync);
}

// ------------------------------------------------------------------------- explicit API

const keyword = (sync: SynchronousReplicaConfiguration): 'ANY' | 'FIRST' => (sync.method === 'any' ? 'ANY' : 'FIRST');

const capped = (names: string[], max: number | undefined): string[] =>
  max !== undefined && names.length > max ? names.slice(0, max) : names;

/** Every known instance, the primary last: commits block until enough of them confirm. */
function requiredConfig(cluster: Cluster, sync: SynchronousReplicaConfiguration): SynchronousStandbyNamesConfig {
  const fromCluster = capped(crossDomain(cluster, sync, sortedInstanceNames(cluster)), sync.maxStandbyNamesFromCluster);
  let names = [...(sync.standbyNamesPre ?? []), ...fromCluster, ...(sync.standbyNamesPost ?? [])];
  if (names.length === 0) names = [`${cluster.metadata?.name ?? ''}${PLACEHOLDER_SUFFIX}`];
  return { method: keyword(sync), number: sync.number, standbyNames: names };
}

/** Only the healthy standbys, and never more required than there are: availability over durability. */
function preferredConfig(cluster: Cluster, sync: SynchronousReplicaConfiguration): SynchronousStandbyNamesConfig {
  const names = capped(crossDomain(cluster, sync, sortedHealthyStandbys(cluster)), sync.maxStandbyNamesFromCluster);
  if (names.length === 0) return DISABLED;
  return { method: keyword(sync), number: Math.min(sync.number, names.length), standbyNames: names };
}

/**
 * Healthy standbys first, then the other known standbys, then the primary, each group sorted: the
 * order priority-based (`first`) replication and `maxStandbyNamesFromCluster` make sense with.
 */
function sortedInstanceNames(cluster: Cluster): string[] {
  const status = cluster.status ?? {};
  const ready: string[] = [];
  let primary = '';
  for (const [state, names] of Object.entries(status.instancesStatus ?? {})) {
    for (const name of names) {
      if (name === status.currentPrimary) primary = name;
      else if (state === HEALTHY) ready.push(name);
    }
  }
  const others = (status.instanceNames ?? []).filter((name) => name !== primary && !ready.includes(name));
  return [...ready.sort(), ...others.sort(), ...(primary === '' ? [] : [primary])];
}

function sortedHealthyStandbys(cluster: Cluster): string[] {
  const status = cluster.status ?? {};
  return (status.instancesStatus?.[HEALTHY] ?? []).filter((name) => name !== status.currentPrimary).sort();
}

/** Same labels for every label the primary's topology has: the same failure domain. */
function sameDomain(primary: Record<string, string>, other: Record<string, string>): boolean {
  return Object.entries(primary).every(([label, value]) => other[label] === value);
}

/**
 * The standbys of `names` outside the primary's failure domain (failure-domain keys); undefined
 * when no keys are set or the topology cannot be used (not extracted, no entry for the primary).
 */
function crossDomainInstances(cluster: Cluster, names: string[]): string[] | undefined {
  const sync = cluster.spec.postgresql?.synchronous;
  const keys = [...(sync?.podFailureDomainKeys ?? []), ...(sync?.nodeFailureDomainKeys ?? [])];
  if (keys.length === 0) return undefined;
  const located = primaryTopology(cluster);
  if (located === undefined) return undefined;
  const { topology, primary, labels } = located;
  return names.filter((name) => {
    if (name === primary) return false;
    const other = topology.instances?.[name];
    return other !== undefined && !sameDomain(labels, other);
  });
}

/**
 * How many cross-domain standbys the constraint needs: one when durability is preferred (the number
 * required is capped to the standbys listed), else the whole number, or commits would wait forever.
 */
const minimumCrossDomainStandbys = (sync: SynchronousReplicaConfiguration): number =>
  sync.dataDurability === 'preferred' ? 1 : sync.number;

/**
 * With failure-domain keys, only the standbys outside the primary's domain. A placement
 * preference, never a reason to block: without usable topology, or with fewer cross-domain
 * standbys than the constraint needs, the list stays as it was.
 */
function crossDomain(cluster: Cluster, sync: SynchronousReplicaConfiguration, names: string[]): string[] {
  const result = crossDomainInstances(cluster, names);
  return result === undefined || result.length < minimumCrossDomainStandbys(sync) ? names : result;
}

/**
 * Whether enough electable standbys sit outside the primary's failure domain for the keys to apply
 * (the same candidates and threshold as synchronous_standby_names); undefined when no keys are set
 * or the topology cannot be used. The operator reports it as SyncReplicationTopologySatisfied.
 */
export function crossDomainConstraintSatisfied(cluster: Cluster): boolean | undefined {
  const sync = cluster.spec.postgresql?.synchronous;
  if (sync === undefined) return undefined;
  const candidates =
    sync.dataDurability === 'preferred' ? sortedHealthyStandbys(cluster) : sortedInstanceNames(cluster);
  const result = crossDomainInstances(cluster, candidates);
  return result === undefined ? undefined : result.length >= minimumCrossDomainStandbys(sync);
}

/** The extracted topology and the primary's labels in it, when both are known. */
function primaryTopology(
  cluster: Cluster,
): { topology: Topology; primary: string; labels: Record<string, string> } | undefined {
  const topology = cluster.status?.topology;
  const primary = cluster.status?.currentPrimary ?? '';
  if (topology?.successfullyExtracted !== true) return undefined;
  const labels = topology.instances?.[primary];
  return labels === undefined ? undefined : { topology, primary, labels };
}

// ------------------------------------------------------------------------- legacy API

function legacyConfig(cluster: Cluster): SynchronousStandbyNamesConfig {
  const { number, electable } = legacySyncReplicas(cluster);
  if (number <= 0 || electable.length === 0) return DISABLED;
  return { method: 'ANY', number, standbyNames: electable };
}

/**
 * maxSyncReplicas when enough standbys are ready, else minSyncReplicas, else (self-healing) as
 * many as are ready; never more than the standbys the election constraint allows.
 */
export function legacySyncReplicas(cluster: Cluster): { number: number; electable: string[] } {
  const ready = (cluster.status?.instancesStatus?.[HEALTHY] ?? []).length - 1;
  if (ready < 0) return { number: 0, electable: [] };
  const min = cluster.spec.minSyncReplicas ?? 0;
  const max = cluster.spec.maxSyncReplicas ?? 0;
  let number = max;
  if (ready < number) number = min;
  if (ready < min) number = ready;
  const electable = electableSyncReplicas(cluster);
  return { number: Math.min(number, electable.length), electable };
}

/** The healthy standbys, limited by syncReplicaElectionConstraint to other node-label domains. */
function electableSyncReplicas(cluster: Cluster): string[] {
  const standbys = sortedHealthyStandbys(cluster);
  if (cluster.spec.postgresql?.syncReplicaElectionConstraint?.enabled !== true) return standbys;
  // Unknown topology (e.g. while nodes drain) keeps every standby rather than none.
  if (cluster.status?.topology?.successfullyExtracted !== true) return standbys;
  // The constraint is relative to the primary: without its topology no standby qualifies.
  const located = primaryTopology(cluster);
  if (located === undefined) return [];
  const { topology, labels } = located;
  return standbys.filter((name) => {
    const other = topology.instances?.[name];
    return other !== undefined && !sameDomain(labels, other);
  });
}
