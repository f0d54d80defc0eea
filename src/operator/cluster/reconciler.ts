// The Cluster reconciler: one pass brings one Cluster a step closer to its spec, in upstream's
// order: admission guard, unsupported features, the cluster-wide objects (RBAC, secrets, services,
// PDBs), the observed status, role labels and volume sizes, then at most one topology change
// (bootstrap, pods, scale up or down, a restart) before the cluster is declared healthy.
import { PatchStrategy } from '@kubernetes/client-node';
import { API_VERSION } from '../../api/v1/kind-definition.ts';
import { splitKey } from '../../kube/informer.ts';
import { apiErrorMessage, isNotFound, type NamedObject } from '../../kube/patch.ts';
import type { ReconcileResult } from '../../kube/work-queue.ts';
import type { Logger } from '../../log/logger.ts';
import { ANNOTATIONS, PVC_STATUSES } from '../specs/labels.ts';
import { guardCluster } from './admission-guard.ts';
import { PrimaryFailures, reconcilePrimary } from './high-availability.ts';
import { reconcileFailoverQuorumObject } from './failover-quorum.ts';
import { deleteIfExists, FIELD_MANAGER } from './apply.ts';
import { createPrimaryInstance, joinReplicaInstance } from './bootstrap.ts';
import { reconcileCertificates } from './certificates.ts';
import type { ClusterContext, ReconcilerDeps } from './context.ts';
import { clusterEvent, recordOn } from './events.ts';
import { collectInstanceStates, type InstanceState, primaries, reporting } from './instance-status.ts';
import { jobFailureReason } from './job-outcomes.ts';
import { reconcileVersionLabels, reportMajorVersionChange } from './major-version.ts';
import { reconcilePdbs } from './pdbs.ts';
import { reconcilePodMonitor } from './pod-monitor.ts';
import { resolvePodSelectorRefs } from './pod-selector-refs.ts';
import { PHASES } from '../../api/v1/cluster-phases.ts';
import { SYNC_TOPOLOGY_CONDITION } from '../../api/v1/cluster-validation-postgres.ts';
import { createMissingPods, deleteTerminatedPods } from './pods.ts';
import { expandPvcs, markPvcReady } from './pvcs.ts';
import { reconcileRbac } from './rbac.ts';
import {
  isJobComplete,
  isJobFailed,
  isJobRunning,
  isPodActive,
  isPodReady,
  listManagedResources,
  type ManagedResources,
} from './resources.ts';
import { reconcileRoleLabels } from './role-labels.ts';
import { rolloutPodChanges } from './pod-rollout.ts';
import { rolloutPendingRestarts } from './rolling-restart.ts';
import { removeInstance, sacrificialInstance } from './scale-down.ts';
import { reconcileSecrets } from './secrets.ts';
import { reconcileServices } from './services.ts';
import { observedStatus } from './status.ts';
import { reconcileConditions } from './status-conditions.ts';
import { observedTopology, syncTopologyCondition } from './topology.ts';
import { registerPhase, type StoredCluster, writeStatus } from './status-writer.ts';
import { unsupportedFeatures, unsupportedMessage } from './unsupported.ts';

export interface ClusterReconcilerOptions extends ReconcilerDeps {
  /** How soon a cluster that is changing is looked at again (default 1 s, upstream's). */
  pollMs?: number;
  /**
   * How often a healthy cluster is checked (default 10 s): instances report pending restarts and
   * failures through /pg/status, which produces no API event.
   */
  healthyResyncMs?: number;
}

const CREATION_PHASES: ReadonlySet<string> = new Set([PHASES.setupPrimary, PHASES.creatingReplica]);
const KEPT_WHILE_INACTIVE: ReadonlySet<string> = new Set([
  ...CREATION_PHASES,
  PHASES.inplaceDeletePrimary,
  PHASES.inplacePrimaryRestart,
]);

export class ClusterReconciler {
  readonly #deps: ReconcilerDeps;
  readonly #log: Logger;
  readonly #pollMs: number;
  readonly #healthyResyncMs: number;
  /** Shared with the primary monitor, which notices failures first. */
  readonly primaryFailures = new PrimaryFailures();

  constructor(opts: ClusterReconcilerOptions) {
    const { pollMs, healthyResyncMs, ...deps } = opts;
    this.#deps = deps;
    this.#log = deps.log;
    this.#pollMs = pollMs ?? 1_000;
    this.#healthyResyncMs = healthyResyncMs ?? 10_000;
  }

  /** One pass for the Cluster `namespace/name` (the work queue's handler). */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { namespace = '', name } = splitKey(key);
    let stored: StoredCluster;
    try {
      stored = await this.#deps.objects.read<StoredCluster>(clusterIdentity(namespace, name));
    } catch (err) {
      if (isNotFound(err)) return undefined; // deleted: the garbage collector removes what it owned
      throw err;
    }
    if (stored.metadata.deletionTimestamp !== undefined) return undefined;
    const log = this.#log.child({ cluster: name, namespace });
    if (stored.metadata.annotations?.[ANNOTATIONS.reconciliationLoop] === 'disabled') {
      log.warn('reconciliation disabled by annotation, skipping');
      return undefined;
    }
    const guard = guardCluster(stored);
    if (!guard.valid) {
      const reason = guard.messages.join('; ');
      log.warn({ errors: guard.messages }, 'invalid Cluster: nothing will be created for it');
      if (stored.status?.phase !== PHASES.invalidDefinition || stored.status.phaseReason !== reason) {
        await registerPhase(this.#deps.objects, stored, PHASES.invalidDefinition, reason);
        recordOn(this.#deps.recorder, stored, 'Warning', 'InvalidDefinition', reason);
      }
      return undefined; // terminal until the Cluster changes
    }
    if (guard.specPatch !== undefined) await this.#persistDefaults(stored, guard.specPatch, log);
    const ctx: ClusterContext = {
      ...this.#deps,
      log,
      name,
      namespace,
      cluster: { ...guard.cluster, metadata: stored.metadata, status: stored.status },
    };
    try {
      return await this.#reconcileValid(ctx);
    } catch (err) {
      // Deleted while this pass ran: the garbage collector takes it from here.
      if (isNotFound(err) && (await this.#gone(namespace, name))) return undefined;
      throw err;
    }
  }

  /**
   * Write the defaults the stored spec lacks (no mutating webhook ran), as upstream's guard does.
   * This pass goes on with the defaulted Cluster in memory either way, so an API server that keeps
   * a different spec cannot make the operator patch in a loop.
   */
  async #persistDefaults(stored: StoredCluster, specPatch: unknown, log: Logger): Promise<void> {
    log.info('the Cluster lacks defaults (no mutating webhook?): applying them');
    try {
      await this.#deps.objects.patch(
        { ...clusterIdentity(stored.metadata.namespace ?? '', stored.metadata.name), spec: specPatch },
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
    } catch (err) {
      log.warn({ err: apiErrorMessage(err) }, 'could not store the defaults; going on with them in memory');
    }
  }

  async #gone(namespace: string, name: string): Promise<boolean> {
    try {
      await this.#deps.objects.read(clusterIdentity(namespace, name));
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }

  async #reconcileValid(ctx: ClusterContext): Promise<ReconcileResult | undefined> {
    const unsupported = unsupportedFeatures(ctx.cluster);
    if (unsupported.length > 0) {
      const reason = unsupportedMessage(unsupported);
      ctx.log.warn({ reason }, 'the Cluster uses unsupported features: nothing will be created for it');
      if (ctx.cluster.status?.phase !== PHASES.cannotCreateObjects || ctx.cluster.status.phaseReason !== reason) {
        await registerPhase(ctx.objects, ctx.cluster, PHASES.cannotCreateObjects, reason);
        clusterEvent(ctx, 'Warning', 'UnsupportedFeatures', reason);
      }
      return undefined;
    }
    try {
      await reconcileRbac(ctx);
      await reconcileSecrets(ctx);
      await reconcileCertificates(ctx);
      await reconcileServices(ctx);
      await reconcilePdbs(ctx);
      await reconcilePodMonitor(ctx);
      await reconcileFailoverQuorumObject(ctx);
    } catch (err) {
      await registerPhase(ctx.objects, ctx.cluster, PHASES.cannotCreateObjects, apiErrorMessage(err)).catch(
        // A Cluster deleted meanwhile has no phase to record.
        (statusErr: unknown) =>
          isNotFound(statusErr) || ctx.log.error({ err: statusErr }, 'could not record the phase'),
      );
      throw err;
    }
    const resources = await listManagedResources(ctx);
    const states = await collectInstanceStates(ctx, resources.pods);
    const observed = {
      ...observedStatus(ctx, resources, states),
      podSelectorRefs: await resolvePodSelectorRefs(ctx),
      topology: await observedTopology(ctx, resources.pods),
    };
    const stored = await writeStatus(ctx.objects, ctx.cluster, observed);
    ctx.cluster = { ...ctx.cluster, status: stored.status };
    await reconcileConditions(ctx, { [SYNC_TOPOLOGY_CONDITION]: syncTopologyCondition(ctx.cluster) });
    const roleChange = await reconcilePrimary(ctx, states, this.primaryFailures);
    if (roleChange !== undefined) return roleChange;
    await reconcileRoleLabels(ctx, states);
    await reconcileVersionLabels(ctx, states);
    await expandPvcs(ctx, resources.pvcs);
    return this.#reconcileInstances(ctx, resources, states);
  }

  async #reconcileInstances(
    ctx: ClusterContext,
    resources: ManagedResources,
    states: InstanceState[],
  ): Promise<ReconcileResult | undefined> {
    const poll = { requeueAfterMs: this.#pollMs };
    const status = ctx.cluster.status ?? {};
    const failed = resources.jobs.find(isJobFailed);
    if (failed !== undefined) {
      // As upstream (1.30): a Job past its backoff limit will not create the instance; the user must act.
      const reason = await jobFailureReason(ctx, failed);
      if (status.phase !== PHASES.unrecoverable || status.phaseReason !== reason) {
        ctx.log.error({ job: failed.metadata?.name, reason }, 'bootstrap job failed');
        await registerPhase(ctx.objects, ctx.cluster, PHASES.unrecoverable, reason);
      }
      return { requeueAfterMs: this.#healthyResyncMs };
    }
    if (resources.jobs.some(isJobRunning)) return poll;

    let marked = false;
    for (const group of resources.groups) {
      if (group.pvcStatus !== PVC_STATUSES.ready && group.jobs.some(isJobComplete)) {
        await markPvcReady(ctx, group);
        marked = true;
      }
    }
    if (marked) return poll;
    if (await deleteTerminatedPods(ctx, resources.groups)) return poll;

    const instances = resources.groups.filter((g) => g.pvcs.length > 0);
    const wanted = ctx.cluster.spec.instances;
    if (instances.length === 0) {
      await createPrimaryInstance(ctx);
      return poll;
    }
    if (instances.length > wanted) {
      const keep = new Set([status.currentPrimary, status.targetPrimary].filter((n): n is string => !!n));
      const victim = sacrificialInstance(instances, keep);
      if (victim !== undefined) {
        await removeInstance(ctx, victim);
        return poll;
      }
    }
    if ((await createMissingPods(ctx, instances)).length > 0) return poll;
    if (!instances.every((g) => isPodActive(g.pod))) {
      // A primary restarted on purpose keeps its phase: it tells users, and the failover logic, why.
      if (status.phase !== PHASES.waitingForInstances && !(status.phase && KEPT_WHILE_INACTIVE.has(status.phase))) {
        await registerPhase(
          ctx.objects,
          ctx.cluster,
          PHASES.waitingForInstances,
          'Some instances are not yet active. Please wait.',
        );
      }
      return poll;
    }
    // As upstream, the topology changes once every instance answers, ready or not.
    if (reporting(states).length < instances.length) return poll;
    if (instances.length < wanted) {
      const primary = primaries(states)[0];
      if (primary?.podIP === undefined) return poll;
      await joinReplicaInstance(ctx, primary.name, primary.podIP);
      return poll;
    }
    if (!instances.every((g) => isPodReady(g.pod))) return poll;
    const rollouts = [() => rolloutPodChanges(ctx, instances, states), () => rolloutPendingRestarts(ctx, states)];
    for (const rollout of rollouts) {
      const outcome = await rollout();
      if (outcome === 'restarted') return poll;
      if (outcome === 'waiting') return { requeueAfterMs: this.#healthyResyncMs };
    }

    // A spec image of another major is held back: the phase says so instead of healthy.
    const held = await reportMajorVersionChange(ctx);
    if (!held && (status.phase !== PHASES.healthy || status.phaseReason !== undefined)) {
      await registerPhase(ctx.objects, ctx.cluster, PHASES.healthy);
      ctx.log.info({ instances: wanted }, 'cluster in healthy state');
    }
    await this.#cleanupCompletedJobs(ctx, resources);
    return { requeueAfterMs: this.#healthyResyncMs };
  }

  /** Completed bootstrap jobs have done their work once the cluster is healthy (as upstream). */
  async #cleanupCompletedJobs(ctx: ClusterContext, resources: ManagedResources): Promise<void> {
    for (const job of resources.jobs.filter(isJobComplete)) {
      await deleteIfExists(ctx, { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name ?? '' });
    }
  }
}

function clusterIdentity(namespace: string, name: string): NamedObject {
  return { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace } };
}
