// Applying parameters that need a restart: the replicas reporting `pendingRestart` are restarted
// one at a time, then the primary, as `primaryUpdateStrategy` and `primaryUpdateMethod` say
// (switchover: a replica is promoted and the former primary restarts as a replica; restart: in
// place). Upstream also waits for every instance to report the same
// configuration hash; ours differ by design (each instance listens on its own address), so the
// per-instance pendingRestart is what counts.
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import { switchoverToBestReplica } from './high-availability.ts';
import type { InstanceState } from './instance-status.ts';
import { PHASES, USER_RESTART_REASON } from '../../api/v1/cluster-phases.ts';
import { registerPhase } from './status-writer.ts';

export type RolloutOutcome = 'none' | 'restarted' | 'waiting';

/** Restart at most one instance that needs it; 'waiting' when the user must act. */
export async function rolloutPendingRestarts(ctx: ClusterContext, states: InstanceState[]): Promise<RolloutOutcome> {
  const status = ctx.cluster.status;
  if (status?.phase === PHASES.inplacePrimaryRestart && status.phaseReason === USER_RESTART_REASON) {
    const asked = states.find((s) => s.name === status.currentPrimary && s.podIP !== undefined);
    if (asked !== undefined) {
      await restart(ctx, asked, PHASES.inplacePrimaryRestart, `Restarting primary instance ${asked.name}`);
      return 'restarted';
    }
  }
  const pending = states.filter((s) => s.report?.pendingRestart === true && s.podIP !== undefined);
  const replica = pending.filter((s) => s.report?.isPrimary !== true).sort((a, b) => a.name.localeCompare(b.name))[0];
  if (replica !== undefined) {
    await restart(ctx, replica, PHASES.upgrading, `Restarting instance ${replica.name}`);
    return 'restarted';
  }
  const primary = pending.find((s) => s.report?.isPrimary === true);
  if (primary === undefined) return 'none';
  const spec = ctx.cluster.spec;
  if (spec.primaryUpdateStrategy === 'supervised') {
    await registerPhase(
      ctx.objects,
      ctx.cluster,
      PHASES.waitingForUser,
      `The primary ${primary.name} needs a restart to apply ${parameters(primary)}: ` +
        'primaryUpdateStrategy is supervised (restart it, or promote a replica, to proceed)',
    );
    return 'waiting';
  }
  if (
    spec.primaryUpdateMethod === 'switchover' &&
    (await switchoverToBestReplica(ctx, states, primary.name, `applying ${parameters(primary)}`))
  ) {
    return 'restarted';
  }
  await restart(ctx, primary, PHASES.inplacePrimaryRestart, `Restarting primary instance ${primary.name}`);
  return 'restarted';
}

function parameters(state: InstanceState): string {
  const names = state.report?.pendingRestartParameters ?? [];
  return names.length > 0 ? names.join(', ') : 'its configuration';
}

async function restart(ctx: ClusterContext, state: InstanceState, phase: string, reason: string): Promise<void> {
  await registerPhase(ctx.objects, ctx.cluster, phase, reason);
  ctx.log.info({ instance: state.name, parameters: state.report?.pendingRestartParameters }, reason);
  clusterEvent(ctx, 'Normal', 'Restarting', reason);
  await ctx.instances.restart(state.podIP as string);
}
