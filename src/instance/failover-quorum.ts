// The primary's side of quorum-based failover: it records in the FailoverQuorum status (named after
// the Cluster, created by the operator) the synchronous replication setup PostgreSQL runs with, read
// back from `cnpg.synchronous_standby_names_metadata`, so the operator knows which W of which N
// standbys confirmed every synchronous commit. The record must cover whatever PostgreSQL may be
// using at any moment: before a change of synchronous_standby_names it is widened to cover both
// setups (every name of either, the smaller number; upstream empties it instead, which holds every
// failover back meanwhile), and once PostgreSQL has loaded the new configuration it is narrowed to
// exactly what runs.
import { isDeepStrictEqual } from 'node:util';
import type { Cluster } from '../api/v1/cluster-types.ts';
import type { FailoverQuorumStatus } from '../api/v1/failover-quorum-types.ts';
import { API_VERSION } from '../api/v1/kind-definition.ts';
import { isNotFound, KubeObjectApi, type NamedObject, updateStatus } from '../kube/patch.ts';
import { SYNCHRONOUS_METADATA_PARAMETER } from '../postgres/configuration.ts';
import {
  type SynchronousStandbyNamesConfig,
  synchronousStandbyNamesConfig,
} from '../postgres/synchronous-standby-names.ts';
import type { InstanceContext } from './context.ts';
import { errorMessage } from './errors.ts';

/** What `cnpg.synchronous_standby_names_metadata` holds; undefined when unset or not understood. */
export function parseSynchronousMetadata(text: string | null | undefined): SynchronousStandbyNamesConfig | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Partial<Record<keyof SynchronousStandbyNamesConfig, unknown>>;
  const methodOk = v.method === 'ANY' || v.method === 'FIRST';
  const namesOk = Array.isArray(v.standbyNames) && v.standbyNames.every((n) => typeof n === 'string');
  if (!methodOk || typeof v.number !== 'number' || !namesOk) return undefined;
  return value as SynchronousStandbyNamesConfig;
}

/** The record of a setup on `primary`: its standbys but the primary itself (it confirms nothing). */
export function quorumStatusFor(
  config: SynchronousStandbyNamesConfig | undefined,
  primary: string,
): FailoverQuorumStatus {
  if (config === undefined || config.number <= 0 || config.standbyNames.length === 0) return {};
  return {
    method: config.method,
    standbyNames: config.standbyNames.filter((name) => name !== primary),
    standbyNumber: config.number,
    primary,
  };
}

const holdsSetup = (s: FailoverQuorumStatus): boolean =>
  (s.standbyNumber ?? 0) > 0 && (s.standbyNames ?? []).length > 0;

/**
 * A record true of both setups: a commit confirmed by W of N under either one is on at least the
 * smaller W of their union. Empty (no failover) when either has no synchronous standbys: commits
 * under it were confirmed by nobody.
 */
export function widerStatus(a: FailoverQuorumStatus, b: FailoverQuorumStatus): FailoverQuorumStatus {
  if (!holdsSetup(a) || !holdsSetup(b)) return {};
  return {
    // The check reads either method as "W of the N"; mixed, say so.
    method: a.method === b.method ? b.method : 'ANY',
    standbyNames: [...new Set([...(a.standbyNames ?? []), ...(b.standbyNames ?? [])])],
    standbyNumber: Math.min(a.standbyNumber ?? 0, b.standbyNumber ?? 0),
    primary: b.primary,
  };
}

/** This instance keeps the record: the feature is on and it is the settled primary (as upstream). */
export function managesFailoverQuorum(cluster: Cluster, podName: string): boolean {
  const status = cluster.status;
  return (
    cluster.spec.postgresql?.synchronous?.failoverQuorum === true &&
    status?.targetPrimary === podName &&
    status.currentPrimary === podName
  );
}

/** Keeps the FailoverQuorum status of a primary instance in line with its configuration. */
export class FailoverQuorumRecorder {
  /** null: not in a pod (a --cluster-file instance has no API server to record in). */
  #api: KubeObjectApi | null | undefined;

  /**
   * Called before a configuration is installed on the running primary: when it changes the
   * synchronous setup, records one covering both. Throws when that cannot be recorded: the caller
   * must not apply the change then.
   */
  async coverNextConfiguration(ctx: InstanceContext): Promise<void> {
    if (!managesFailoverQuorum(ctx.cluster, ctx.options.podName)) return;
    const running = await runningSetup(ctx);
    const next = synchronousStandbyNamesConfig(ctx.cluster);
    const nextSetup = next.standbyNames.length === 0 ? undefined : next;
    if (isDeepStrictEqual(running, nextSetup)) return;
    const me = ctx.options.podName;
    const covering = widerStatus(quorumStatusFor(running, me), quorumStatusFor(nextSetup, me));
    if (await this.#write(ctx, covering)) {
      ctx.log.info({ failoverQuorum: covering }, 'failover quorum widened before a synchronous replication change');
    }
  }

  /** Called once PostgreSQL runs its configuration: records exactly its setup. Failures are logged. */
  async recordRunningConfiguration(ctx: InstanceContext): Promise<void> {
    if (!managesFailoverQuorum(ctx.cluster, ctx.options.podName)) return;
    try {
      const status = quorumStatusFor(await runningSetup(ctx), ctx.options.podName);
      if (await this.#write(ctx, status)) ctx.log.info({ failoverQuorum: status }, 'failover quorum recorded');
    } catch (err) {
      // The record stays as it was: covering, since every change widens it first.
      ctx.log.warn({ err: errorMessage(err) }, 'cannot record the failover quorum');
    }
  }

  /** Stores `status`; whether it changed anything (false too when the operator has not created it yet). */
  async #write(ctx: InstanceContext, status: FailoverQuorumStatus): Promise<boolean> {
    const api = this.#client(ctx);
    if (api === undefined) return false;
    const ref: NamedObject = {
      apiVersion: API_VERSION,
      kind: 'FailoverQuorum',
      metadata: { name: ctx.clusterName, namespace: ctx.options.namespace },
    };
    let changed = false;
    try {
      await updateStatus<NamedObject & { status?: FailoverQuorumStatus }>(api, ref, (current) => {
        changed = !isDeepStrictEqual(current.status ?? {}, status);
        return changed ? status : undefined;
      });
    } catch (err) {
      if (isNotFound(err)) {
        ctx.log.debug('no FailoverQuorum object yet: nothing to record');
        return false;
      }
      throw err;
    }
    return changed;
  }

  #client(ctx: InstanceContext): KubeObjectApi | undefined {
    if (this.#api === undefined) {
      const kc = ctx.source.kubeConfig;
      this.#api = kc === undefined ? null : KubeObjectApi.forConfig(kc);
    }
    return this.#api ?? undefined;
  }
}

/** The setup the running PostgreSQL uses, from the metadata its configuration carries. */
async function runningSetup(ctx: InstanceContext): Promise<SynchronousStandbyNamesConfig | undefined> {
  const [row] = await ctx.sql.query<{ metadata: string | null }>(
    `SELECT current_setting('${SYNCHRONOUS_METADATA_PARAMETER}', true) AS metadata`,
  );
  return parseSynchronousMetadata(row?.metadata);
}
