// Stopping PostgreSQL in stages (upstream's TryShuttingDownSmartFast / FastImmediate): CHECKPOINT
// first so the shutdown checkpoint is short, then smart (sessions may finish) for at most
// smartShutdownTimeout, then fast (sessions are terminated), then a wait within what remains of
// the stop budget for the shutdown checkpoint, WAL archiving and WAL streaming to finish, and
// finally immediate. A switchover skips the smart stage.
import type { InstanceContext } from './context.ts';
import { errorMessage } from './errors.ts';
import type { Postmaster } from './postmaster.ts';
import { readyWalFileCount } from './wal-files.ts';

export interface ShutdownPlan {
  /** Seconds for the whole shutdown (stopDelay, or switchoverDelay for a switchover). */
  budgetSeconds: number;
  /** Seconds of smart shutdown; 0 skips the stage. */
  smartSeconds: number;
}

/** The plan on SIGTERM: upstream ignores the smart stage when it would not fit in stopDelay. */
export function terminationPlan(ctx: InstanceContext): ShutdownPlan {
  const budget = ctx.cluster.spec.stopDelay ?? 1800;
  const smart = ctx.cluster.spec.smartShutdownTimeout ?? 180;
  return { budgetSeconds: budget, smartSeconds: budget <= smart ? 0 : smart };
}

export function switchoverPlan(ctx: InstanceContext): ShutdownPlan {
  return { budgetSeconds: ctx.cluster.spec.switchoverDelay ?? 3600, smartSeconds: 0 };
}

const IMMEDIATE_GRACE_MS = 10_000;

export async function stagedShutdown(ctx: InstanceContext, pm: Postmaster, plan: ShutdownPlan): Promise<void> {
  const { log } = ctx;
  const deadline = Date.now() + plan.budgetSeconds * 1000;
  const remaining = () => Math.max(0, deadline - Date.now());
  const stage = (name: string, fields: Record<string, unknown> = {}) =>
    log.info({ stage: name, ...fields }, `shutdown stage: ${name}`);

  if (!pm.alive) return;
  stage('checkpoint');
  try {
    await ctx.sql.exec('CHECKPOINT;', { timeoutMs: Math.max(1000, remaining()) });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'CHECKPOINT before shutdown failed');
  }
  if (plan.smartSeconds > 0 && pm.alive) {
    stage('smart', { timeoutSeconds: plan.smartSeconds });
    pm.requestShutdown('smart');
    if (await pm.waitForExit(Math.min(plan.smartSeconds * 1000, remaining()))) {
      stage('stopped', { mode: 'smart' });
      return;
    }
    log.info({ timeoutSeconds: plan.smartSeconds }, 'smart shutdown timed out: sessions are still open');
  }
  if (!pm.alive) return;
  stage('fast');
  pm.requestShutdown('fast');
  stage('wait-for-wal-archiving', {
    readyWalFiles: readyWalFileCount(pm.pgdata),
    remainingSeconds: Math.round(remaining() / 1000),
  });
  if (await pm.waitForExit(remaining())) {
    stage('stopped', { mode: 'fast' });
    return;
  }
  stage('immediate', { readyWalFiles: readyWalFileCount(pm.pgdata) });
  pm.requestShutdown('immediate');
  if (await pm.waitForExit(IMMEDIATE_GRACE_MS)) {
    stage('stopped', { mode: 'immediate' });
    return;
  }
  log.error('postgres ignored the immediate shutdown: killing it');
  pm.sendSignal('SIGKILL');
  await pm.waitForExit(IMMEDIATE_GRACE_MS);
}
