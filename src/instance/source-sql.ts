// SQL on the server a standby follows (the primary, through `-rw` or a given host), as
// streaming_replica with the same connection string and client certificate as streaming
// replication (pg_hba's `hostssl postgres streaming_replica ... cert` rule).
import { join } from 'node:path';
import { lastWords, runTool } from '../postgres/tool-runner.ts';
import type { InstanceContext } from './context.ts';
import { primaryConninfo, type ReplicaSource } from './pgdata-config.ts';

/** Runs `script` on `source` (database postgres) and returns its unaligned, tuples-only output. */
export async function querySource(
  ctx: InstanceContext,
  source: ReplicaSource,
  script: string,
  timeoutMs: number,
): Promise<string> {
  const run = await runTool(
    join(ctx.binDir, 'psql'),
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', primaryConninfo(ctx, source), '-f', '-'],
    { user: ctx.podUser, input: script, timeoutMs },
  );
  if (run.code !== 0) throw new Error(`SQL on ${source.host}:${source.port} failed: ${lastWords(run)}`);
  return run.stdout.trim();
}
