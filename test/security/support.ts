// The security suites' harness: a local runtime whose operator runs in-process with a token of the
// `cnpg-manager` ServiceAccount bound to the generated ClusterRole (so a missing permission fails the
// suite), its log kept in memory for the password grep; and the clients an attacker would use: raw
// TLS handshakes to PostgreSQL, HTTPS calls to the instance API with or without a certificate, and
// the pods' own ServiceAccount tokens.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { applyObject } from '../../src/local/apply.ts';
import { componentLogger } from '../../src/log/logger.ts';
import {
  OPERATOR_NAMESPACE,
  OPERATOR_SERVICE_ACCOUNT,
  operatorClusterRole,
  operatorClusterRoleBinding,
  operatorNamespace,
  operatorServiceAccount,
} from '../../src/operator/install/manifests.ts';
import { waitFor } from '../local/node-harness.ts';
import { type OperatorEnv, startOperatorEnv } from '../operator/support.ts';

export { waitFor };

export interface SecurityEnv extends OperatorEnv {
  /** Every line the operator logged. */
  operatorLog: string[];
}

/** A kubeconfig for the API server of `admin` authenticating with `token`. */
export function tokenKubeConfig(admin: KubeConfig, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

/** A token of ServiceAccount `namespace/name` (TokenRequest, as the kubelet gets them). */
export async function serviceAccountToken(core: CoreV1Api, namespace: string, name: string): Promise<string> {
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (token === undefined) throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

/**
 * The operator end-to-end environment with the operator running as its ServiceAccount, bound to
 * exactly the generated ClusterRole (the test keeps the admin credentials), its log captured.
 */
export async function startSecurityEnv(): Promise<SecurityEnv> {
  const operatorLog: string[] = [];
  const env = await startOperatorEnv({
    operatorKubeConfig: async (kc) => {
      for (const o of [
        operatorNamespace(),
        operatorServiceAccount(),
        operatorClusterRole(),
        operatorClusterRoleBinding(),
      ]) {
        await applyObject(kc, o as KubernetesObject);
      }
      const token = await serviceAccountToken(
        kc.makeApiClient(CoreV1Api),
        OPERATOR_NAMESPACE,
        OPERATOR_SERVICE_ACCOUNT,
      );
      return tokenKubeConfig(kc, token);
    },
    logger: componentLogger('controller', {}, { level: 'info', destination: { write: (l) => operatorLog.push(l) } }),
  });
  return { ...env, operatorLog };
}

export function clusterManifest(name: string, namespace: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec,
  } as KubernetesObject;
}

export async function readCluster(env: SecurityEnv, namespace: string, name: string): Promise<Cluster> {
  return (await env.objects.read({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name, namespace },
  })) as unknown as Cluster;
}

export async function waitHealthy(env: SecurityEnv, namespace: string, name: string, timeoutMs = 90_000) {
  return waitFor(
    `Cluster ${namespace}/${name} healthy`,
    async () => {
      const c = await readCluster(env, namespace, name);
      if (c.status?.phase === 'Unable to create required cluster objects') {
        throw new Error(`${name}: ${c.status.phaseReason}`);
      }
      return c.status?.phase === 'Cluster in healthy state' ? c : undefined;
    },
    timeoutMs,
  );
}

export async function secretData(env: SecurityEnv, namespace: string, name: string): Promise<Record<string, string>> {
  const s = await env.core.readNamespacedSecret({ name, namespace });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

export async function podIP(env: SecurityEnv, namespace: string, name: string): Promise<string> {
  return (await env.core.readNamespacedPod({ name, namespace })).status?.podIP ?? '';
}

/** Runs a psql command; resolves with its output, rejects with its error text. */
export function psql(conninfo: string, sql: string, password?: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '5' };
  delete env.PGPASSWORD;
  if (password !== undefined) env.PGPASSWORD = password;
  return new Promise((resolve, reject) => {
    execFile(
      'psql',
      ['-X', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql],
      { env },
      (err, stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout.trim())),
    );
  });
}

/** A directory of client credential files for libpq (keys 0600, as libpq demands). */
export function credentialFiles(files: Record<string, string>): {
  dir: string;
  path(f: string): string;
  dispose(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-sec-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return { dir, path: (f) => join(dir, f), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The certificate PostgreSQL at host:port presents (SSLRequest, then a TLS handshake), as DER. */
export function postgresServerCertificate(host: string, port = 5432): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 5_000);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    socket.once('data', (answer) => {
      if (answer.toString() !== 'S') {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`server refused SSL: ${answer.toString()}`));
        return;
      }
      const tls = tlsConnect({ socket, rejectUnauthorized: false }, () => {
        clearTimeout(timer);
        const raw = tls.getPeerCertificate().raw;
        tls.destroy();
        resolve(raw);
      });
      tls.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** DER of the server certificate (HTTPS only). */
  serverCert?: Buffer;
}

/** An HTTPS request to the instance API, trusting `ca` only, with an optional client certificate. */
export function instanceHttps(
  ip: string,
  method: string,
  path: string,
  opts: { ca: string; cert?: string; key?: string },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: ip,
        port: 8000,
        method,
        path,
        ca: opts.ca,
        ...(opts.cert === undefined ? {} : { cert: opts.cert, key: opts.key }),
        checkServerIdentity: () => undefined,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        const serverCert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw;
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serverCert }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A plain HTTP request to the instance API (what TLS must refuse). */
export function instanceHttp(ip: string, method: string, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: ip, port: 8000, method, path, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Every regular file under `dir` (symlinks not followed), for grepping logs. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

export function modeAndOwner(path: string): { mode: number; uid: number } {
  const st = statSync(path);
  return { mode: st.mode & 0o777, uid: st.uid };
}

export const readText = (path: string): string => readFileSync(path, 'utf8');

/** Runs `cnpg` asynchronously (the API server lives in this process: a blocking spawn would hang it). */
export function cnpgAsync(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}
