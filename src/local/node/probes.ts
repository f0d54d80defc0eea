// The kubelet's probes on this machine: one check (httpGet, tcpSocket, exec) and the loop that
// runs it with its initial delay, period, timeout and thresholds.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { IntOrString, V1Container, V1Probe } from '@kubernetes/client-node';
import type { OsUser } from '../../postgres/os-user.ts';
import { signalGroup } from './container-process.ts';

export interface ProbeContext {
  /** The pod's address: the default host of httpGet and tcpSocket. */
  podIP: string;
  container: V1Container;
  /** exec probes run with the container's environment, directory, user and mapped command. */
  env: Record<string, string>;
  cwd: string;
  user: OsUser | undefined;
  mapCommand: (command: string[]) => string[];
}

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** A port number, or a named port of the container. */
export function resolvePort(port: IntOrString, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = (container.ports ?? []).find((p) => p.name === port);
  if (named === undefined) throw new Error(`port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

/** Runs a probe once. */
export async function probeOnce(probe: V1Probe, ctx: ProbeContext): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await httpProbe(probe.httpGet, ctx, timeoutMs);
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, ctx.container);
      return await tcpProbe(probe.tcpSocket.host || ctx.podIP, port, timeoutMs);
    }
    if (probe.exec) return await execProbe(probe.exec.command ?? [], ctx, timeoutMs);
    return { ok: false, message: 'unsupported probe handler on the local runtime (use httpGet, tcpSocket or exec)' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function httpProbe(get: NonNullable<V1Probe['httpGet']>, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(get.port, ctx.container);
  const host = get.host || ctx.podIP;
  const https = (get.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
  for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
  const path = get.path ?? '/';
  const url = `${https ? 'https' : 'http'}://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    // The kubelet does not verify the pod's certificate either.
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers, rejectUnauthorized: false },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 400;
        resolve({ ok, message: ok ? '' : `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get "${url}": ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, message: '' });
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` });
    });
  });
}

function execProbe(command: string[], ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const [exe, ...args] = ctx.mapCommand(command);
  return new Promise((resolve) => {
    const child = spawn(exe ?? '', args, {
      cwd: ctx.cwd,
      env: ctx.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(ctx.user === undefined ? {} : { uid: ctx.user.uid, gid: ctx.user.gid }),
    });
    let output = '';
    const collect = (b: Buffer): void => {
      if (output.length < 10_240) output += b.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      resolve({ ok: false, message: `command timed out after ${timeoutMs / 1000}s` });
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, message: code === 0 ? '' : output.trim() || `command exited with ${code}` });
    });
  });
}

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/**
 * Runs one probe of one container on its schedule and reports each change of its verdict
 * (success after `successThreshold` successes, failure after `failureThreshold` failures).
 */
export class ProbeLoop {
  readonly kind: ProbeKind;
  readonly #probe: V1Probe;
  readonly #ctx: ProbeContext;
  readonly #onChange: (ok: boolean, message: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #verdict: boolean | undefined;
  #successes = 0;
  #failures = 0;

  constructor(kind: ProbeKind, probe: V1Probe, ctx: ProbeContext, onChange: (ok: boolean, message: string) => void) {
    this.kind = kind;
    this.#probe = probe;
    this.#ctx = ctx;
    this.#onChange = onChange;
  }

  start(): void {
    this.#schedule((this.#probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    const started = Date.now();
    const result = await probeOnce(this.#probe, this.#ctx);
    if (this.#stopped) return;
    if (result.ok) {
      this.#failures = 0;
      this.#successes++;
      // Liveness and startup need one success only (Kubernetes forces successThreshold 1 there).
      const needed = this.kind === 'readiness' ? (this.#probe.successThreshold ?? 1) : 1;
      if (this.#successes >= needed && this.#verdict !== true) this.#decide(true, '');
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.#failures >= (this.#probe.failureThreshold ?? 3) && this.#verdict !== false) {
        this.#decide(false, result.message);
      }
    }
    const period = (this.#probe.periodSeconds ?? 10) * 1000;
    this.#schedule(Math.max(0, period - (Date.now() - started)));
  }

  #decide(ok: boolean, message: string): void {
    this.#verdict = ok;
    this.#onChange(ok, message);
  }
}
