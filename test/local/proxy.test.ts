// The service proxy end to end: a Service's address forwards to the pods its selector picks and
// that are ready; relabelling or readiness moves it, closing connections to the pod that left.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { MERGE_PATCH } from '../../src/local/node/kube.ts';
import { isReady, startTestRuntime, type TestRuntime, waitFor } from './node-harness.ts';

const NS = 'default';

// Answers every connection with the pod's name and keeps it open.
const SERVER = [
  'import os, socket',
  's = socket.socket()',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  "s.bind((os.environ['CNPG_POD_IP'], 5432))",
  's.listen()',
  'conns = []',
  'while True:',
  '    c, _ = s.accept()',
  "    c.sendall(os.environ['HOSTNAME'].encode() + b'\\n')",
  '    conns.append(c)',
].join('\n');

function dbPod(name: string, role: string): V1Pod {
  return {
    metadata: { name, labels: { app: 'db', role } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'db',
          image: 'python:3',
          command: ['sh', '-c', `touch "$CNPG_POD_ROOT/ready"; exec python3 -c "$0"`, SERVER],
          ports: [{ name: 'postgresql', containerPort: 5432 }],
          readinessProbe: {
            exec: { command: ['sh', '-c', 'test -f "$CNPG_POD_ROOT/ready"'] },
            periodSeconds: 1,
            failureThreshold: 1,
          },
        },
      ],
    },
  };
}

interface Conn {
  socket: Socket;
  name: string;
  closed: Promise<void>;
}

/** Connects and reads the name of the pod that answered. */
function whoAnswers(host: string, port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let data = '';
    socket.on('data', (b) => {
      data += b.toString();
      if (data.includes('\n')) resolve({ socket, name: data.trim(), closed });
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before answering')));
  });
}

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('service proxy', { timeout: 90_000 }, () => {
  let t: TestRuntime;
  const open: Socket[] = [];
  before(async () => {
    t = await startTestRuntime();
  });
  after(async () => {
    for (const s of open) s.destroy();
    await t?.stop();
  });

  it('follows the selector and readiness, closing connections to pods that left', async () => {
    const svc = (name: string, selector: Record<string, string>) =>
      t.core.createNamespacedService({
        namespace: NS,
        body: {
          metadata: { name },
          spec: { selector, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgresql' }] },
        },
      });
    const rw = await svc('db-rw', { app: 'db', role: 'primary' });
    const r = await svc('db-r', { app: 'db' });
    const rwIP = rw.spec?.clusterIP ?? '';
    const rIP = r.spec?.clusterIP ?? '';
    assert.match(rwIP, /^127\./);
    assert.notEqual(rwIP, rIP);

    await t.core.createNamespacedPod({ namespace: NS, body: dbPod('db-1', 'primary') });
    await t.core.createNamespacedPod({ namespace: NS, body: dbPod('db-2', 'replica') });
    const pods = await Promise.all(
      ['db-1', 'db-2'].map((name) =>
        waitFor(`${name} Ready`, async () => {
          const p = await t.core.readNamespacedPod({ name, namespace: NS });
          return isReady(p) ? p : undefined;
        }),
      ),
    );
    const ipOf = (name: string) => pods.find((p) => p.metadata?.name === name)?.status?.podIP;

    const first = await waitFor('db-rw answering', () => whoAnswers(rwIP, 5432));
    open.push(first.socket);
    assert.equal(first.name, 'db-1');
    const ep = await waitFor('db-rw endpoints', async () => {
      const e = await t.core.readNamespacedEndpoints({ name: 'db-rw', namespace: NS });
      return e.subsets?.[0]?.addresses?.length === 1 ? e : undefined;
    });
    assert.equal(ep.subsets?.[0]?.addresses?.[0]?.ip, ipOf('db-1'));
    assert.equal(ep.subsets?.[0]?.ports?.[0]?.port, 5432);

    // A switchover: the labels move, the old primary's connection is closed, new ones reach db-2.
    const relabel = (name: string, role: string) =>
      t.core.patchNamespacedPod({ name, namespace: NS, body: { metadata: { labels: { role } } } }, MERGE_PATCH);
    await relabel('db-1', 'replica');
    await relabel('db-2', 'primary');
    await within(2000, first.closed, 'the connection to the old primary closed');
    const second = await whoAnswers(rwIP, 5432);
    open.push(second.socket);
    assert.equal(second.name, 'db-2');
    await waitFor('db-rw endpoints moved', async () => {
      const e = await t.core.readNamespacedEndpoints({ name: 'db-rw', namespace: NS });
      return e.subsets?.[0]?.addresses?.[0]?.ip === ipOf('db-2');
    });

    // db-r spreads over both; when db-2 stops being ready, only db-1 is left.
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const c = await whoAnswers(rIP, 5432);
      open.push(c.socket);
      names.add(c.name);
    }
    assert.deepEqual([...names].sort(), ['db-1', 'db-2']);
    const toDb2 = await waitFor('a db-r connection to db-2', async () => {
      const c = await whoAnswers(rIP, 5432);
      open.push(c.socket);
      return c.name === 'db-2' ? c : undefined;
    });
    rmSync(join(t.dir, 'pods', NS, 'db-2', 'ready'));
    await within(5000, toDb2.closed, 'the connection to the unready pod closed');
    for (let i = 0; i < 3; i++) {
      const c = await whoAnswers(rIP, 5432);
      open.push(c.socket);
      assert.equal(c.name, 'db-1');
    }
    const e = await waitFor('db-r endpoints show db-2 not ready', async () => {
      const x = await t.core.readNamespacedEndpoints({ name: 'db-r', namespace: NS });
      return x.subsets?.[0]?.notReadyAddresses?.length === 1 ? x : undefined;
    });
    assert.equal(e.subsets?.[0]?.notReadyAddresses?.[0]?.ip, ipOf('db-2'));
    assert.equal(e.subsets?.[0]?.addresses?.[0]?.ip, ipOf('db-1'));
  });

  it('refuses connections while no pod is selected, and stops listening when the Service goes', async () => {
    const s = await t.core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'nobody' }, spec: { selector: { app: 'none' }, ports: [{ port: 7000 }] } },
    });
    const ip = s.spec?.clusterIP ?? '';
    await waitFor('listening', async () => t.rt.proxy.forwarders(NS, 'nobody').length === 1);
    await assert.rejects(whoAnswers(ip, 7000));
    await t.core.deleteNamespacedService({ name: 'nobody', namespace: NS });
    await waitFor('not listening', async () => t.rt.proxy.forwarders(NS, 'nobody').length === 0);
    await t.rt.proxy.settled();
    await assert.rejects(whoAnswers(ip, 7000), /ECONNREFUSED/);
  });
});
