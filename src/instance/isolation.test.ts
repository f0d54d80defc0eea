import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createLeaf, createRootCA } from '../certs/key-pair.ts';
import type { InstanceContext } from './context.ts';
import { reachesClusterOrPeers } from './isolation.ts';

/** Just what the isolation check reads of an instance's context. */
function context(reachable: () => Promise<unknown>, peers: Record<string, string>): InstanceContext {
  return {
    cluster: {
      spec: { instances: 3, probes: { liveness: { isolationCheck: { enabled: true, requestTimeout: 300 } } } },
      status: {
        instancesReportedState: Object.fromEntries(
          Object.entries(peers).map(([name, ip]) => [name, { isPrimary: false, ip }]),
        ),
      },
    },
    source: { reachable },
    options: { podName: 'c-1' },
    certificatesDir: '/nonexistent',
  } as unknown as InstanceContext;
}

describe('isolation check', () => {
  let peer: Server;
  before(async () => {
    const ca = await createRootCA('c', 'c');
    const leaf = await createLeaf(ca, { commonName: 'c-rw', usage: 'server' });
    peer = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      res.statusCode = req.url === '/failsafe' ? 200 : 404;
      res.end('OK');
    });
    await new Promise<void>((r) => peer.listen(8000, '127.0.99.7', r));
  });
  after(() => new Promise<void>((r) => peer.close(() => r())));

  const unreachable = () => Promise.reject(new Error('connection refused'));
  const hangs = () => new Promise<never>(() => undefined);

  it('is not isolated while the API server answers', async () => {
    assert.equal(await reachesClusterOrPeers(context(async () => ({}), { 'c-2': '127.0.99.8' })), true);
  });

  it('is not isolated while one peer answers /failsafe', async () => {
    const ctx = context(unreachable, { 'c-2': '127.0.99.8', 'c-3': '127.0.99.7' });
    assert.equal(await reachesClusterOrPeers(ctx), true);
  });

  it('is isolated when the API server hangs and no peer answers, within the request timeout', async () => {
    const started = Date.now();
    assert.equal(await reachesClusterOrPeers(context(hangs, { 'c-2': '127.0.99.8', 'c-1': '127.0.99.7' })), false);
    assert.ok(Date.now() - started < 2_000);
  });
});
