// The node agent end to end, on a real local API server: pods as processes, their probes,
// restarts, deletion, volumes and addresses.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { runningAsRoot } from '../../src/postgres/os-user.ts';
import { httpPod, isReady, shellPod, startTestRuntime, type TestRuntime, waitFor } from './node-harness.ts';

const NS = 'default';

describe('node agent', { timeout: 120_000 }, () => {
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime();
  });
  after(async () => {
    await t?.stop();
  });

  const readPod = (name: string) => t.core.readNamespacedPod({ name, namespace: NS });
  const podLog = (name: string, container = 'main') => {
    const file = join(t.dir, 'pods', NS, name, `${container}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const gone = (name: string) =>
    waitFor(`pod ${name} to be gone`, async () => {
      try {
        await readPod(name);
        return false;
      } catch {
        return true;
      }
    });

  it('runs a pod with a readiness probe until it is Ready, on its own address', async () => {
    await t.core.createNamespacedPod({ namespace: NS, body: httpPod('web-a') });
    const pod = await waitFor('web-a Ready', async () => {
      const p = await readPod('web-a');
      return isReady(p) ? p : undefined;
    });
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(pod.spec?.nodeName, 'cnpg-local');
    assert.match(pod.status?.podIP ?? '', /^127\.10\.\d+\.\d+$/);
    const cs = pod.status?.containerStatuses?.[0];
    assert.equal(cs?.ready, true);
    assert.equal(cs?.started, true);
    assert.ok(cs?.state?.running?.startedAt);
    const conditions = Object.fromEntries((pod.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conditions, {
      PodReadyToStartContainers: 'True',
      Initialized: 'True',
      Ready: 'True',
      ContainersReady: 'True',
      PodScheduled: 'True',
    });
  });

  it('lets two pods bind the same port, each on its own address', async () => {
    await t.core.createNamespacedPod({ namespace: NS, body: httpPod('web-b') });
    const [a, b] = await Promise.all(
      ['web-a', 'web-b'].map((n) =>
        waitFor(`${n} Ready`, async () => {
          const p = await readPod(n);
          return isReady(p) ? p : undefined;
        }),
      ),
    );
    assert.notEqual(a?.status?.podIP, b?.status?.podIP);
    for (const p of [a, b]) {
      const code = await new Promise<number>((resolve, reject) => {
        get(`http://${p?.status?.podIP}:8080/`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(code, 200);
    }
  });

  it('restarts a crashing container with back-off', async () => {
    await t.core.createNamespacedPod({
      namespace: NS,
      body: shellPod('crasher', 'echo "run at $(date +%s%N)"; exit 3'),
    });
    const seen = new Set<string>();
    const pod = await waitFor(
      'three restarts',
      async () => {
        const p = await readPod('crasher');
        const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (reason !== undefined) seen.add(reason);
        return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3 ? p : undefined;
      },
      20_000,
    );
    assert.ok(seen.has('CrashLoopBackOff'), `waiting reasons seen: ${[...seen].join(', ')}`);
    assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 3);
    assert.equal(pod.status?.phase, 'Running');
    // Back-off doubles: the gaps between runs grow (first restart immediate, then 300 ms, 600 ms...).
    const runs = await waitFor('four runs in the log', async () => {
      const r = [...podLog('crasher').matchAll(/run at (\d+)/g)].map((m) => Number(BigInt(m[1] ?? '0') / 1_000_000n));
      return r.length >= 4 ? r : undefined;
    });
    const gaps = runs.slice(1).map((r, i) => r - (runs[i] ?? 0));
    assert.ok((gaps[2] ?? 0) > (gaps[0] ?? 0) + 200, `gaps ${gaps.join(',')} should grow`);
  });

  it('honours the grace period on deletion: SIGTERM, then SIGKILL', async () => {
    const script = 'trap "echo got TERM" TERM; echo started; while true; do sleep 0.1; done';
    await t.core.createNamespacedPod({
      namespace: NS,
      body: shellPod('stubborn', script, { terminationGracePeriodSeconds: 2 }),
    });
    await waitFor('stubborn running', async () => podLog('stubborn').includes('started'));
    const started = Date.now();
    await t.core.deleteNamespacedPod({ name: 'stubborn', namespace: NS });
    // The object stays, terminating, while the grace period runs.
    const terminating = await readPod('stubborn');
    assert.ok(terminating.metadata?.deletionTimestamp);
    await waitFor('got TERM', async () => podLog('stubborn').includes('got TERM'), 2000);
    await gone('stubborn');
    const took = Date.now() - started;
    assert.ok(took >= 1900 && took < 6000, `deletion took ${took} ms with a 2 s grace period`);

    await t.core.createNamespacedPod({
      namespace: NS,
      body: shellPod('polite', 'echo started; exec sleep 100', { terminationGracePeriodSeconds: 30 }),
    });
    await waitFor('polite running', async () => podLog('polite').includes('started'));
    const t0 = Date.now();
    await t.core.deleteNamespacedPod({ name: 'polite', namespace: NS });
    await gone('polite');
    assert.ok(Date.now() - t0 < 5000, 'a process that ends on SIGTERM does not wait for the grace period');
  });

  it('keeps a claim directory across pod deletion and removes it with the claim', async () => {
    await t.core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    const claim = await waitFor('claim bound', async () => {
      const c = await t.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: NS });
      return c.status?.phase === 'Bound' ? c : undefined;
    });
    assert.equal(String(claim.status?.capacity?.storage), '1Gi');
    assert.ok(claim.spec?.volumeName);
    const withClaim = (name: string, script: string): V1Pod =>
      shellPod(name, script, {
        restartPolicy: 'Never',
        volumes: [{ name: 'pgdata', persistentVolumeClaim: { claimName: 'data' } }],
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', script],
            volumeMounts: [{ name: 'pgdata', mountPath: '/var/lib/postgresql/data' }],
          },
        ],
      });
    await t.core.createNamespacedPod({
      namespace: NS,
      body: withClaim('writer', 'echo kept > "$CNPG_POD_ROOT/var/lib/postgresql/data/file" && echo wrote'),
    });
    await waitFor('writer Succeeded', async () => (await readPod('writer')).status?.phase === 'Succeeded');
    await t.core.deleteNamespacedPod({ name: 'writer', namespace: NS });
    await gone('writer');
    await t.core.createNamespacedPod({
      namespace: NS,
      body: withClaim('reader', 'cat "$CNPG_POD_ROOT/var/lib/postgresql/data/file"'),
    });
    await waitFor('reader Succeeded', async () => (await readPod('reader')).status?.phase === 'Succeeded');
    assert.equal(podLog('reader').trim(), 'kept');
    const dir = join(t.dir, 'volumes', NS, 'data');
    assert.ok(existsSync(dir));
    await t.core.deleteNamespacedPod({ name: 'reader', namespace: NS });
    await t.core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: NS });
    await waitFor('claim directory removed', async () => !existsSync(dir));
  });

  it('builds env and projects secrets, config maps, the downward API and the service account', async () => {
    await t.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'creds' }, stringData: { password: 's3cret', user: 'app' } },
    });
    await t.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'conf' }, data: { mode: 'fast' } },
    });
    const script = [
      'echo "pw=$PASSWORD mode=$MODE ns=$NS name=$NAME ip=$IP greeting=$GREETING"',
      'cat "$CNPG_POD_ROOT/etc/creds/password"; echo',
      'cat "$CNPG_POD_ROOT/etc/conf/renamed"; echo',
      'cat "$CNPG_POD_ROOT/etc/info/labels"; echo',
      'cat "$CNPG_POD_ROOT/var/run/secrets/kubernetes.io/serviceaccount/namespace"; echo',
      'test -s "$CNPG_POD_ROOT/var/run/secrets/kubernetes.io/serviceaccount/token" && echo token-ok',
      'grep -q "BEGIN CERTIFICATE" "$CNPG_POD_ROOT/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" && echo ca-ok',
      'echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"',
      'pwd',
      'id -un',
      // Modes are read while the pod runs: a finished pod's volumes are released.
      'stat -L -c %a "$CNPG_POD_ROOT/etc/creds/password" "$CNPG_POD_ROOT/etc/conf/renamed"',
    ].join('; ');
    await t.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'env-vols', labels: { app: 'demo' } },
        spec: {
          restartPolicy: 'Never',
          securityContext: { runAsUser: 26 },
          initContainers: [
            {
              name: 'init',
              image: 'busybox',
              command: ['sh', '-c', 'echo from-init > "$CNPG_POD_ROOT/scratch/init.txt"'],
              volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            },
          ],
          containers: [
            {
              name: 'main',
              image: 'busybox',
              command: ['sh', '-c', `${script}; cat "$CNPG_POD_ROOT/scratch/init.txt"`],
              workingDir: '/work',
              env: [
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
                { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'conf', key: 'mode' } } },
                { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'GREETING', value: 'hello $(NAME)' },
              ],
              volumeMounts: [
                { name: 'creds', mountPath: '/etc/creds' },
                { name: 'conf', mountPath: '/etc/conf' },
                { name: 'info', mountPath: '/etc/info' },
                { name: 'scratch', mountPath: '/scratch' },
              ],
            },
          ],
          volumes: [
            { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o600 } },
            { name: 'conf', configMap: { name: 'conf', items: [{ key: 'mode', path: 'renamed', mode: 0o640 }] } },
            { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      },
    });
    const pod = await waitFor('env-vols Succeeded', async () => {
      const p = await readPod('env-vols');
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    });
    const out = podLog('env-vols');
    assert.equal(pod.status?.phase, 'Succeeded', out);
    const ip = pod.status?.podIP;
    const root = join(t.dir, 'pods', NS, 'env-vols');
    assert.equal(
      out.trim(),
      [
        `pw=s3cret mode=fast ns=${NS} name=env-vols ip=${ip} greeting=hello env-vols`,
        's3cret',
        'fast',
        'app="demo"',
        NS,
        'token-ok',
        'ca-ok',
        `api=127.0.0.1:${new URL(t.rt.apiServer.url).port}`,
        join(root, 'work'),
        runningAsRoot() ? 'postgres' : (process.env.USER ?? ''),
        '600',
        '640',
        'from-init',
      ].join('\n'),
    );
    assert.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  });

  it('maps the instance manager to bin/cnpg and a PostgreSQL image to its installed binaries', async () => {
    const image = 'ghcr.io/cloudnative-pg/postgresql:15.8';
    await t.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'pg15' },
        spec: {
          restartPolicy: 'Never',
          initContainers: [{ name: 'manager', image, command: ['/controller/manager', '--help'] }],
          containers: [{ name: 'main', image, command: ['sh', '-c', 'command -v initdb'] }],
        },
      },
    });
    await waitFor('pg15 Succeeded', async () => (await readPod('pg15')).status?.phase === 'Succeeded');
    assert.match(podLog('pg15', 'manager'), /^Usage: cnpg /);
    assert.equal(podLog('pg15').trim(), '/usr/lib/postgresql/15/bin/initdb');
  });

  it('fails a pod whose PostgreSQL major is not installed, with a clear message', async () => {
    await t.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'pg99' },
        spec: {
          containers: [{ name: 'postgres', image: 'ghcr.io/cloudnative-pg/postgresql:99.1', command: ['postgres'] }],
        },
      },
    });
    const pod = await waitFor('pg99 Failed', async () => {
      const p = await readPod('pg99');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.match(pod.status?.message ?? '', /needs PostgreSQL 99, which is not installed/);
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ErrImagePull');
  });

  it('restarts a container whose liveness probe fails', async () => {
    const script = 'touch "$CNPG_POD_ROOT/alive"; echo up; sleep 1; rm "$CNPG_POD_ROOT/alive"; exec sleep 100';
    const body = shellPod('sickly', script, { terminationGracePeriodSeconds: 1 });
    const c = body.spec?.containers[0];
    if (c)
      c.livenessProbe = {
        exec: { command: ['sh', '-c', 'test -f "$CNPG_POD_ROOT/alive"'] },
        periodSeconds: 1,
        failureThreshold: 1,
      };
    await t.core.createNamespacedPod({ namespace: NS, body });
    await waitFor(
      'a liveness restart',
      async () => ((await readPod('sickly')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
  });

  it('drives a Deployment and a Job to their pods', async () => {
    await t.apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'site' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'site' } },
          template: { metadata: { labels: { app: 'site' } }, spec: httpPod('unused').spec ?? { containers: [] } },
        },
      },
    });
    await waitFor('deployment available', async () => {
      const d = await t.apps.readNamespacedDeployment({ name: 'site', namespace: NS });
      return d.status?.readyReplicas === 2 && d.status.updatedReplicas === 2 ? d : undefined;
    });
    const pods = await t.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=site' });
    assert.equal(pods.items.length, 2);

    await t.batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'once' },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo done'] }],
            },
          },
        },
      },
    });
    const job = await waitFor('job complete', async () => {
      const j = await t.batch.readNamespacedJob({ name: 'once', namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    assert.equal(job.status?.succeeded, 1);
  });

  it('keeps only the logs of the failed pods of a Job: a finished pod releases its volumes', async () => {
    await t.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'doomed' }, stringData: { k: 'v' } },
    });
    await t.batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'doomed' },
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              restartPolicy: 'Never',
              volumes: [
                { name: 'secret', secret: { secretName: 'doomed' } },
                { name: 'scratch', emptyDir: {} },
              ],
              containers: [
                {
                  name: 'main',
                  image: 'busybox',
                  command: ['sh', '-c', 'cat $CNPG_POD_ROOT/etc/doomed/k; echo; echo error: cannot go on; exit 3'],
                  volumeMounts: [
                    { name: 'secret', mountPath: '/etc/doomed' },
                    { name: 'scratch', mountPath: '/scratch' },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    const job = await waitFor('job failed', async () => {
      const j = await t.batch.readNamespacedJob({ name: 'doomed', namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
    });
    assert.equal(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
    const pods = await t.core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'batch.kubernetes.io/job-name=doomed',
    });
    // Kubernetes keeps every failed pod of a Job (backoffLimit + 1 of them), with its log.
    assert.equal(pods.items.length, 3);
    for (const pod of pods.items) {
      const name = pod.metadata?.name ?? '';
      assert.equal(pod.status?.phase, 'Failed');
      // Released once the phase is published: the secret's copy, the emptyDir and the mounts go.
      const root = join(t.dir, 'pods', NS, name);
      await waitFor(`${name} released`, async () => readdirSync(root).every((f) => f.endsWith('.log')));
      assert.deepEqual(readdirSync(root), ['main.log']);
      assert.equal(podLog(name), 'v\nerror: cannot go on\n');
      const log = await t.core.readNamespacedPodLog({ name, namespace: NS });
      assert.equal(log, 'v\nerror: cannot go on\n');
    }
  });
});
