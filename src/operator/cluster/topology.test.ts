import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Cluster, ClusterStatus, PostgresConfiguration } from '../../api/v1/cluster-types.ts';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { withConditions } from './status-conditions.ts';
import { podsTopology, SYNC_TOPOLOGY_REASONS, syncTopologyCondition, topologyLabelKeys } from './topology.ts';

const ZONE = 'topology.kubernetes.io/zone';
const pod = (name: string, nodeName: string | undefined, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [], ...(nodeName === undefined ? {} : { nodeName }) },
});
const node = (name: string, labels: Record<string, string>): [string, V1Node] => [name, { metadata: { name, labels } }];
const none = { pod: [], node: [] };

describe('podsTopology', () => {
  it('counts the distinct nodes of the scheduled pods, with an entry per pod', () => {
    const pods = [pod('c-1', 'n1'), pod('c-2', 'n1'), pod('c-3', 'n2'), pod('c-4', undefined)];
    assert.deepEqual(podsTopology(pods, new Map(), none), {
      instances: { 'c-1': {}, 'c-2': {}, 'c-3': {}, 'c-4': {} },
      nodesUsed: 2,
      successfullyExtracted: true,
    });
  });
  it('reads node labels from the Node of each pod', () => {
    const nodes = new Map([node('n1', { [ZONE]: 'a' }), node('n2', { [ZONE]: 'b' })]);
    assert.deepEqual(podsTopology([pod('c-1', 'n1'), pod('c-2', 'n2')], nodes, { pod: [], node: [ZONE] }), {
      instances: { 'c-1': { [ZONE]: 'a' }, 'c-2': { [ZONE]: 'b' } },
      nodesUsed: 2,
      successfullyExtracted: true,
    });
  });
  it('records an empty value for a label the node lacks', () => {
    const t = podsTopology([pod('c-1', 'n1')], new Map([node('n1', {})]), { pod: [], node: [ZONE] });
    assert.deepEqual(t.instances, { 'c-1': { [ZONE]: '' } });
  });
  it('fails as a whole when a Node is unknown', () => {
    assert.deepEqual(podsTopology([pod('c-1', 'gone')], new Map(), { pod: [], node: [ZONE] }), {});
  });
  it('reads pod labels, and fails as a whole when a pod lacks one', () => {
    const keys = { pod: [ZONE], node: [] };
    assert.deepEqual(podsTopology([pod('c-1', 'n1', { [ZONE]: 'a' })], new Map(), keys).instances, {
      'c-1': { [ZONE]: 'a' },
    });
    assert.deepEqual(podsTopology([pod('c-1', 'n1', { [ZONE]: 'a' }), pod('c-2', 'n1')], new Map(), keys), {});
  });
  it('is extracted and empty for no pods', () => {
    assert.deepEqual(podsTopology([], new Map(), none), { successfullyExtracted: true });
  });
});

describe('topologyLabelKeys', () => {
  const keys = (postgresql: PostgresConfiguration) => topologyLabelKeys(defaultedCluster({ postgresql }));
  it('uses the failure-domain keys of the synchronous API when set', () => {
    const sync = { method: 'any' as const, number: 1 };
    assert.deepEqual(keys({ synchronous: { ...sync, podFailureDomainKeys: ['p'] } }), { pod: ['p'], node: [] });
    assert.deepEqual(keys({ synchronous: { ...sync, nodeFailureDomainKeys: ['n'] } }), { pod: [], node: ['n'] });
  });
  it("uses syncReplicaElectionConstraint's node labels otherwise", () => {
    const constraint = { enabled: true, nodeLabelsAntiAffinity: [ZONE] };
    assert.deepEqual(keys({ syncReplicaElectionConstraint: constraint }), { pod: [], node: [ZONE] });
    assert.deepEqual(keys({}), { pod: [], node: [] });
  });
});

describe('SyncReplicationTopologySatisfied', () => {
  const cluster = (status: ClusterStatus, keys = true): Cluster => {
    const c = defaultedCluster({
      instances: 3,
      postgresql: {
        synchronous: {
          method: 'any',
          number: 1,
          dataDurability: 'required',
          ...(keys ? { podFailureDomainKeys: [ZONE] } : {}),
        },
      },
    });
    c.status = {
      currentPrimary: 'c-1',
      instanceNames: ['c-1', 'c-2', 'c-3'],
      instancesStatus: { healthy: ['c-1', 'c-2', 'c-3'] },
      ...status,
    };
    return c;
  };
  const zones = (a: string, b: string, c: string) => ({
    successfullyExtracted: true,
    instances: { 'c-1': { [ZONE]: a }, 'c-2': { [ZONE]: b }, 'c-3': { [ZONE]: c } },
  });
  it('is absent without failure-domain keys', () => {
    assert.equal(syncTopologyCondition(cluster({ topology: zones('a', 'a', 'b') }, false)), undefined);
  });
  it('is True when a standby is in another domain', () => {
    const c = syncTopologyCondition(cluster({ topology: zones('a', 'a', 'b') }));
    assert.equal(c?.status, 'True');
    assert.equal(c?.reason, SYNC_TOPOLOGY_REASONS.satisfied);
  });
  it('is False when every standby shares the primary domain', () => {
    const c = syncTopologyCondition(cluster({ topology: zones('a', 'a', 'a') }));
    assert.equal(c?.status, 'False');
    assert.equal(c?.reason, SYNC_TOPOLOGY_REASONS.insufficient);
  });
  it('is False when the topology was not extracted or lacks the primary', () => {
    assert.equal(syncTopologyCondition(cluster({ topology: {} }))?.reason, SYNC_TOPOLOGY_REASONS.notExtracted);
    assert.match(
      syncTopologyCondition(cluster({ topology: { successfullyExtracted: true, instances: {} } }))?.message ?? '',
      /primary instance is not available/,
    );
  });
});

describe('withConditions', () => {
  const ready = { type: 'Ready', status: 'True' as const, reason: 'r', message: 'm', lastTransitionTime: 't0' };
  it('sets and removes conditions by type, leaving the others', () => {
    const set = withConditions([ready], { X: { type: 'X', status: 'False', reason: 'a', message: 'b' } });
    assert.deepEqual(
      set.map((c) => c.type),
      ['Ready', 'X'],
    );
    assert.deepEqual(withConditions(set, { X: undefined }), [ready]);
  });
});
