import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ContainerProcess } from './container-process.ts';

describe('container process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-proc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const start = (script: string, name = 'c') =>
    new ContainerProcess({
      command: ['sh', '-c', script],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hi' },
      cwd: dir,
      user: undefined,
      logFile: join(dir, `${name}.log`),
      pidFile: join(dir, `${name}.pid`),
    });

  it('appends output to the log file and reports the exit code', async () => {
    const exit = await start('echo $GREETING; echo oops >&2; exit 4', 'out').exited;
    assert.equal(exit.exitCode, 4);
    assert.equal(readFileSync(join(dir, 'out.log'), 'utf8'), 'hi\noops\n');
    assert.equal(existsSync(join(dir, 'out.pid')), false);
  });

  it('reports a missing executable as a start error', async () => {
    const p = new ContainerProcess({
      command: ['/nonexistent/x'],
      env: {},
      cwd: dir,
      user: undefined,
      logFile: join(dir, 'x.log'),
      pidFile: join(dir, 'x.pid'),
    });
    const exit = await p.exited;
    assert.equal(exit.startError, 'executable file not found: /nonexistent/x');
  });

  it('stops with SIGTERM when the process obeys it', async () => {
    const p = start('exec sleep 30');
    const t0 = Date.now();
    const exit = await p.stop(5000);
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(exit.exitCode, 143);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('kills the whole group with SIGKILL after the grace period', async () => {
    const p = start('trap "" TERM; sleep 30 & echo $! > child.pid; wait', 'stubborn');
    await new Promise((r) => setTimeout(r, 300));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    const t0 = Date.now();
    const exit = await p.stop(500);
    const took = Date.now() - t0;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(took >= 450 && took < 3000, `took ${took}`);
    await new Promise((r) => setTimeout(r, 100));
    // Gone, or a zombie waiting for whoever reaps orphans here.
    const state = existsSync(`/proc/${child}/stat`)
      ? readFileSync(`/proc/${child}/stat`, 'utf8').split(' ')[2]
      : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `the background child is ${state}`);
  });
});
