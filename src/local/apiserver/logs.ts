// The pods/log subresource. The node agent writes each container's output to
// `<data-dir>/pods/<namespace>/<pod>/<container>.log`; this serves it, whole, as a tail, or followed.
import { createReadStream, existsSync, type ReadStream, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { apiErrors } from './errors.ts';
import type { Json, KubeObject } from './storage.ts';

/** Where the node agent writes a container's output (one file per container, appended). */
export function containerLogPath(dataDir: string, namespace: string, pod: string, container: string): string {
  return join(dataDir, 'pods', namespace, pod, `${container}.log`);
}

export interface LogOptions {
  container?: string;
  follow: boolean;
  tailLines?: number;
  limitBytes?: number;
}

const FOLLOW_POLL_MS = 200;

function containerNames(pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as Json;
  const names = (list: unknown) => (Array.isArray(list) ? list.map((c) => String((c as Json).name)) : []);
  return names(spec.containers);
}

export function resolveContainer(pod: KubeObject, requested: string | undefined): string {
  const all = containerNames(pod);
  const initNames = Array.isArray((pod.spec as Json | undefined)?.initContainers)
    ? ((pod.spec as Json).initContainers as Json[]).map((c) => String(c.name))
    : [];
  if (requested !== undefined && requested !== '') {
    if (!all.includes(requested) && !initNames.includes(requested)) {
      throw apiErrors.badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    }
    return requested;
  }
  if (all.length === 1 && all[0] !== undefined) return all[0];
  throw apiErrors.badRequest(
    `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]` +
      (initNames.length > 0 ? ` or one of the init containers: [${initNames.join(' ')}]` : ''),
  );
}

function tailStart(path: string, lines: number): number {
  const text = readFileSync(path);
  if (lines <= 0) return text.length;
  let seen = 0;
  // A final newline ends the last line rather than starting another.
  let i = text.length - 1;
  if (text[i] === 0x0a) i--;
  for (; i >= 0; i--) {
    if (text[i] === 0x0a && ++seen === lines) return i + 1;
  }
  return 0;
}

/**
 * Streams the log to `res`. With `follow`, keeps sending what is appended until the client goes
 * away or `stillRunning()` turns false.
 */
export function serveLog(res: ServerResponse, path: string, opts: LogOptions, stillRunning: () => boolean): void {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  if (!existsSync(path)) {
    if (!opts.follow) {
      res.end();
      return;
    }
  }
  let offset = existsSync(path) && opts.tailLines !== undefined ? tailStart(path, opts.tailLines) : 0;
  let sent = 0;
  const limit = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  let reading: ReadStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const finish = () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    reading?.destroy();
    if (!res.writableEnded) res.end();
  };
  res.on('close', finish);
  const pump = () => {
    if (closed) return;
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0;
    if (size > offset && sent < limit) {
      const end = Math.min(size, offset + (limit - sent)) - 1;
      reading = createReadStream(path, { start: offset, end });
      reading.on('data', (chunk) => {
        sent += chunk.length;
        res.write(chunk);
      });
      reading.on('error', finish);
      reading.on('end', () => {
        offset = end + 1;
        reading = undefined;
        next();
      });
      return;
    }
    next();
  };
  const next = () => {
    if (closed) return;
    if (!opts.follow || sent >= limit) {
      finish();
      return;
    }
    // Read whatever the last moments of the container wrote before ending.
    if (!stillRunning()) {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size <= offset) {
        finish();
        return;
      }
    }
    timer = setTimeout(pump, FOLLOW_POLL_MS);
  };
  pump();
}
