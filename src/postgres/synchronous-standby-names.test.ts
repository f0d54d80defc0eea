import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admit } from '../api/v1/admission.ts';
import type { Cluster, ClusterStatus, SynchronousReplicaConfiguration } from '../api/v1/cluster-types.ts';
import { kindDefinition } from '../api/v1/kinds.ts';
import { defaultedCluster } from '../api/v1/rule-cases.testkit.ts';
import { sampleDocuments } from '../../test/support/samples.ts';
import {
  crossDomainConstraintSatisfied,
  legacySyncReplicas,
  renderSynchronousStandbyNames,
  type SynchronousStandbyNamesConfig,
  synchronousStandbyNames,
  synchronousStandbyNamesConfig,
} from './synchronous-standby-names.ts';

/** Upstream's fake cluster: 3 instances, legacy min 1 / max 2, `<name>-1` primary, all healthy. */
function fakeCluster(name: string, sync?: SynchronousReplicaConfiguration, status?: ClusterStatus): Cluster {
  const cluster = defaultedCluster(
    { instances: 3, minSyncReplicas: 1, maxSyncReplicas: 2, ...(sync ? { postgresql: { synchronous: sync } } : {}) },
    { name },
  );
  cluster.status = status ?? {
    currentPrimary: `${name}-1`,
    instancesStatus: { healthy: [`${name}-1`, `${name}-2`, `${name}-3`], failed: [] },
  };
  return cluster;
}

const oneTwoThree: ClusterStatus = { currentPrimary: 'one', instancesStatus: { healthy: ['one', 'two', 'three'] } };
const twoNotReporting: ClusterStatus = {
  currentPrimary: 'one',
  instancesStatus: { healthy: ['one', 'three'] },
  instanceNames: ['one', 'two', 'three'],
};
const config = (method: 'ANY' | 'FIRST', number: number, standbyNames: string[]): SynchronousStandbyNamesConfig => ({
  method,
  number,
  standbyNames,
});
const DISABLED = config('ANY', 0, []);

interface Case {
  name: string;
  sync: SynchronousReplicaConfiguration;
  status: ClusterStatus;
  expect: SynchronousStandbyNamesConfig;
}

describe('explicit API, dataDurability required (the default)', () => {
  const cases: Case[] = [
    {
      name: 'ANY clause: healthy standbys, then the primary',
      sync: { method: 'any', number: 2 },
      status: oneTwoThree,
      expect: config('ANY', 2, ['three', 'two', 'one']),
    },
    {
      name: 'FIRST clause',
      sync: { method: 'first', number: 2 },
      status: oneTwoThree,
      expect: config('FIRST', 2, ['three', 'two', 'one']),
    },
    {
      name: 'maxStandbyNamesFromCluster caps the names from the cluster',
      sync: { method: 'first', number: 2, maxStandbyNamesFromCluster: 1 },
      status: oneTwoThree,
      expect: config('FIRST', 2, ['three']),
    },
    {
      name: 'standbyNamesPre and standbyNamesPost around the capped list',
      sync: {
        method: 'first',
        number: 2,
        maxStandbyNamesFromCluster: 1,
        standbyNamesPre: ['prefix', 'here'],
        standbyNamesPost: ['suffix', 'there'],
      },
      status: oneTwoThree,
      expect: config('FIRST', 2, ['prefix', 'here', 'three', 'suffix', 'there']),
    },
    {
      name: 'no instance known: a placeholder keeps commits waiting',
      sync: { method: 'first', number: 2, maxStandbyNamesFromCluster: 1 },
      status: {},
      expect: config('FIRST', 2, ['example-placeholder']),
    },
    {
      name: 'instances that do not report a status come after the healthy ones',
      sync: { method: 'first', number: 2 },
      status: twoNotReporting,
      expect: config('FIRST', 2, ['three', 'two', 'one']),
    },
    {
      name: 'a primary missing from instancesStatus sorts among the other known instances',
      sync: { method: 'any', number: 1 },
      status: { currentPrimary: 'b', instancesStatus: { healthy: ['c'] }, instanceNames: ['a', 'b', 'c'] },
      expect: config('ANY', 1, ['c', 'a', 'b']),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cluster = fakeCluster('example', { ...c.sync, dataDurability: 'required' }, c.status);
      assert.deepEqual(synchronousStandbyNamesConfig(cluster), c.expect);
    });
  }
});

describe('explicit API, dataDurability preferred', () => {
  const cases: Case[] = [
    {
      name: 'ANY clause: the primary is not listed',
      sync: { method: 'any', number: 2 },
      status: oneTwoThree,
      expect: config('ANY', 2, ['three', 'two']),
    },
    {
      name: 'FIRST clause',
      sync: { method: 'first', number: 2 },
      status: oneTwoThree,
      expect: config('FIRST', 2, ['three', 'two']),
    },
    {
      name: 'maxStandbyNamesFromCluster lowers the number too',
      sync: { method: 'first', number: 2, maxStandbyNamesFromCluster: 1 },
      status: { currentPrimary: 'a-primary', instancesStatus: { healthy: ['a-primary', 'two', 'three'] } },
      expect: config('FIRST', 1, ['three']),
    },
    {
      name: 'standbyNamesPre and standbyNamesPost are ignored',
      sync: { method: 'first', number: 2, standbyNamesPre: ['prefix', 'here'], standbyNamesPost: ['suffix', 'there'] },
      status: oneTwoThree,
      expect: config('FIRST', 2, ['three', 'two']),
    },
    {
      name: 'instances that do not report a status are left out',
      sync: { method: 'first', number: 2 },
      status: twoNotReporting,
      expect: config('FIRST', 1, ['three']),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cluster = fakeCluster('example', { ...c.sync, dataDurability: 'preferred' }, c.status);
      assert.deepEqual(synchronousStandbyNamesConfig(cluster), c.expect);
    });
  }

  it('disables synchronous replication when no standby is healthy', () => {
    const cluster = fakeCluster(
      'example',
      { method: 'first', number: 2, maxStandbyNamesFromCluster: 1, dataDurability: 'preferred' },
      {},
    );
    assert.deepEqual(synchronousStandbyNamesConfig(cluster).standbyNames, []);
    assert.equal(synchronousStandbyNames(cluster), '');
  });
});

describe('failure-domain keys', () => {
  const zone = 'topology.kubernetes.io/zone';
  const withTopology = (
    instances: Record<string, Record<string, string>> | undefined,
    keys: string[] | undefined,
    extracted = true,
  ): Cluster =>
    fakeCluster(
      'pod',
      { method: 'any', number: 1, dataDurability: 'preferred', ...(keys ? { podFailureDomainKeys: keys } : {}) },
      {
        currentPrimary: 'pod-1',
        instancesStatus: { healthy: ['pod-1', 'pod-2', 'pod-3'] },
        topology: { successfullyExtracted: extracted, ...(instances ? { instances } : {}) },
      },
    );
  const names = (c: Cluster) => synchronousStandbyNamesConfig(c).standbyNames;

  it('keeps every standby without keys', () => {
    assert.deepEqual(names(withTopology({ 'pod-1': { [zone]: 'a' }, 'pod-2': { [zone]: 'a' } }, undefined)), [
      'pod-2',
      'pod-3',
    ]);
  });
  it('keeps every standby when the topology was not extracted', () => {
    assert.deepEqual(names(withTopology(undefined, [zone], false)), ['pod-2', 'pod-3']);
  });
  it('keeps every standby when the primary has no topology entry', () => {
    assert.deepEqual(names(withTopology({ 'pod-2': { [zone]: 'b' } }, [zone])), ['pod-2', 'pod-3']);
  });
  it('keeps only standbys in another domain, leaving out those without an entry', () => {
    const t = { 'pod-1': { [zone]: 'a' }, 'pod-2': { [zone]: 'a' }, 'pod-3': { [zone]: 'b' } };
    assert.deepEqual(names(withTopology(t, [zone])), ['pod-3']);
    assert.deepEqual(names(withTopology({ 'pod-1': { [zone]: 'a' }, 'pod-3': { [zone]: 'b' } }, [zone])), ['pod-3']);
  });
  it('keeps every standby when none is in another domain', () => {
    const t = { 'pod-1': { [zone]: 'a' }, 'pod-2': { [zone]: 'a' }, 'pod-3': { [zone]: 'a' } };
    assert.deepEqual(names(withTopology(t, [zone])), ['pod-2', 'pod-3']);
  });
  it('leaves the primary out of the required list once it filters', () => {
    const cluster = withTopology({ 'pod-1': { [zone]: 'a' }, 'pod-2': { [zone]: 'b' } }, [zone]);
    const sync = cluster.spec.postgresql?.synchronous;
    assert.ok(sync);
    sync.dataDurability = 'required';
    assert.deepEqual(names(cluster), ['pod-2']);
  });
});

describe('failure-domain keys with required durability, and whether they are satisfied', () => {
  const zone = 'topology.kubernetes.io/zone';
  const cluster = (number: number, zones: Record<string, string> | undefined): Cluster =>
    fakeCluster(
      'pod',
      { method: 'any', number, dataDurability: 'required', podFailureDomainKeys: [zone] },
      {
        currentPrimary: 'pod-1',
        instanceNames: ['pod-1', 'pod-2', 'pod-3'],
        instancesStatus: { healthy: ['pod-1', 'pod-2', 'pod-3'] },
        topology: {
          successfullyExtracted: zones !== undefined,
          ...(zones
            ? { instances: Object.fromEntries(Object.entries(zones).map(([p, z]) => [p, { [zone]: z }])) }
            : {}),
        },
      },
    );
  const names = (c: Cluster) => synchronousStandbyNamesConfig(c).standbyNames;
  it('filters when there are as many cross-domain standbys as required', () => {
    const c = cluster(1, { 'pod-1': 'a', 'pod-2': 'a', 'pod-3': 'b' });
    assert.deepEqual(names(c), ['pod-3']);
    assert.equal(crossDomainConstraintSatisfied(c), true);
  });
  it('keeps the whole list when fewer cross-domain standbys than required exist (commits must not wait forever)', () => {
    const c = cluster(2, { 'pod-1': 'a', 'pod-2': 'a', 'pod-3': 'b' });
    assert.deepEqual(names(c), ['pod-2', 'pod-3', 'pod-1']);
    assert.equal(crossDomainConstraintSatisfied(c), false);
  });
  it('cannot say without a usable topology or without keys', () => {
    assert.equal(crossDomainConstraintSatisfied(cluster(1, undefined)), undefined);
    assert.equal(crossDomainConstraintSatisfied(fakeCluster('pod')), undefined);
  });
});

describe('legacy minSyncReplicas / maxSyncReplicas', () => {
  it('every healthy standby is electable, maxSyncReplicas of them required', () => {
    assert.deepEqual(legacySyncReplicas(fakeCluster('example')), { number: 2, electable: ['example-2', 'example-3'] });
  });

  it('the election constraint keeps only standbys in another zone', () => {
    const cluster = fakeCluster('exampleAntiAffinity');
    cluster.spec.postgresql = { syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['az'] } };
    cluster.status = {
      ...cluster.status,
      topology: {
        successfullyExtracted: true,
        instances: {
          'exampleAntiAffinity-1': { az: 'one' },
          'exampleAntiAffinity-2': { az: 'one' },
          'exampleAntiAffinity-3': { az: 'three' },
        },
      },
    };
    assert.deepEqual(legacySyncReplicas(cluster), { number: 1, electable: ['exampleAntiAffinity-3'] });
  });

  it('the election constraint elects nobody while the primary topology is unknown', () => {
    const cluster = fakeCluster('example');
    cluster.spec.postgresql = { syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['az'] } };
    cluster.status = { ...cluster.status, topology: { successfullyExtracted: true, instances: {} } };
    assert.deepEqual(legacySyncReplicas(cluster), { number: 0, electable: [] });
    assert.equal(synchronousStandbyNames(cluster), '');
  });

  it('lowers the number below minSyncReplicas to heal itself', () => {
    const cluster = fakeCluster('exampleOnePod', undefined, {
      currentPrimary: 'exampleOnePod-1',
      instancesStatus: { healthy: ['exampleOnePod-1'], failed: ['exampleOnePod-2', 'exampleOnePod-3'] },
    });
    assert.deepEqual(legacySyncReplicas(cluster), { number: 0, electable: [] });
    assert.equal(cluster.spec.minSyncReplicas, 1);
    assert.equal(synchronousStandbyNames(cluster), '');
  });

  it('copes with no ready instance at all', () => {
    const cluster = fakeCluster('exampleNoPods', undefined, {
      currentPrimary: 'example-1',
      instancesStatus: { failed: ['exampleNoPods-1', 'exampleNoPods-2', 'exampleNoPods-3'] },
    });
    assert.deepEqual(legacySyncReplicas(cluster), { number: 0, electable: [] });
  });

  it('renders ANY with the electable standbys', () => {
    const cluster = fakeCluster('exampleNoPods', undefined, {
      currentPrimary: 'example-1',
      instancesStatus: { healthy: ['one', 'two', 'three'] },
    });
    cluster.spec.minSyncReplicas = 2;
    cluster.spec.maxSyncReplicas = 2;
    assert.deepEqual(synchronousStandbyNamesConfig(cluster), config('ANY', 2, ['one', 'three', 'two']));
  });

  it('is off for a cluster that asks for no synchronous replica', () => {
    assert.equal(synchronousStandbyNames(defaultedCluster({ instances: 3 })), '');
  });
});

describe('rendering', () => {
  it('quotes every name as an identifier', () => {
    assert.equal(
      renderSynchronousStandbyNames(config('FIRST', 1, ['a', 'we"ird', 'B'])),
      'FIRST 1 ("a","we""ird","B")',
    );
  });
  it('is empty without names', () => {
    assert.equal(renderSynchronousStandbyNames(DISABLED), '');
  });
});

describe('the synchronous replication samples', () => {
  /** The sample's Cluster as the API server stores it (schema defaults and the defaulting webhook). */
  function sampleCluster(file: string): Cluster {
    const doc = sampleDocuments().find((d) => d.file === file && d.doc.kind === 'Cluster')?.doc;
    const def = kindDefinition('Cluster');
    assert.ok(doc && def, file);
    const admitted = admit(def, { ...doc, metadata: { namespace: 'default', ...(doc.metadata as object) } });
    assert.deepEqual(admitted.errors.map(String), []);
    return admitted.object as Cluster;
  }
  /** A healthy cluster with every instance up, `-1` the primary. */
  function healthy(cluster: Cluster, failed: number[] = []): Cluster {
    const name = cluster.metadata?.name ?? '';
    const all = Array.from({ length: cluster.spec.instances }, (_, i) => `${name}-${i + 1}`);
    const bad = failed.map((i) => `${name}-${i}`);
    return {
      ...cluster,
      status: {
        currentPrimary: `${name}-1`,
        instanceNames: all,
        instancesStatus: { healthy: all.filter((n) => !bad.includes(n)), ...(bad.length ? { failed: bad } : {}) },
      },
    };
  }

  it('cluster-example.yaml: quorum over both standbys, the primary last', () => {
    const cluster = sampleCluster('cluster-example.yaml');
    assert.equal(cluster.spec.postgresql?.synchronous?.dataDurability, 'required');
    assert.equal(
      synchronousStandbyNames(healthy(cluster)),
      'ANY 1 ("cluster-example-2","cluster-example-3","cluster-example-1")',
    );
    // A failed standby stays listed (after the healthy one): durability is required.
    assert.equal(
      synchronousStandbyNames(healthy(cluster, [2])),
      'ANY 1 ("cluster-example-3","cluster-example-2","cluster-example-1")',
    );
  });

  it('cluster-example-syncreplicas-quorum.yaml: the same list, failoverQuorum does not change it', () => {
    assert.equal(
      synchronousStandbyNames(healthy(sampleCluster('cluster-example-syncreplicas-quorum.yaml'))),
      'ANY 1 ("cluster-example-2","cluster-example-3","cluster-example-1")',
    );
  });

  it('cluster-example-syncreplicas-explicit.yaml: priority over 5 instances, zones when known', () => {
    const cluster = healthy(sampleCluster('cluster-example-syncreplicas-explicit.yaml'));
    const n = (i: number) => `"cluster-example-syncreplicas-${i}"`;
    assert.equal(synchronousStandbyNames(cluster), `FIRST 2 (${[2, 3, 4, 5, 1].map(n).join(',')})`);
    const zone = 'topology.kubernetes.io/zone';
    const zones = ['a', 'a', 'b', 'c', 'b'];
    const instances = Object.fromEntries(zones.map((z, i) => [`cluster-example-syncreplicas-${i + 1}`, { [zone]: z }]));
    const placed = { ...cluster, status: { ...cluster.status, topology: { successfullyExtracted: true, instances } } };
    assert.equal(synchronousStandbyNames(placed), `FIRST 2 (${[3, 4, 5].map(n).join(',')})`);
  });

  it('cluster-example-syncreplicas-legacy.yaml: maxSyncReplicas while enough standbys are ready', () => {
    const cluster = sampleCluster('cluster-example-syncreplicas-legacy.yaml');
    const n = (i: number) => `"cluster-example-syncreplicas-${i}"`;
    assert.equal(synchronousStandbyNames(healthy(cluster)), `ANY 3 (${[2, 3, 4, 5].map(n).join(',')})`);
    // Two ready standbys: fewer than maxSyncReplicas, so minSyncReplicas.
    assert.equal(synchronousStandbyNames(healthy(cluster, [4, 5])), `ANY 1 (${[2, 3].map(n).join(',')})`);
  });

  it('cluster-example-sync-az.yaml: one synchronous standby, in another az when the topology is known', () => {
    const cluster = healthy(sampleCluster('cluster-example-sync-az.yaml'));
    assert.equal(synchronousStandbyNames(cluster), 'ANY 1 ("cluster-example-az-2","cluster-example-az-3")');
    const instances = {
      'cluster-example-az-1': { az: 'x' },
      'cluster-example-az-2': { az: 'x' },
      'cluster-example-az-3': { az: 'y' },
    };
    const placed = { ...cluster, status: { ...cluster.status, topology: { successfullyExtracted: true, instances } } };
    assert.equal(synchronousStandbyNames(placed), 'ANY 1 ("cluster-example-az-3")');
  });
});
