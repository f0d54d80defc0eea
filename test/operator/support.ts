// The operator's end-to-end harness: a local runtime (API server, node agent, service proxy) with
// the CRDs installed and the operator running in-process against it, plus the waits and clients
// the Cluster suites share. Everything is stopped and removed after the suite, even on failure.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { KubeObjectApi } from '../../src/kube/patch.ts';
import { applyObject, installCrds } from '../../src/local/apply.ts';
import { componentLogger, type Logger } from '../../src/log/logger.ts';
import { type RunningController, startController } from '../../src/operator/controller.ts';
import { startTestRuntime, type TestRuntime, waitFor } from '../local/node-harness.ts';
import { CNPG_BIN, SAMPLES_DIR } from '../support/samples.ts';

export { waitFor };

export interface OperatorEnv {
  runtime: TestRuntime;
  kc: KubeConfig;
  core: CoreV1Api;
  objects: KubeObjectApi;
  controller: RunningController;
  stop(): Promise<void>;
}

const quiet = process.env.CNPG_TEST_LOG === '1' ? 'info' : 'error';

export interface OperatorEnvOptions {
  /** The credentials the operator runs with, set up on the admin's (default: the admin's own). */
  operatorKubeConfig?: (admin: KubeConfig) => Promise<KubeConfig>;
  logger?: Logger;
  /** How often a healthy Cluster is looked at again without an event (default 1 s). */
  healthyResyncMs?: number;
}

export async function startOperatorEnv(opts: OperatorEnvOptions = {}): Promise<OperatorEnv> {
  const runtime = await startTestRuntime();
  try {
    const kc = runtime.rt.kubeConfig;
    await installCrds(kc);
    const controller = await startController({
      kubeConfig: opts.operatorKubeConfig === undefined ? kc : await opts.operatorKubeConfig(kc),
      maxConcurrentReconciles: 4,
      pollMs: 300,
      healthyResyncMs: opts.healthyResyncMs ?? 1_000,
      logger: opts.logger ?? componentLogger('controller', {}, { level: quiet }),
    });
    await controller.ready;
    return {
      runtime,
      kc,
      core: kc.makeApiClient(CoreV1Api),
      objects: KubeObjectApi.forConfig(kc),
      controller,
      stop: async () => {
        try {
          await controller.stop();
        } finally {
          await runtime.stop();
        }
      },
    };
  } catch (err) {
    await runtime.stop();
    throw err;
  }
}

/** The documents of a sample manifest, each put in `namespace`. */
export function sampleObjects(file: string, namespace = 'default'): KubernetesObject[] {
  const text = readFileSync(join(SAMPLES_DIR, file), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null)
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

export async function applyAll(env: OperatorEnv, objects: KubernetesObject[]): Promise<void> {
  for (const o of objects) await applyObject(env.kc, o);
}

export async function ensureNamespace(env: OperatorEnv, name: string): Promise<void> {
  if (name === 'default') return;
  await env.core.createNamespace({ body: { metadata: { name } } });
}

export async function readCluster(env: OperatorEnv, namespace: string, name: string): Promise<Cluster> {
  return (await env.objects.read({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name, namespace },
  })) as unknown as Cluster;
}

export const HEALTHY = 'Cluster in healthy state';

/** Creates Cluster `namespace/name` with `spec`; resolves once it is healthy with every instance ready. */
export async function createHealthyCluster(
  env: OperatorEnv,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<Cluster> {
  const cluster = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name, namespace }, spec };
  await applyAll(env, [cluster]);
  const instances = typeof spec.instances === 'number' ? spec.instances : 1;
  return waitForPhase(env, namespace, name, HEALTHY, 120_000, (c) => c.status?.readyInstances === instances);
}

export interface AppUser {
  user: string;
  password: string;
  db: string;
  /** Runs SQL as this user on the server at `host` (port 5432). */
  sql(host: string, text: string): Promise<string>;
}

/** The application user of Cluster `cluster`, from its `<cluster>-app` secret. */
export async function appUser(env: OperatorEnv, namespace: string, cluster: string): Promise<AppUser> {
  const secret = await secretData(env, namespace, `${cluster}-app`);
  const [user, password, db] = [secret.username ?? '', secret.password ?? '', secret.dbname ?? ''];
  return {
    user,
    password,
    db,
    sql: (host, text) => psql(`host=${host} port=5432 user=${user} dbname=${db}`, text, password),
  };
}

/** A plugin verb against this environment: `cnpg ARGS -n NAMESPACE --kubeconfig ...`; rejects with stderr. */
export function cnpgVerb(env: OperatorEnv, namespace: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      CNPG_BIN,
      [...args, '-n', namespace, '--kubeconfig', env.runtime.rt.apiServer.kubeconfigPath],
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
    ),
  );
}

/** Waits until the Cluster's phase is `phase` (fails early, with the reason, if it reports a failure). */
export async function waitForPhase(
  env: OperatorEnv,
  namespace: string,
  name: string,
  phase: string,
  timeoutMs = 60_000,
  check: (c: Cluster) => boolean = () => true,
): Promise<Cluster> {
  return waitFor(
    `Cluster ${namespace}/${name} in phase "${phase}"`,
    async () => {
      const c = await readCluster(env, namespace, name);
      return c.status?.phase === phase && check(c) ? c : undefined;
    },
    timeoutMs,
  );
}

/** Runs SQL with psql (unaligned, tuples only); resolves with its output, rejects with its error. */
export function psql(conninfo: string, sql: string, password?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'psql',
      ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql],
      { env: { ...process.env, ...(password === undefined ? {} : { PGPASSWORD: password }), PGCONNECT_TIMEOUT: '5' } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`psql: ${stderr.trim() || err.message}`)) : resolve(stdout.trim()),
    );
  });
}

export async function secretData(env: OperatorEnv, namespace: string, name: string): Promise<Record<string, string>> {
  const s = await env.core.readNamespacedSecret({ name, namespace });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

export async function serviceIP(env: OperatorEnv, namespace: string, name: string): Promise<string> {
  const s = await env.core.readNamespacedService({ name, namespace });
  return s.spec?.clusterIP ?? '';
}

/** JSON merge patch of a Cluster (spec, metadata). */
export async function patchCluster(env: OperatorEnv, namespace: string, name: string, patch: object): Promise<void> {
  await env.objects.patch(
    { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name, namespace }, ...patch },
    undefined,
    undefined,
    undefined,
    undefined,
    'application/merge-patch+json',
  );
}

export async function podIP(env: OperatorEnv, namespace: string, name: string): Promise<string> {
  const pod = await env.core.readNamespacedPod({ name, namespace });
  return pod.status?.podIP ?? '';
}
