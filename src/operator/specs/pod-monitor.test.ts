import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { OPERATOR_VERSION } from '../install/version.ts';
import { desiredPodMonitor, isPodMonitorEnabled } from './pod-monitor.ts';

const inheritance = { operatorVersion: OPERATOR_VERSION };
const meta = { uid: 'u1', name: 'cluster-example', namespace: 'ns' };

describe('PodMonitor', () => {
  it('selects the instance pods and scrapes their metrics port, owned by the cluster', () => {
    const cluster = defaultedCluster({ monitoring: { enablePodMonitor: true } }, meta);
    assert.equal(isPodMonitorEnabled(cluster), true);
    const pm = desiredPodMonitor(cluster, inheritance);
    assert.equal(pm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(pm.kind, 'PodMonitor');
    assert.equal(pm.metadata.name, 'cluster-example');
    assert.equal(pm.metadata.namespace, 'ns');
    assert.equal(pm.metadata.labels?.['cnpg.io/cluster'], 'cluster-example');
    assert.equal(pm.metadata.labels?.['app.kubernetes.io/managed-by'], 'cloudnative-pg');
    assert.equal(pm.metadata.ownerReferences?.[0]?.uid, 'u1');
    assert.deepEqual(pm.spec, {
      selector: { matchLabels: { 'cnpg.io/cluster': 'cluster-example', 'cnpg.io/podRole': 'instance' } },
      podMetricsEndpoints: [{ port: 'metrics' }],
    });
  });

  it('scrapes over TLS with the server CA when monitoring.tls is enabled, with the relabelings', () => {
    const relabel = [{ action: 'replace' as const, targetLabel: 'x', replacement: 'y' }];
    const cluster = defaultedCluster(
      {
        monitoring: {
          enablePodMonitor: true,
          tls: { enabled: true },
          podMonitorMetricRelabelings: relabel,
          podMonitorRelabelings: relabel,
        },
      },
      meta,
    );
    assert.deepEqual(desiredPodMonitor(cluster, inheritance).spec.podMetricsEndpoints, [
      {
        port: 'metrics',
        scheme: 'https',
        tlsConfig: {
          ca: { secret: { name: 'cluster-example-ca', key: 'ca.crt' } },
          serverName: 'cluster-example-rw',
          insecureSkipVerify: true,
        },
        metricRelabelings: relabel,
        relabelings: relabel,
      },
    ]);
  });

  it('is disabled by default', () => {
    assert.equal(isPodMonitorEnabled(defaultedCluster({}, meta)), false);
  });
});
