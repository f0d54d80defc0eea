// The instance metrics exporter on the local runtime: a one-instance cluster serves
// cnpg_collector_* and the default queries' metrics on <pod ip>:9187 over plain HTTP, plus a custom
// query read from a ConfigMap through the API server (the instance Role grants it); then
// monitoring.tls.enabled rolls the pod out and the exporter speaks HTTPS only, with the server
// certificate the cluster's CA signed; `cnpg instance status` reads the HTTPS status server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  applyAll,
  HEALTHY,
  type OperatorEnv,
  patchCluster,
  podIP,
  secretData,
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from './support.ts';

const NS = 'default';
const NAME = 'monitored';
const POD = `${NAME}-1`;
const CNPG = join(import.meta.dirname, '../../bin/cnpg');

const CUSTOM_QUERIES = `
custom_probe:
  query: SELECT 'hello' AS tag, 42 AS answer, pg_catalog.pg_is_in_recovery() AS standby
  metrics:
    - tag: {usage: LABEL, description: A label}
    - answer: {usage: GAUGE, description: The answer}
    - standby: {usage: MAPPEDMETRIC, description: Role, metric_mapping: {"true": 1, "false": 0}}
broken:
  query: SELECT 1 AS one FROM no_such_table
  metrics:
    - one: {usage: GAUGE, description: never}
misdeclared:
  query: SELECT 1 AS one
  metrics:
    - one: {usage: NO_SUCH_USAGE, description: never}
`;

async function scrapeHttp(ip: string): Promise<string> {
  const res = await fetch(`http://${ip}:9187/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return res.text();
}

function scrapeHttps(ip: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // The certificate names the services and pods, not the address: verify the name Prometheus
    // would use (upstream's PodMonitor sets serverName to the -rw service).
    const req = httpsGet(
      { host: ip, port: 9187, path: '/metrics', ca, servername: `${NAME}-rw`, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The value of the sample `series` (name plus exact label text) in an exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('instance metrics exporter', { timeout: 240_000 }, () => {
  let env: OperatorEnv;

  before(async () => {
    env = await startOperatorEnv();
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  it('exports the collector, default-query and custom-query metrics over HTTP', async () => {
    await applyAll(env, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'custom-queries', namespace: NS },
        data: { queries: CUSTOM_QUERIES },
      } as never,
      {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: NAME, namespace: NS },
        spec: {
          instances: 1,
          storage: { size: '1Gi' },
          monitoring: { customQueriesConfigMap: [{ name: 'custom-queries', key: 'queries' }] },
        },
      } as never,
    ]);
    await waitForPhase(env, NS, NAME, HEALTHY, 120_000);
    const ip = await podIP(env, NS, POD);
    const text = await waitFor(
      'the custom query in the metrics',
      async () => {
        const t = await scrapeHttp(ip);
        return sample(t, 'cnpg_custom_probe_answer{tag="hello"}') === 42 ? t : undefined;
      },
      30_000,
    );
    assert.equal(sample(text, `cnpg_collector_up{cluster="${NAME}"}`), 1);
    assert.equal(sample(text, 'cnpg_collector_fencing_on'), 0);
    assert.equal(sample(text, 'cnpg_collector_nodes_used') !== undefined, true);
    assert.ok((sample(text, 'cnpg_pg_database_size_bytes{datname="app"}') ?? 0) > 0);
    assert.equal(sample(text, 'cnpg_pg_replication_in_recovery'), 0);
    assert.equal(sample(text, 'cnpg_custom_probe_standby{tag="hello"}'), 0);
    assert.equal(sample(text, 'cnpg_collector_pg_wal{value="count"}') !== undefined, true);
    assert.match(text, /^cnpg_collector_postgres_version\{full="\d+\.\d+",cluster="monitored"\} \d+(\.\d+)?$/m);
    assert.match(text, /^cnpg_pg_extensions_update_available\{datname="app",extname="plpgsql",/m);
    assert.match(
      text,
      /^cnpg_backends_total\{datname="app",usename="postgres",application_name="cnpg_metrics_exporter"/m,
    );
    // The query that fails costs its own metrics and is counted, the scrape goes on.
    assert.ok((sample(text, 'cnpg_collector_collection_errors_total{collector="broken"}') ?? 0) >= 1);
    assert.equal(sample(text, 'cnpg_collector_last_collection_error'), 1);
    // Each error is logged with the query and the reason, once however many scrapes repeat it.
    await scrapeHttp(ip);
    const failures = (await env.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'postgres' }))
      .split('\n')
      .flatMap((l) => {
        try {
          const entry = JSON.parse(l) as { msg?: string; query?: string; err?: string };
          return entry.msg === 'monitoring query failed' ? [entry] : [];
        } catch {
          return [];
        }
      });
    const broken = failures.filter((f) => f.query === 'broken');
    assert.equal(broken.length, 1, JSON.stringify(failures));
    assert.match(broken[0]?.err ?? '', /relation "no_such_table" does not exist/);
    const misdeclared = failures.filter((f) => f.query === 'ConfigMap/custom-queries/queries');
    assert.equal(misdeclared.length, 1, JSON.stringify(failures));
    assert.match(misdeclared[0]?.err ?? '', /query "misdeclared"/);
    assert.ok(
      (sample(text, 'cnpg_collector_collection_errors_total{collector="ConfigMap/custom-queries/queries"}') ?? 0) >= 1,
    );
    assert.match(text, /^# TYPE cnpg_pg_stat_database_xact_commit counter$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    const notFound = await fetch(`http://${ip}:9187/other`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(notFound.status, 404);
  });

  it('rolls the pod out when monitoring.tls.enabled changes, then serves HTTPS only', async () => {
    const before = await env.core.readNamespacedPod({ name: POD, namespace: NS });
    await patchCluster(env, NS, NAME, { spec: { monitoring: { tls: { enabled: true } } } });
    await waitFor(
      'the pod recreated with --metrics-port-tls',
      async () => {
        const pod = await env.core.readNamespacedPod({ name: POD, namespace: NS }).catch(() => undefined);
        const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return pod?.metadata?.uid !== before.metadata?.uid &&
          pod?.spec?.containers[0]?.command?.includes('--metrics-port-tls') &&
          ready
          ? pod
          : undefined;
      },
      120_000,
    );
    await waitForPhase(env, NS, NAME, HEALTHY, 60_000);
    const ip = await podIP(env, NS, POD);
    const ca = (await secretData(env, NS, `${NAME}-ca`))['ca.crt'] ?? '';
    const secure = await waitFor(
      'metrics over HTTPS',
      async () => {
        const r = await scrapeHttps(ip, ca).catch(() => undefined);
        return r?.status === 200 ? r.text : undefined;
      },
      30_000,
    );
    assert.equal(sample(secure, `cnpg_collector_up{cluster="${NAME}"}`), 1);
    await assert.rejects(scrapeHttp(ip), 'a plaintext request must fail');
    // Verification is real: another CA is refused.
    const otherCa = (await secretData(env, NS, `${NAME}-replication`))['tls.crt'] ?? '';
    await assert.rejects(scrapeHttps(ip, otherCa), /certificate/);
  });

  it('`cnpg instance status` reads the HTTPS status server, verified with the server CA', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpg-monitoring-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'server-ca.crt');
    writeFileSync(caFile, (await secretData(env, NS, `${NAME}-ca`))['ca.crt'] ?? '');
    const ip = await podIP(env, NS, POD);
    const run = spawnSync(CNPG, ['instance', 'status', '--host', ip, '--ca-file', caFile], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { instanceName: string }).instanceName, POD);
  });
});
