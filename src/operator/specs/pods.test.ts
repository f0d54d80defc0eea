import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { failureThreshold, instanceAffinity, instancePod, podSecurityContext } from './pods.ts';

const meta = { uid: 'u1' };

function postgres(pod: V1Pod): V1Container {
  const c = pod.spec?.containers[0];
  assert.ok(c);
  return c;
}

describe('instance pod', () => {
  it('follows upstream: names, labels, command, env, volumes, probes, ports, grace period', () => {
    const cluster = defaultedCluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4', stopDelay: 90 }, meta);
    const pod = instancePod(cluster, 2, { role: 'replica' });
    assert.equal(pod.metadata?.name, 'cluster-example-2');
    assert.equal(pod.metadata?.namespace, 'default');
    assert.deepEqual(pod.metadata?.labels, {
      'cnpg.io/cluster': 'cluster-example',
      'cnpg.io/instanceName': 'cluster-example-2',
      'cnpg.io/podRole': 'instance',
      'app.kubernetes.io/name': 'postgresql',
      'app.kubernetes.io/instance': 'cluster-example',
      'app.kubernetes.io/version': '16',
      'app.kubernetes.io/component': 'database',
      'app.kubernetes.io/managed-by': 'cloudnative-pg',
      'cnpg.io/instanceRole': 'replica',
      role: 'replica',
    });
    assert.equal(pod.metadata?.annotations?.['cnpg.io/nodeSerial'], '2');
    assert.equal(pod.metadata?.annotations?.['cnpg.io/operatorVersion'], '1.30.0');
    assert.deepEqual(JSON.parse(pod.metadata?.annotations?.['cnpg.io/podSpec'] ?? '{}'), pod.spec);
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, 'u1');
    const spec = pod.spec;
    assert.ok(spec);
    assert.equal(spec.hostname, 'cluster-example-2');
    assert.equal(spec.serviceAccountName, 'cluster-example');
    assert.equal(spec.terminationGracePeriodSeconds, 90);
    assert.deepEqual(spec.initContainers?.[0]?.command, ['/manager', 'bootstrap', '/controller/manager']);
    assert.equal(spec.initContainers?.[0]?.name, 'bootstrap-controller');
    assert.equal(spec.initContainers?.[0]?.image, 'ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0');
    const c = postgres(pod);
    assert.equal(c.name, 'postgres');
    assert.equal(c.image, 'ghcr.io/cloudnative-pg/postgresql:16.4');
    assert.deepEqual(c.command, ['/controller/manager', 'instance', 'run']);
    assert.deepEqual(
      c.env?.map((e) => [e.name, e.value]),
      [
        ['PGDATA', '/var/lib/postgresql/data/pgdata'],
        ['POD_NAME', 'cluster-example-2'],
        ['NAMESPACE', 'default'],
        ['CLUSTER_NAME', 'cluster-example'],
        ['PGPORT', '5432'],
        ['PGHOST', '/controller/run'],
      ],
    );
    assert.deepEqual(
      spec.volumes?.map((v) => v.name),
      ['pgdata', 'scratch-data', 'shm'],
    );
    assert.equal(spec.volumes?.[0]?.persistentVolumeClaim?.claimName, 'cluster-example-2');
    assert.deepEqual(
      c.volumeMounts?.map((m) => [m.name, m.mountPath]),
      [
        ['pgdata', '/var/lib/postgresql/data'],
        ['scratch-data', '/run'],
        ['scratch-data', '/controller'],
        ['shm', '/dev/shm'],
      ],
    );
    assert.deepEqual(c.startupProbe, {
      httpGet: { path: '/startupz', port: 8000, scheme: 'HTTPS' },
      periodSeconds: 1,
      timeoutSeconds: 5,
      failureThreshold: 3600,
    });
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.livenessProbe?.failureThreshold, undefined);
    assert.deepEqual(
      c.ports?.map((p) => [p.name, p.containerPort]),
      [
        ['postgresql', 5432],
        ['metrics', 9187],
        ['status', 8000],
      ],
    );
    assert.deepEqual(spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 26,
      runAsGroup: 26,
      fsGroup: 26,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
  });

  it('mounts the WAL volume, the superuser secret and passes the primary host', () => {
    const cluster = defaultedCluster(
      { walStorage: { size: '1Gi' }, enableSuperuserAccess: true, env: [{ name: 'TZ', value: 'UTC' }] },
      meta,
    );
    const pod = instancePod(cluster, 1, { role: 'primary', primaryHost: '127.1.0.5', operatorImage: 'op:dev' });
    const c = postgres(pod);
    assert.deepEqual(c.command, [
      '/controller/manager',
      'instance',
      'run',
      '--superuser-secret-dir',
      '/etc/superuser-secret',
      '--primary-host',
      '127.1.0.5',
    ]);
    assert.equal(pod.metadata?.labels?.['cnpg.io/instanceRole'], 'primary');
    assert.equal(pod.spec?.initContainers?.[0]?.image, 'op:dev');
    const volumes = Object.fromEntries((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    assert.equal(volumes['pg-wal']?.persistentVolumeClaim?.claimName, 'cluster-example-1-wal');
    assert.equal(volumes['superuser-secret']?.secret?.secretName, 'cluster-example-superuser');
    assert.ok(c.volumeMounts?.some((m) => m.name === 'pg-wal' && m.mountPath === '/var/lib/postgresql/wal'));
    assert.equal(c.env?.at(-1)?.name, 'TZ');
  });

  it('passes --metrics-port-tls when monitoring.tls.enabled, so that changing it changes the pod spec', () => {
    const plain = instancePod(defaultedCluster({ monitoring: { tls: { enabled: false } } }, meta), 1, {
      role: 'primary',
    });
    const tls = instancePod(defaultedCluster({ monitoring: { tls: { enabled: true } } }, meta), 1, { role: 'primary' });
    assert.deepEqual(postgres(plain).command, ['/controller/manager', 'instance', 'run']);
    assert.deepEqual(postgres(tls).command, ['/controller/manager', 'instance', 'run', '--metrics-port-tls']);
    assert.notEqual(plain.metadata?.annotations?.['cnpg.io/podSpec'], tls.metadata?.annotations?.['cnpg.io/podSpec']);
  });

  it('derives probe thresholds from startDelay and livenessProbeTimeout, then applies spec.probes', () => {
    const cluster = defaultedCluster(
      {
        startDelay: 35,
        livenessProbeTimeout: 5,
        probes: { readiness: { periodSeconds: 2, failureThreshold: 3 }, startup: { periodSeconds: 5 } },
      },
      meta,
    );
    const c = postgres(instancePod(cluster, 1, { role: 'primary' }));
    assert.equal(c.startupProbe?.failureThreshold, 7);
    assert.equal(c.startupProbe?.periodSeconds, 5);
    assert.equal(c.livenessProbe?.failureThreshold, 1);
    assert.equal(c.readinessProbe?.periodSeconds, 2);
    assert.equal(c.readinessProbe?.failureThreshold, 3);
    assert.equal(c.readinessProbe?.timeoutSeconds, 5);
  });

  it('computes ceil(seconds/10) with a minimum of 1', () => {
    for (const [seconds, want] of [
      [0, 1],
      [10, 1],
      [11, 2],
      [3600, 360],
    ] as const) {
      assert.equal(failureThreshold(seconds), want, `for ${seconds}`);
    }
  });

  it('generates preferred anti-affinity by default, required on request, none when disabled', () => {
    const preferred = instanceAffinity(defaultedCluster({}, meta));
    assert.equal(preferred?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.weight, 100);
    const required = instanceAffinity(
      defaultedCluster({ affinity: { podAntiAffinityType: 'required', topologyKey: 'zone' } }, meta),
    );
    assert.equal(required?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey, 'zone');
    assert.equal(instanceAffinity(defaultedCluster({ affinity: { enablePodAntiAffinity: false } }, meta)), undefined);
  });

  it("uses the user's podSecurityContext as is", () => {
    const ctx = podSecurityContext(defaultedCluster({ podSecurityContext: { runAsUser: 1000 } }, meta));
    assert.deepEqual(ctx, { runAsUser: 1000 });
  });
});
