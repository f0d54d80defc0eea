import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { desiredPdbs } from './pdbs.ts';

const opts = { operatorVersion: '1.30.0' };
const summary = (spec: Parameters<typeof defaultedCluster>[0]) => {
  const pdbs = desiredPdbs(defaultedCluster(spec, { uid: 'u1' }), opts);
  return [pdbs.primary?.spec?.minAvailable ?? null, pdbs.replicas?.spec?.minAvailable ?? null];
};

describe('PodDisruptionBudgets', () => {
  const cases: [string, Parameters<typeof defaultedCluster>[0], (number | string | null)[]][] = [
    ['one instance', { instances: 1 }, [1, null]],
    ['two instances', { instances: 2 }, [1, null]],
    ['three instances', { instances: 3 }, [1, 1]],
    ['five instances', { instances: 5 }, [1, 3]],
    ['enablePDB false', { instances: 3, enablePDB: false }, [null, null]],
    ['maintenance with PVC reuse', { instances: 3, nodeMaintenanceWindow: { inProgress: true } }, [1, null]],
    [
      'maintenance, single instance',
      { instances: 1, nodeMaintenanceWindow: { inProgress: true, reusePVC: true } },
      [null, null],
    ],
    [
      'maintenance without PVC reuse',
      { instances: 3, nodeMaintenanceWindow: { inProgress: true, reusePVC: false } },
      [1, 1],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, () => assert.deepEqual(summary(spec), expected));
  }

  it('selects primary and replicas by instance role, named as upstream', () => {
    const { primary, replicas } = desiredPdbs(defaultedCluster({ instances: 3 }, { uid: 'u1' }), opts);
    assert.equal(primary?.metadata.name, 'cluster-example-primary');
    assert.deepEqual(primary?.spec?.selector?.matchLabels, {
      'cnpg.io/cluster': 'cluster-example',
      'cnpg.io/instanceRole': 'primary',
    });
    assert.equal(replicas?.metadata.name, 'cluster-example');
    assert.equal(replicas?.spec?.selector?.matchLabels?.['cnpg.io/instanceRole'], 'replica');
    assert.equal(replicas?.metadata.ownerReferences?.[0]?.controller, true);
    assert.equal(primary?.apiVersion, 'policy/v1');
  });
});
