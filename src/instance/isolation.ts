// The primary's isolation check (upstream's liveness "pinger", spec.probes.liveness.isolationCheck):
// a primary that can reach neither the API server nor any peer instance manager is on the wrong
// side of a partition, where the operator may already have promoted another instance. Upstream
// only fails the liveness probe, so the kubelet stops it after several probe periods (minutes of
// commits); here the manager checks every second and shuts PostgreSQL down itself once isolated
// for ISOLATION_GRACE_MS.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { InstanceContext } from './context.ts';
import { podSourceAddress } from './pod-paths.ts';
import { CERTIFICATE_FILES } from './tls.ts';

export const ISOLATION_CHECK_INTERVAL_MS = 1_000;
/** How long a primary may be cut off before it stops accepting writes. */
export const ISOLATION_GRACE_MS = 3_000;
const STATUS_PORT = 8000;

/** Whether this instance reaches the API server or at least one peer's instance manager. */
export async function reachesClusterOrPeers(ctx: InstanceContext): Promise<boolean> {
  const check = ctx.cluster.spec.probes?.liveness?.isolationCheck;
  const timeoutMs = Math.max(check?.requestTimeout ?? 1000, check?.connectionTimeout ?? 1000);
  const me = ctx.options.podName;
  const peers = Object.entries(ctx.cluster.status?.instancesReportedState ?? {})
    .filter(([name, state]) => name !== me && state.ip !== undefined)
    .map(([, state]) => state.ip as string);
  const caFile = join(ctx.certificatesDir, CERTIFICATE_FILES.serverCA);
  const ca = existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  // All at once, so that one check lasts one timeout however many of them go unanswered.
  const api = withTimeout(ctx.source.reachable(), timeoutMs).then(
    () => true,
    () => false,
  );
  const answers = [api, ...peers.map((ip) => pingPeer(ip, ca, timeoutMs))];
  return Promise.any(answers.map((a) => a.then((ok) => (ok ? true : Promise.reject(new Error('no answer')))))).then(
    () => true,
    () => false,
  );
}

/** `GET /failsafe` on a peer's instance manager (HTTPS, its certificate checked against our CA). */
function pingPeer(ip: string, ca: string | undefined, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `https://${ip}:${STATUS_PORT}/failsafe`,
      {
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
        // Peers present the cluster's server certificate, named after the services, not the IP.
        checkServerIdentity: () => undefined,
        localAddress: podSourceAddress(),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.end();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
