// `cnpg controller` as a process: leader election on upstream's Lease (one leader, a standby that
// takes over once the leader stops and releases it), the health and metrics endpoints, and bad flags.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { installCrds } from '../../src/local/apply.ts';
import { startTestApiServer, type TestApiServer } from '../kube/support.ts';
import { waitFor } from './support.ts';

const CNPG = join(import.meta.dirname, '../../bin/cnpg');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

describe('cnpg controller', { timeout: 60_000 }, () => {
  let api: TestApiServer;
  let kubeconfig: string;
  let dir: string;
  const children: ChildProcess[] = [];

  const run = async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const child = spawn(
      CNPG,
      [
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--leader-elect',
        '--health-probe-bind-address',
        `127.0.0.1:${port}`,
        '--metrics-bind-address',
        `127.0.0.1:${metricsPort}`,
      ],
      { env: { ...process.env, OPERATOR_NAMESPACE: 'default', CNPG_LOG_LEVEL: 'error' }, stdio: 'ignore' },
    );
    children.push(child);
    return { child, port, metricsPort };
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  before(async () => {
    api = await startTestApiServer();
    await installCrds(api.kc);
    dir = mkdtempSync(join(tmpdir(), 'cnpg-controller-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kc.exportConfig(), { mode: 0o600 });
  });
  after(
    async () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await api?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 120_000 },
  );

  it('leads through the Lease, serves health probes and metrics, and hands over when stopped', async () => {
    const lease = () =>
      api.kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'db9c8771.cnpg.io', namespace: 'default' })
        .catch(() => undefined);
    const first = await run();
    const holder = await waitFor('a leader', async () => (await lease())?.spec?.holderIdentity || undefined, 20_000);
    for (const path of ['/healthz', '/readyz']) {
      const res = await waitFor(`${path} to answer`, () =>
        fetch(`http://127.0.0.1:${first.port}${path}`).then((r) => (r.ok ? r : undefined)),
      );
      assert.equal(await res.text(), 'ok');
    }
    const metrics = await (await fetch(`http://127.0.0.1:${first.metricsPort}/metrics`)).text();
    assert.match(metrics, /^controller_runtime_max_concurrent_reconciles\{controller="cluster"\} 10$/m);
    assert.match(metrics, /^workqueue_depth\{name="cluster",controller="cluster",priority=""\} 0$/m);
    const second = await run();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await lease())?.spec?.holderIdentity, holder, 'the standby does not take the lease');
    first.child.kill('SIGTERM');
    assert.equal(await exited(first.child), 0);
    const next = await waitFor(
      'the standby to take over',
      async () => {
        const h = (await lease())?.spec?.holderIdentity;
        return h && h !== holder ? h : undefined;
      },
      20_000,
    );
    assert.notEqual(next, holder);
    second.child.kill('SIGTERM');
    assert.equal(await exited(second.child), 0);
  });

  it('refuses bad flags with one error line', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        CNPG,
        ['controller', '--kubeconfig', kubeconfig, '--max-concurrent-reconciles', '0'],
        (_e, _o, err) => resolve({ code: child.exitCode, stderr: err }),
      );
    });
    assert.equal(code, 1);
    assert.equal(stderr, 'error: invalid --max-concurrent-reconciles "0": expected an integer >= 1\n');
  });

  it('refuses a metrics address without a port', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        CNPG,
        ['controller', '--kubeconfig', kubeconfig, '--metrics-bind-address', '127.0.0.1:'],
        (_e, _o, err) => resolve({ code: child.exitCode, stderr: err }),
      );
    });
    assert.equal(code, 1);
    assert.equal(stderr, 'error: invalid --metrics-bind-address "127.0.0.1:": expected HOST:PORT, :PORT or 0\n');
  });
});
