// `cnpg instance join`: a replica data directory cloned from the primary with pg_basebackup,
// built aside and moved into place when complete, already configured as a standby.
import { join } from 'node:path';
import { runToolChecked } from '../postgres/tool-runner.ts';
import type { InstanceContext } from './context.ts';
import { ensureEmptyTarget } from './data-directory.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { createWorkDirectory, installWorkDirectory, removeStaleWorkDirectories } from './new-data-directory.ts';
import { primaryConninfo, type ReplicaSource, writeConfiguration } from './pgdata-config.ts';

/** pg_basebackup from `source` into `target` (an empty directory the pod user owns). */
export async function cloneFrom(ctx: InstanceContext, source: ReplicaSource, target: string): Promise<void> {
  const args = ['-D', target, '-d', primaryConninfo(ctx, source), '-X', 'stream', '-c', 'fast', '-w', '-v'];
  ctx.log.info({ source: `${source.host}:${source.port}`, target }, 'running pg_basebackup');
  await runToolChecked(
    `pg_basebackup from ${source.host}:${source.port} failed`,
    join(ctx.binDir, 'pg_basebackup'),
    args,
    {
      user: ctx.podUser,
      timeoutMs: 3_600_000,
    },
  );
}

export async function joinInstance(ctx: InstanceContext, source: ReplicaSource): Promise<void> {
  const { options, log } = ctx;
  ensureEmptyTarget(options.pgdata, 'join the cluster');
  for (const stale of removeStaleWorkDirectories(options.pgdata))
    log.info({ dir: stale }, 'removed an interrupted attempt');
  const work = createWorkDirectory(options.pgdata, ctx.podUser);
  try {
    await cloneFrom(ctx, source, work);
    writeConfiguration(ctx, work, source);
    installWorkDirectory(work, options.pgdata);
    log.info({ pgdata: options.pgdata }, 'replica data directory ready');
  } catch (err) {
    removeStaleWorkDirectories(options.pgdata);
    throw err instanceof InstanceError
      ? err
      : new InstanceError(`joining from ${source.host}:${source.port}: ${errorMessage(err)}`);
  }
}
