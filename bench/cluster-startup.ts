// Benchmark of cluster start-up: time from applying a Cluster to "Cluster in healthy state", for 1
// and 3 instances, on the local runtime with the operator in-process (real PostgreSQL, initdb, base
// backups, probes). Median of N runs each, every run a fresh Cluster deleted afterwards.
// `benchClusterStartup()` is what `npm run bench` (bench/run.ts) uses; run directly, this file
// writes bench/results/<date>-cluster-startup.json and .md and prints a summary.
// Usage: node bench/cluster-startup.ts [--runs N] [--sizes 1,3]
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Cluster } from '../src/api/v1/cluster-types.ts';
import { KubeObjectApi } from '../src/kube/patch.ts';
import { installCrds } from '../src/local/apply.ts';
import { startLocalRuntime } from '../src/local/runtime.ts';
import { componentLogger } from '../src/log/logger.ts';
import { startController } from '../src/operator/controller.ts';

const TIMEOUT_MS = 300_000;

export interface StartupResult {
  instances: number;
  runsMs: number[];
  medianMs: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = (c: string) => componentLogger(c, {}, { level: 'error' });

/** Starts a runtime and the operator, times `runs` fresh Clusters of each size, and removes everything. */
export async function benchClusterStartup(opts: {
  runs: number;
  sizes: number[];
  progress?: (line: string) => void;
}): Promise<StartupResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-bench-'));
  chmodSync(dir, 0o755);
  const rt = await startLocalRuntime({ dataDir: dir, port: 0, logger: quiet }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const kc = rt.kubeConfig;
  const objects = KubeObjectApi.forConfig(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const until = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  /** Milliseconds from the create call to the healthy phase. */
  const startOnce = async (name: string, instances: number): Promise<number> => {
    const ref = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name, namespace: 'default' } };
    const started = performance.now();
    await objects.create({ ...ref, spec: { instances, storage: { size: '1Gi' } } });
    await until(`${name} healthy`, async () => {
      const c = (await objects.read(ref)) as unknown as Cluster;
      return c.status?.phase === 'Cluster in healthy state' ? true : undefined;
    });
    const elapsed = performance.now() - started;
    await objects.delete(ref);
    await until(`${name} gone`, async () => {
      const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: `cnpg.io/cluster=${name}` });
      return pods.items.length === 0 ? true : undefined;
    });
    return elapsed;
  };

  let controller: Awaited<ReturnType<typeof startController>> | undefined;
  const results: StartupResult[] = [];
  try {
    await installCrds(kc);
    controller = await startController({ kubeConfig: kc, logger: quiet('controller') });
    await controller.ready;
    for (const size of opts.sizes) {
      const runsMs: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const ms = await startOnce(`bench-${size}-${i}`, size);
        runsMs.push(Math.round(ms));
        opts.progress?.(`${size} instance(s), run ${i + 1}/${opts.runs}: ${(ms / 1000).toFixed(2)} s`);
      }
      results.push({ instances: size, runsMs, medianMs: median(runsMs) });
    }
  } finally {
    await controller?.stop();
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The markdown table of start-up results. */
export function startupTable(results: StartupResult[]): string[] {
  return [
    '| instances | median (s) | runs (s) |',
    '|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.instances} | ${(r.medianMs / 1000).toFixed(2)} | ${r.runsMs.map((m) => (m / 1000).toFixed(2)).join(', ')} |`,
    ),
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '1,3' } },
  });
  const runs = Number(values.runs);
  const results = await benchClusterStartup({
    runs,
    sizes: values.sizes.split(',').map(Number),
    progress: console.log,
  });
  const date = new Date().toISOString().slice(0, 10);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version };
  const outDir = join(import.meta.dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, `${date}-cluster-startup.json`),
    `${JSON.stringify({ date, machine, runs, results }, null, 2)}\n`,
  );
  const md = [
    `# Cluster start-up (${date})`,
    '',
    `Time from creating a Cluster to "Cluster in healthy state" on the local runtime, operator in-process, ` +
      `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}. Median of ${runs} runs.`,
    '',
    ...startupTable(results),
    '',
  ];
  writeFileSync(join(outDir, `${date}-cluster-startup.md`), md.join('\n'));
  console.log(md.join('\n'));
}
