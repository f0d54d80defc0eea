// The instance manager's HTTP API on the status port (upstream's "remote" webserver): probes,
// /pg/status, and the operations the operator drives (reload, restart, promote, demote, fencing).
// With certificates it is HTTPS only (TLS 1.3) and every operation (POST) needs the operator's
// client certificate (tls.ts); probes and status stay open, as the kubelet needs them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { errorMessage, InstanceError } from './errors.ts';
import { ConflictError, type InstanceManager } from './instance-manager.ts';
import type { ReplicaSource } from './pgdata-config.ts';
import type { StatusServerTls } from './tls.ts';

const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY) reject(new InstanceError('request body too large'));
    });
    req.on('end', () => {
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(new InstanceError('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** `{primaryHost, primaryPort}` of a demote request, both optional. */
/** The instance a stepping-down primary hands its lease to (`{"successor": "<pod>"}`), if any. */
function stepDownSuccessor(body: unknown): string | undefined {
  const successor = (typeof body === 'object' && body !== null ? body : {}) as { successor?: unknown };
  if (successor.successor === undefined) return undefined;
  if (typeof successor.successor !== 'string' || successor.successor === '')
    throw new InstanceError('successor must be a non-empty string');
  return successor.successor;
}

function demoteSource(body: unknown): ReplicaSource | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { primaryHost?: unknown; primaryPort?: unknown };
  if (b.primaryHost === undefined) return undefined;
  if (typeof b.primaryHost !== 'string' || b.primaryHost === '')
    throw new InstanceError('primaryHost must be a non-empty string');
  const port = b.primaryPort ?? 5432;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InstanceError('primaryPort must be a port number');
  }
  return { host: b.primaryHost, port };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createStatusServer(manager: InstanceManager, tls?: StatusServerTls): Server {
  const probe =
    (kind: 'startup' | 'readiness'): Handler =>
    async (_req, res) => {
      const r = await manager.probe(kind);
      send(res, r.ok ? 200 : 500, r.ok ? 'OK' : `${kind} check failed: ${r.detail}`);
    };
  const routes: Record<string, Handler> = {
    // The peers' isolation check: answering at all is the point.
    'GET /failsafe': async (_req, res) => send(res, 200, 'OK'),
    'GET /healthz': async (_req, res) => {
      const r = manager.liveness();
      send(res, r.ok ? 200 : 500, r.ok ? 'OK' : `liveness check failed: ${r.detail}`);
    },
    'GET /readyz': probe('readiness'),
    'GET /startupz': probe('startup'),
    'GET /pg/status': async (_req, res) => send(res, 200, await manager.status()),
    'POST /pg/reload': async (_req, res) => send(res, 200, await manager.reload()),
    'POST /pg/restart': async (_req, res) => {
      await manager.restart();
      send(res, 200, { restarted: true });
    },
    'POST /pg/promote': async (_req, res) => send(res, 200, await manager.promote()),
    'POST /pg/stepdown': async (req, res) =>
      send(res, 200, await manager.stepDown(stepDownSuccessor(await readBody(req)))),
    'POST /pg/demote': async (req, res) => {
      await manager.demote(demoteSource(await readBody(req)));
      send(res, 200, { demoted: true });
    },
    'POST /pg/fence': async (_req, res) => {
      await manager.fence();
      send(res, 200, { fenced: true });
    },
    'POST /pg/unfence': async (_req, res) => {
      await manager.unfence();
      send(res, 200, { fenced: false });
    },
  };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = routes[`${req.method} ${path}`];
    if (handler === undefined) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      send(res, known ? 405 : 404, {
        error: known ? `method ${req.method} not allowed on ${path}` : `no such endpoint ${path}`,
      });
      return;
    }
    const refusal = tls !== undefined && req.method === 'POST' ? tls.authorize(req.socket as TLSSocket) : undefined;
    if (refusal !== undefined) {
      manager.ctx.log.warn({ path, status: refusal.status, remote: req.socket.remoteAddress }, refusal.error);
      send(res, refusal.status, { error: refusal.error });
      return;
    }
    handler(req, res).catch((err: unknown) => {
      const status = err instanceof ConflictError ? 409 : err instanceof InstanceError ? 422 : 500;
      if (status === 500) manager.ctx.log.error({ err: errorMessage(err), path }, 'request failed');
      if (!res.headersSent) send(res, status, { error: errorMessage(err) });
    });
  };
  if (tls === undefined) return createServer(serve);
  return createHttpsServer(
    { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false },
    serve,
  );
}
