import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { buildDefaultServices, buildManagedServices, serviceUpdateStrategy } from './services.ts';

const opts = { operatorVersion: '1.30.0' };
const meta = { uid: 'u1' };

describe('default services', () => {
  it('builds -rw, -ro and -r with upstream selectors and port', () => {
    const cluster = defaultedCluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4' }, meta);
    const byType = Object.fromEntries(buildDefaultServices(cluster, opts).map((s) => [s.type, s]));
    assert.deepEqual(byType.rw?.service.spec, {
      type: 'ClusterIP',
      ports: [{ name: 'postgres', protocol: 'TCP', port: 5432, targetPort: 5432 }],
      selector: { 'cnpg.io/cluster': 'cluster-example', 'cnpg.io/instanceRole': 'primary' },
    });
    assert.deepEqual(byType.ro?.service.spec?.selector, {
      'cnpg.io/cluster': 'cluster-example',
      'cnpg.io/instanceRole': 'replica',
    });
    assert.deepEqual(byType.r?.service.spec?.selector, {
      'cnpg.io/cluster': 'cluster-example',
      'cnpg.io/podRole': 'instance',
    });
    assert.equal(byType.any?.service.spec?.publishNotReadyAddresses, true);
    assert.deepEqual(
      ['rw', 'ro', 'r', 'any'].map((t) => [byType[t]?.service.metadata.name, byType[t]?.enabled]),
      [
        ['cluster-example-rw', true],
        ['cluster-example-ro', true],
        ['cluster-example-r', true],
        ['cluster-example-any', false],
      ],
    );
    assert.equal(byType.rw?.service.metadata.labels?.['app.kubernetes.io/version'], '16');
    assert.equal(byType.rw?.service.metadata.ownerReferences?.[0]?.name, 'cluster-example');
  });

  it('honours disabledDefaultServices and CREATE_ANY_SERVICE', () => {
    const cluster = defaultedCluster({ managed: { services: { disabledDefaultServices: ['ro', 'r'] } } }, meta);
    const enabled = buildDefaultServices(cluster, { ...opts, createAnyService: true })
      .filter((s) => s.enabled)
      .map((s) => s.type);
    assert.deepEqual(enabled, ['any', 'rw']);
  });
});

describe('managed additional services', () => {
  it('merges the template with the selector type, keeping user ports', () => {
    const cluster = defaultedCluster(
      {
        managed: {
          services: {
            additional: [
              {
                selectorType: 'rw',
                updateStrategy: 'replace',
                serviceTemplate: {
                  metadata: {
                    name: 'lb-rw',
                    labels: { team: 'a', 'cnpg.io/cluster': 'spoof' },
                    annotations: { a: '1' },
                  },
                  spec: { type: 'LoadBalancer', ports: [{ name: 'postgres', port: 6543, targetPort: 5432 }] },
                },
              },
              { selectorType: 'r', serviceTemplate: { metadata: { name: 'plain-r' } } },
            ],
          },
        },
      },
      meta,
    );
    const [lb, plain] = buildManagedServices(cluster, opts);
    assert.equal(lb?.metadata.name, 'lb-rw');
    assert.equal(lb?.spec?.type, 'LoadBalancer');
    assert.deepEqual(lb?.spec?.ports, [{ name: 'postgres', port: 6543, targetPort: 5432 }]);
    assert.deepEqual(lb?.spec?.selector, { 'cnpg.io/cluster': 'cluster-example', 'cnpg.io/instanceRole': 'primary' });
    assert.equal(lb?.metadata.labels?.team, 'a');
    assert.equal(lb?.metadata.labels?.['cnpg.io/cluster'], 'cluster-example');
    assert.equal(lb?.metadata.labels?.['cnpg.io/isManaged'], 'true');
    assert.equal(lb?.metadata.annotations?.a, '1');
    assert.equal(lb && serviceUpdateStrategy(lb), 'replace');
    assert.equal(plain?.spec?.type, 'ClusterIP');
    assert.deepEqual(plain?.spec?.ports, [{ name: 'postgres', protocol: 'TCP', port: 5432, targetPort: 5432 }]);
    assert.equal(plain && serviceUpdateStrategy(plain), 'patch');
    assert.equal(plain?.metadata.namespace, 'default');
  });
});
