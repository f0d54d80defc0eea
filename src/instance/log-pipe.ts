// PostgreSQL's logging collector writes into FIFOs in the log directory (as upstream's logpipe
// does); the manager reads them and prints every record as a JSON line on its own stdout, so the
// pod's log is one JSON stream. Opening a FIFO read-write never blocks and survives the writer
// going away, so a restarted postmaster reconnects to the same pipes.
import { execFileSync } from 'node:child_process';
import { chownSync, constants, lstatSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { CsvLogParser } from '../postgres/csvlog.ts';
import type { OsUser } from '../postgres/os-user.ts';

function ensureFifo(path: string, user: OsUser | undefined): void {
  try {
    if (lstatSync(path).isFIFO()) return;
    rmSync(path, { force: true, recursive: true });
  } catch {
    // Absent: created below.
  }
  execFileSync('mkfifo', ['-m', '0600', path]);
  if (user !== undefined) chownSync(path, user.uid, user.gid);
}

function openFifo(path: string): Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

export interface LogPipes {
  close(): void;
}

/** Creates `<dir>/<name>.csv` (csvlog) and `<dir>/<name>` (stderr of the collector) and pumps them into `log`. */
export function startLogPipes(dir: string, name: string, user: OsUser | undefined, log: Logger): LogPipes {
  const pgLog = log.child({ logger: 'postgres' });
  const csvPath = join(dir, `${name}.csv`);
  const plainPath = join(dir, name);
  ensureFifo(csvPath, user);
  ensureFifo(plainPath, user);
  const csv = openFifo(csvPath);
  const plain = openFifo(plainPath);
  const parser = new CsvLogParser();
  csv.setEncoding('utf8').on('data', (chunk: string) => {
    for (const record of parser.push(chunk)) pgLog.info({ record }, 'record');
  });
  let pending = '';
  plain.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line !== '') pgLog.info({ pipe: 'log' }, line);
  });
  for (const s of [csv, plain]) s.on('error', (err) => log.error({ err: err.message }, 'log pipe failed'));
  return {
    close() {
      csv.destroy();
      plain.destroy();
    },
  };
}

/** Logs each line a child process prints (the postmaster before its collector starts, tools). */
export function pipeLines(stream: NodeJS.ReadableStream, log: Logger, fields: Record<string, string>): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') log.info(fields, line);
  });
  stream.on('end', () => {
    if (pending.trim() !== '') log.info(fields, pending);
  });
}
