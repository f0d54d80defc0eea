// `npm run bench`: the start-up benchmark (time to healthy, 1 and 3 instances) and the fault
// benchmark (bench/failover.ts), written to bench/results/<date>.json and <date>.md together with
// the machine they ran on and the commit measured. Older results stay beside them to compare (a
// second run on the same day gets a numbered name).
// Usage: node bench/run.ts [--runs 3] [--startup-runs 3] [--hold 8s] [--only kill-postmaster,...]
//          [--primary-lease DURATION,RENEW_DEADLINE,RETRY] (seconds; default upstream's 15,10,2)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { postgresVersion, resolvePgBinDir } from '../src/postgres/binaries.ts';
import { benchClusterStartup, startupTable } from './cluster-startup.ts';
import { benchFailover, failoverTable } from './failover.ts';
import type { PrimaryLeaseTimings } from '../test/harness/cluster.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'startup-runs': { type: 'string', default: '3' },
    hold: { type: 'string', default: '8' },
    only: { type: 'string' },
    'primary-lease': { type: 'string' },
  },
});

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error: --${flag} must be a positive whole number, not "${text}"`);
    process.exit(2);
  }
  return n;
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head} (with uncommitted changes)`;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    postgres: postgresVersion(resolvePgBinDir()).text,
  };
}

/** `<date>.json`, or `<date>-2.json`... when that day already has results. */
function resultName(dir: string, date: string): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? date : `${date}-${i}`;
    if (!existsSync(join(dir, `${name}.json`)) && !existsSync(join(dir, `${name}.md`))) return name;
  }
}

/** `--primary-lease 4,3,1`: spec.primaryLease's duration, renew deadline and retry period. */
function primaryLease(text: string | undefined): PrimaryLeaseTimings | undefined {
  if (text === undefined) return undefined;
  const [d, r, p, extra] = text.split(',').map((x) => count('primary-lease', x.trim()));
  if (d === undefined || r === undefined || p === undefined || extra !== undefined || !(p < r && r < d)) {
    console.error(
      `error: --primary-lease must be DURATION,RENEW_DEADLINE,RETRY in seconds with RETRY < RENEW_DEADLINE < DURATION, not "${text}"`,
    );
    process.exit(2);
  }
  return { leaseDurationSeconds: d, renewDeadlineSeconds: r, retryPeriodSeconds: p };
}

const leaseText = (l: PrimaryLeaseTimings | undefined) =>
  l === undefined
    ? '15 s, renew deadline 10 s, retry 2 s (defaults)'
    : `${l.leaseDurationSeconds} s, renew deadline ${l.renewDeadlineSeconds} s, retry ${l.retryPeriodSeconds} s`;

const runs = count('runs', values.runs);
const lease = primaryLease(values['primary-lease']);
const startupRuns = count('startup-runs', values['startup-runs']);
const holdMs = count('hold', values.hold.replace(/s$/, '')) * 1_000;
const progress = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const began = Date.now();

progress(`start-up: ${startupRuns} run(s) each of 1 and 3 instances`);
const startup = await benchClusterStartup({ runs: startupRuns, sizes: [1, 3], progress });
progress(`faults: ${runs} run(s) of each nemesis`);
const failover = await benchFailover({
  runs,
  holdMs,
  ...(values.only === undefined ? {} : { only: values.only.split(',') }),
  ...(lease === undefined ? {} : { primaryLease: lease }),
  progress,
});

const date = new Date().toISOString().slice(0, 10);
const host = machine();
const commit = gitCommit();
const minutes = Math.round((Date.now() - began) / 6_000) / 10;
const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const name = resultName(outDir, date);
writeFileSync(
  join(outDir, `${name}.json`),
  `${JSON.stringify({ date, commit, machine: host, minutes, startup, failover }, null, 2)}\n`,
);
const md = [
  `# Benchmark ${name}`,
  '',
  `Commit ${commit}. Machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, Linux ${host.kernel}, ` +
    `Node ${host.node}, PostgreSQL ${host.postgres}. The whole bench took ${minutes} min.`,
  '',
  '## Time to healthy',
  '',
  `From creating a Cluster to "Cluster in healthy state" (local runtime, operator in-process); ${startupRuns} runs.`,
  '',
  ...startupTable(startup),
  '',
  '## Faults',
  '',
  `One ${failover.cluster.instances}-instance cluster, synchronous replication (${failover.cluster.synchronous}), ` +
    `primary Lease ${leaseText(lease)}, ` +
    `${failover.cluster.clients} clients writing through -rw; ${runs} runs per nemesis, each: 2 s of writes, the ` +
    `fault (held ${holdMs / 1000} s where it lasts), its undo, writes until the old primary is back, 2 s more, ` +
    'then the final read and the checker. Write gap: the longest time between two consecutive acknowledged ' +
    'writes from the fault on. Writes back: from the fault until the end of that gap. Old primary back: from ' +
    'the fault until the old primary acknowledged a write again (as primary) or streamed (as replica). ' +
    'See docs/harness.md.',
  '',
  ...failoverTable(failover),
  '',
];
writeFileSync(join(outDir, `${name}.md`), md.join('\n'));
// The results are committed: keep them in the formatter's shape so the lint stays clean.
try {
  const biome = join(import.meta.dirname, '../node_modules/.bin/biome');
  execFileSync(biome, ['format', '--write', join(outDir, `${name}.json`), join(outDir, `${name}.md`)], {
    stdio: 'ignore',
  });
} catch {
  // Formatting is a nicety; the results are written either way.
}
console.log(md.join('\n'));
console.log(`written: bench/results/${name}.json and ${name}.md`);
// Everything is written and stopped. Exit now rather than wait for the event loop to drain: the service
// proxy (src/local/proxy/tcp-forwarder.ts) resets half-closed client sockets, which libuv refuses, and
// Node's exit then spins on the handle that never closes.
process.exit(0);
