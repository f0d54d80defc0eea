// Making a former primary follow the new one: pg_rewind against the new primary when the
// timelines can be reconciled, or a fresh clone by pg_basebackup when they cannot (rewind
// impossible: no common history, missing WAL...). Both run with PostgreSQL stopped.
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runToolChecked } from '../postgres/tool-runner.ts';
import { cloneFrom } from './bootstrap-join.ts';
import type { InstanceContext } from './context.ts';
import { errorMessage } from './errors.ts';
import { createWorkDirectory, removeStaleWorkDirectories } from './new-data-directory.ts';
import { primaryConninfo, type ReplicaSource } from './pgdata-config.ts';
import { querySource } from './source-sql.ts';
import { WRITE_TIMELINE_SQL } from './status.ts';

const SOURCE_CHECKPOINT_WAIT_MS = 30_000;

/**
 * Waits until the source's pg_control names the timeline it writes on. pg_rewind compares the
 * timelines of the two pg_control files: right after a promotion, before the end-of-recovery
 * checkpoint completes, the new primary's still names the old one, and pg_rewind would find
 * "no rewind required" for a former primary that diverged.
 */
async function waitForSourceCheckpoint(ctx: InstanceContext, source: ReplicaSource): Promise<void> {
  const query = `SELECT (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()) = ${WRITE_TIMELINE_SQL};\n`;
  const deadline = Date.now() + SOURCE_CHECKPOINT_WAIT_MS;
  for (;;) {
    if ((await querySource(ctx, source, query, SOURCE_CHECKPOINT_WAIT_MS)) === 't') return;
    if (Date.now() > deadline) {
      throw new Error(
        `the new primary's pg_control still names its former timeline after ${SOURCE_CHECKPOINT_WAIT_MS} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function rewindFrom(ctx: InstanceContext, source: ReplicaSource): Promise<void> {
  await waitForSourceCheckpoint(ctx, source);
  const args = ['--target-pgdata', ctx.options.pgdata, '--source-server', primaryConninfo(ctx, source), '--progress'];
  ctx.log.info({ source: `${source.host}:${source.port}` }, 'running pg_rewind');
  const run = await runToolChecked('pg_rewind failed', join(ctx.binDir, 'pg_rewind'), args, {
    user: ctx.podUser,
    timeoutMs: 3_600_000,
  });
  const outcome = /no rewind required/.test(run.stderr + run.stdout) ? 'no rewind required' : 'rewound';
  ctx.log.info({ outcome }, 'pg_rewind succeeded');
}

/** Where the last (shutdown) checkpoint of a stopped PostgreSQL is, from pg_controldata. */
export async function shutdownCheckpointLsn(ctx: InstanceContext): Promise<string> {
  const run = await runToolChecked('pg_controldata failed', join(ctx.binDir, 'pg_controldata'), [ctx.options.pgdata], {
    user: ctx.podUser,
    timeoutMs: 30_000,
    env: { LC_ALL: 'C' }, // the labels parsed below are untranslated only in the C locale
  });
  const lsn = /^Latest checkpoint location:\s+(\S+)$/m.exec(run.stdout)?.[1];
  if (lsn === undefined) throw new Error('pg_controldata reported no checkpoint location');
  return lsn;
}

/** Replaces PGDATA with a fresh clone of `source`; the old directory goes only once the clone is complete. */
export async function recloneFrom(ctx: InstanceContext, source: ReplicaSource): Promise<void> {
  const { pgdata } = ctx.options;
  removeStaleWorkDirectories(pgdata);
  const work = createWorkDirectory(pgdata, ctx.podUser);
  try {
    await cloneFrom(ctx, source, work);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const old = join(dirname(pgdata), `.${basename(pgdata)}.replaced-${Date.now()}`);
  renameSync(pgdata, old);
  renameSync(work, pgdata);
  try {
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    ctx.log.warn({ dir: old, err: errorMessage(err) }, 'cannot remove the replaced data directory');
  }
  ctx.log.info({ source: `${source.host}:${source.port}` }, 'data directory recloned');
}
