import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { type ProbeContext, ProbeLoop, probeOnce, resolvePort } from './probes.ts';

describe('probes', () => {
  let server: Server;
  let port = 0;
  let healthy = true;
  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' && healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const container: V1Container = { name: 'c', ports: [{ name: 'status', containerPort: 8000 }] };
  const ctx = (): ProbeContext => ({
    podIP: '127.0.0.1',
    container,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: '/',
    user: undefined,
    mapCommand: (c) => c,
  });

  it('resolves named and numeric ports', () => {
    assert.equal(resolvePort('status', container), 8000);
    assert.equal(resolvePort(5432, container), 5432);
    assert.equal(resolvePort('9187', container), 9187);
    assert.throws(() => resolvePort('nope', container), /not a named port/);
  });

  it('checks httpGet, tcpSocket and exec', async () => {
    const cases: { probe: V1Probe; ok: boolean; message?: RegExp }[] = [
      { probe: { httpGet: { path: '/healthz', port } }, ok: true },
      { probe: { httpGet: { path: '/other', port } }, ok: false, message: /statuscode: 503/ },
      { probe: { tcpSocket: { port } }, ok: true },
      { probe: { tcpSocket: { port: 1 } }, ok: false, message: /dial tcp 127\.0\.0\.1:1/ },
      { probe: { exec: { command: ['true'] } }, ok: true },
      { probe: { exec: { command: ['sh', '-c', 'echo broken; exit 1'] } }, ok: false, message: /^broken$/ },
      { probe: { exec: { command: ['sleep', '5'] }, timeoutSeconds: 1 }, ok: false, message: /timed out/ },
      { probe: { grpc: { port } }, ok: false, message: /unsupported/ },
    ];
    for (const c of cases) {
      const r = await probeOnce(c.probe, ctx());
      assert.equal(r.ok, c.ok, JSON.stringify(c.probe));
      if (c.message) assert.match(r.message, c.message);
    }
  });

  it('reports a verdict after the thresholds are crossed', async () => {
    const verdicts: boolean[] = [];
    healthy = true;
    const loop = new ProbeLoop(
      'readiness',
      { httpGet: { path: '/healthz', port }, periodSeconds: 1, successThreshold: 1, failureThreshold: 2 },
      ctx(),
      (ok) => verdicts.push(ok),
    );
    loop.start();
    try {
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(verdicts, [true]);
      healthy = false;
      await new Promise((r) => setTimeout(r, 1300));
      assert.deepEqual(verdicts, [true], 'one failure is below the threshold');
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(verdicts, [true, false]);
    } finally {
      loop.stop();
      healthy = true;
    }
  });
});
