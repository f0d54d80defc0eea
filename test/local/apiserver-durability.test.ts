// Persistence of the local API server: every acknowledged write survives a restart and a kill -9
// of the server process, and resourceVersions keep increasing across restarts.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { parse } from 'yaml';
import { type Endpoint, call, meta, ok, startTestServer, watch } from './apiserver-support.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const dirs: string[] = [];
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cnpg-apiserver-durable-'));
  dirs.push(d);
  return d;
}

/** Starts `cnpg local apiserver` as its own process group and waits for its address. */
async function startChild(dataDir: string): Promise<{ child: ChildProcess; endpoint: Endpoint }> {
  const child = spawn(
    NODE,
    [join(ROOT, 'src', 'cli', 'main.ts'), 'local', 'apiserver', '--data-dir', dataDir, '--port', '0'],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CNPG_LOG_LEVEL: 'error' },
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API server did not start within 20 s')), 20_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`the API server exited with ${code}`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  const kubeconfig = parse(readFileSync(join(dataDir, 'kubeconfig'), 'utf8')) as {
    users: { user: { token: string } }[];
  };
  const endpoint = {
    url,
    caCertPem: readFileSync(join(dataDir, 'apiserver', 'pki', 'ca.crt'), 'utf8'),
    adminToken: kubeconfig.users[0]?.user.token ?? '',
  };
  return { child, endpoint };
}

it('keeps every acknowledged write through a kill -9 in the middle of a write storm', async () => {
  const dataDir = tempDir();
  const { child, endpoint } = await startChild(dataDir);
  const acknowledged = new Map<string, number>();
  let killed = false;
  const writer = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const name = `w${w}-${i}`;
      const r = await call(endpoint, 'POST', '/api/v1/namespaces/default/configmaps', {
        metadata: { name },
        data: { i: String(i) },
      }).catch(() => undefined);
      if (r?.status === 201) acknowledged.set(name, Number(meta(r.body).resourceVersion));
      if (!killed && acknowledged.size >= 300 && child.pid !== undefined) {
        killed = true;
        process.kill(-child.pid, 'SIGKILL');
      }
    }
  };
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(writer));
  await new Promise((r) =>
    child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(undefined),
  );
  const restarted = await startTestServer({ dataDir });
  try {
    const list = await ok(restarted, 'GET', '/api/v1/namespaces/default/configmaps');
    const names = new Set((list.items as Record<string, unknown>[]).map((o) => meta(o).name));
    const lost = [...acknowledged.keys()].filter((n) => !names.has(n));
    assert.deepEqual(lost, [], 'acknowledged writes lost');
    const maxAcked = Math.max(...acknowledged.values());
    const next = await ok(restarted, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } });
    assert.ok(Number(meta(next).resourceVersion) > maxAcked, 'resourceVersions keep increasing');
  } finally {
    await restarted.stop();
  }
});

it('keeps state, tokens and the kubeconfig through a clean restart; an old watch position gets 410', async () => {
  const dataDir = tempDir();
  const first = await startTestServer({ dataDir });
  await ok(first, 'POST', '/api/v1/namespaces', { metadata: { name: 'kept' } });
  const created = await ok(first, 'POST', '/api/v1/namespaces/kept/configmaps', {
    metadata: { name: 'c' },
    data: { a: '1' },
  });
  await ok(first, 'POST', '/api/v1/namespaces/kept/serviceaccounts', { metadata: { name: 'sa' } });
  const tr = await ok(first, 'POST', '/api/v1/namespaces/kept/serviceaccounts/sa/token', { spec: {} });
  const oldRv = meta(created).resourceVersion;
  await ok(first, 'POST', '/api/v1/namespaces/kept/configmaps', { metadata: { name: 'd' } });
  await first.stop();
  const second = await startTestServer({ dataDir });
  try {
    assert.equal(second.adminToken, first.adminToken);
    assert.equal(second.caCertPem, first.caCertPem);
    const got = await ok(second, 'GET', '/api/v1/namespaces/kept/configmaps/c');
    assert.deepEqual(got.data, { a: '1' });
    assert.equal(meta(got).uid, meta(created).uid);
    const token = (tr.status as Record<string, string>).token;
    assert.equal((await call(second, 'GET', '/version', undefined, { token })).status, 200);
    assert.equal((await call(second, 'GET', '/api/v1/namespaces/kept/configmaps', undefined, { token })).status, 403);
    const w = await watch(second, `/api/v1/namespaces/kept/configmaps?watch=true&resourceVersion=${oldRv}`);
    const e = await w.next();
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.code, 410);
  } finally {
    await second.dispose();
  }
});
