// The reconciler's pure decisions: unsupported features, the scale-down victim, instance serials,
// the Ready condition, status merging and job failure lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { lastErrorLine } from './job-outcomes.ts';
import { PHASES } from '../../api/v1/cluster-phases.ts';
import { readyConditionFor, setCondition } from './phases.ts';
import { type InstanceGroup, serialOf } from './resources.ts';
import { sacrificialInstance } from './scale-down.ts';
import { applyStatusChanges } from './status-writer.ts';
import { unsupportedFeatures, unsupportedMessage } from './unsupported.ts';

const cluster = (spec: Partial<Cluster['spec']>): Cluster =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'c' },
    spec: { instances: 1, ...spec },
  }) as Cluster;

describe('unsupportedFeatures', () => {
  const cases: [string, Partial<Cluster['spec']>, string[]][] = [
    ['initdb only', { bootstrap: { initdb: { database: 'app', owner: 'app' } } }, []],
    ['recovery', { bootstrap: { recovery: { source: 'x' } } }, ['spec.bootstrap.recovery']],
    ['pg_basebackup', { bootstrap: { pg_basebackup: { source: 'x' } } }, ['spec.bootstrap.pg_basebackup']],
    ['walStorage', { walStorage: { size: '1Gi' } }, ['spec.walStorage']],
    [
      'object store',
      { backup: { barmanObjectStore: { destinationPath: 's3://b/' } } },
      ['spec.backup.barmanObjectStore'],
    ],
    ['replica cluster', { replica: { enabled: true, source: 'x' } }, ['spec.replica']],
  ];
  for (const [name, spec, fields] of cases) {
    it(name, () => {
      assert.deepEqual(
        unsupportedFeatures(cluster(spec as Cluster['spec'])).map((f) => f.field),
        fields,
      );
    });
  }
  it('names every field in one line', () => {
    const msg = unsupportedMessage(unsupportedFeatures(cluster({ walStorage: { size: '1Gi' }, tablespaces: [] })));
    assert.equal(msg, 'spec.walStorage: a separate WAL volume is not supported yet');
  });
});

describe('scale-down victim', () => {
  const g = (serial: number): InstanceGroup => ({
    serial,
    name: `c-${serial}`,
    pvcs: [],
    pvcStatus: 'ready',
    pod: undefined,
    jobs: [],
  });
  it('is the highest-numbered replica', () => {
    assert.equal(sacrificialInstance([g(1), g(2), g(3)], new Set(['c-1']))?.name, 'c-3');
  });
  it('is never the primary', () => {
    assert.equal(sacrificialInstance([g(1), g(2), g(3)], new Set(['c-3']))?.name, 'c-2');
    assert.equal(sacrificialInstance([g(1)], new Set(['c-1'])), undefined);
  });
});

describe('serialOf', () => {
  it('reads the serial of an instance of the cluster', () => assert.equal(serialOf('c', 'c-12'), 12));
  it('refuses other names', () => {
    for (const name of ['d-1', 'c-', 'c-x', 'c-0', 'c-1-join', undefined]) assert.equal(serialOf('c', name), undefined);
  });
});

describe('the Ready condition', () => {
  it('is true only in the healthy state', () => {
    assert.equal(readyConditionFor(PHASES.healthy).status, 'True');
    assert.equal(readyConditionFor(PHASES.setupPrimary).status, 'False');
  });
  it('keeps its transition time while its status holds', () => {
    const first = setCondition([], readyConditionFor(PHASES.setupPrimary), new Date('2026-01-01T00:00:00Z'));
    const same = setCondition(first, readyConditionFor(PHASES.waitingForInstances), new Date('2026-01-02T00:00:00Z'));
    assert.equal(same[0]?.lastTransitionTime, '2026-01-01T00:00:00Z');
    const flipped = setCondition(same, readyConditionFor(PHASES.healthy), new Date('2026-01-03T00:00:00Z'));
    assert.equal(flipped[0]?.lastTransitionTime, '2026-01-03T00:00:00Z');
    assert.equal(flipped.length, 1);
  });
});

describe('applyStatusChanges', () => {
  it('sets, keeps and removes fields, and follows the phase with Ready', () => {
    const next = applyStatusChanges(
      { instances: 1, phaseReason: 'x', latestGeneratedNode: 1 },
      {
        instances: 2,
        phase: PHASES.healthy,
        phaseReason: undefined,
      },
    );
    assert.equal(next.instances, 2);
    assert.equal(next.latestGeneratedNode, 1);
    assert.equal('phaseReason' in next, false);
    assert.equal(next.conditions?.[0]?.status, 'True');
  });
});

describe('lastErrorLine', () => {
  it('picks the last error line', () => {
    assert.equal(lastErrorLine('{"level":"info"}\nerror: first\nerror: initdb failed\n'), 'error: initdb failed');
  });
  it('falls back to the last line', () => assert.equal(lastErrorLine('a\nb\n\n'), 'b'));
});
