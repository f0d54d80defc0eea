// Benchmark of the local API server: object creates per second (concurrent clients over keep-alive
// HTTPS) and watch-event latency (from sending a write to a watcher receiving its event), p50/p99.
// Writes a report to bench/results/apiserver-<date>.json and prints a summary.
// Usage: node bench/apiserver.ts [--creates N] [--concurrency C] [--latency-samples N]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { componentLogger } from '../src/log/logger.ts';
import { type RunningApiServer, startApiServer } from '../src/local/apiserver/server.ts';

const { values } = parseArgs({
  options: {
    creates: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
    'latency-samples': { type: 'string', default: '500' },
  },
});
const CREATES = Number(values.creates);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values['latency-samples']);

function post(server: RunningApiServer, agent: Agent, path: string, body: unknown): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: 'POST',
        agent,
        ca: server.caCertPem,
        headers: {
          Authorization: `Bearer ${server.adminToken}`,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(payload)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function createsPerSecond(
  server: RunningApiServer,
): Promise<{ creates: number; seconds: number; perSecond: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: server.caCertPem });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CREATES) {
        const i = next++;
        const status = await post(server, agent, '/api/v1/namespaces/default/configmaps', {
          metadata: { name: `cm-${i}` },
          data: { i: String(i) },
        });
        if (status !== 201) throw new Error(`create ${i} answered ${status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { creates: CREATES, seconds: Number(seconds.toFixed(3)), perSecond: Math.round(CREATES / seconds) };
}

async function watchLatency(
  server: RunningApiServer,
): Promise<{ samples: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let onEvent: (() => void) | undefined;
  const watchReq = request(`${server.url}/api/v1/namespaces/default/secrets?watch=true&resourceVersion=0`, {
    ca: server.caCertPem,
    headers: { Authorization: `Bearer ${server.adminToken}` },
  });
  await new Promise<void>((resolve, reject) => {
    watchReq.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const event = JSON.parse(buffer.slice(0, nl)) as { object: { metadata: { name: string } } };
          buffer = buffer.slice(nl + 1);
          const start = sent.get(event.object.metadata.name);
          if (start !== undefined) {
            latencies.push(performance.now() - start);
            onEvent?.();
          }
        }
      });
      resolve();
    });
    watchReq.on('error', reject);
    watchReq.end();
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: server.caCertPem });
  for (let i = 0; i < SAMPLES; i++) {
    const name = `s-${i}`;
    const seen = new Promise<void>((resolve) => {
      onEvent = resolve;
    });
    sent.set(name, performance.now());
    await post(server, agent, '/api/v1/namespaces/default/secrets', { metadata: { name }, stringData: { k: 'v' } });
    await seen;
  }
  agent.destroy();
  watchReq.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number) => Number(n.toFixed(2));
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'cnpg-bench-apiserver-'));
const server = await startApiServer({ dataDir, port: 0, logger: componentLogger('apiserver', {}, { level: 'error' }) });
try {
  const creates = await createsPerSecond(server);
  const latency = await watchLatency(server);
  const report = {
    benchmark: 'apiserver',
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    storage: 'SQLite (node:sqlite), WAL journal, synchronous=FULL, group commit',
    createsPerSecond: { concurrency: CONCURRENCY, ...creates },
    watchEventLatency: latency,
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `apiserver-${report.date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `creates: ${creates.perSecond}/s (${creates.creates} in ${creates.seconds} s, concurrency ${CONCURRENCY})\n` +
      `watch latency: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms (${latency.samples} samples)\nreport: ${file}\n`,
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
