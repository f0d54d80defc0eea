// Helpers for the local API server suites: a server in a temporary data directory, raw HTTPS calls
// with the admin (or any) token, watch streams as async event queues, and kubectl runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentLogger } from '../../src/log/logger.ts';
import { type ApiServerOptions, type RunningApiServer, startApiServer } from '../../src/local/apiserver/server.ts';

export type Json = Record<string, unknown>;

export interface TestServer extends RunningApiServer {
  dataDir: string;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

export const quietLogger = () => componentLogger('apiserver', {}, { level: 'error' });

export async function startTestServer(opts: Partial<ApiServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cnpg-apiserver-'));
  const server = await startApiServer({ port: 0, logger: quietLogger(), ...opts, dataDir });
  return {
    ...server,
    dataDir,
    dispose: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Json;
  text: string;
}

export interface CallOptions {
  token?: string;
  contentType?: string;
  accept?: string;
}

export interface Endpoint {
  url: string;
  caCertPem: string;
  adminToken: string;
}

export function call(
  server: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        ca: server.caCertPem,
        headers: {
          Authorization: `Bearer ${opts.token ?? server.adminToken}`,
          'Content-Type': opts.contentType ?? 'application/json',
          Accept: opts.accept ?? 'application/json',
          ...(payload === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(payload)) }),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json = {};
          try {
            parsed = JSON.parse(text) as Json;
          } catch {
            parsed = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Calls and asserts the status, returning the body. */
export async function ok(
  server: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<Json> {
  const r = await call(server, method, path, body, opts);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

export interface WatchEvent {
  type: string;
  object: Json;
}

export interface WatchStream {
  /** The next event, or an error after `timeoutMs`. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export function watch(server: Endpoint, path: string, opts: CallOptions = {}): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const queue: WatchEvent[] = [];
    const waiters: ((e: WatchEvent) => void)[] = [];
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => {
      endResolve = r;
    });
    const req = request(
      `${server.url}${path}`,
      {
        method: 'GET',
        ca: server.caCertPem,
        headers: {
          Authorization: `Bearer ${opts.token ?? server.adminToken}`,
          Accept: opts.accept ?? 'application/json',
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: ${res.statusCode}`));
          res.resume();
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.trim() !== '') {
              const event = JSON.parse(line) as WatchEvent;
              const waiter = waiters.shift();
              if (waiter) waiter(event);
              else queue.push(event);
            }
            nl = buffer.indexOf('\n');
          }
        });
        res.on('end', endResolve);
        res.on('close', endResolve);
        resolve({
          next: (timeoutMs = 5000) => {
            const queued = queue.shift();
            if (queued) return Promise.resolve(queued);
            return new Promise((res2, rej2) => {
              const timer = setTimeout(() => {
                const i = waiters.indexOf(deliver);
                if (i >= 0) waiters.splice(i, 1);
                rej2(new Error(`no watch event on ${path} within ${timeoutMs} ms`));
              }, timeoutMs);
              const deliver = (e: WatchEvent) => {
                clearTimeout(timer);
                res2(e);
              };
              waiters.push(deliver);
            });
          },
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', (err) => {
      endResolve();
      reject(err);
    });
    req.end();
  });
}

export interface KubectlRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real kubectl against the server's kubeconfig, with a private discovery cache.
 * Asynchronous: the server may live in this very process.
 */
export function kubectl(
  server: { kubeconfigPath: string; dataDir: string },
  args: string[],
  stdin?: string,
): Promise<KubectlRun> {
  const child = spawn('kubectl', [
    '--kubeconfig',
    server.kubeconfigPath,
    '--cache-dir',
    join(server.dataDir, 'kubectl-cache'),
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin.end(stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

export const meta = (o: Json) => o.metadata as Json & { name: string; resourceVersion: string; uid: string };
