import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { backendsFor, endpointSubsets, selectorMatches, targetPortOf } from './endpoints.ts';

const pod = (
  name: string,
  labels: Record<string, string>,
  ip: string,
  ready: boolean,
  extra: Partial<V1Pod> = {},
): V1Pod => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels },
  spec: {
    nodeName: 'cnpg-local',
    containers: [{ name: 'postgres', ports: [{ name: 'postgresql', containerPort: 5432 }] }],
  },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  ...extra,
});

const svc = (selector: Record<string, string>, publishNotReady = false): V1Service => ({
  metadata: { name: 'c-rw', namespace: 'ns' },
  spec: {
    selector,
    publishNotReadyAddresses: publishNotReady,
    ports: [{ name: 'postgres', port: 5432, targetPort: 'postgresql' }],
  },
});

describe('endpoints', () => {
  const pods = [
    pod('c-1', { cnpg: 'c', role: 'primary' }, '127.10.0.1', true),
    pod('c-2', { cnpg: 'c', role: 'replica' }, '127.10.0.2', true),
    pod('c-3', { cnpg: 'c', role: 'replica' }, '127.10.0.3', false),
    pod('c-4', { cnpg: 'c', role: 'replica' }, '127.10.0.4', true, {
      metadata: { name: 'c-4', namespace: 'other', labels: { cnpg: 'c', role: 'replica' } },
    }),
    pod('c-5', { cnpg: 'c', role: 'replica' }, '127.10.0.5', true, {
      status: { phase: 'Succeeded', podIP: '127.10.0.5' },
    }),
  ];

  it('matches selectors (an empty selector matches nothing)', () => {
    assert.equal(selectorMatches({ a: '1' }, { a: '1', b: '2' }), true);
    assert.equal(selectorMatches({ a: '1', c: '3' }, { a: '1' }), false);
    assert.equal(selectorMatches({}, { a: '1' }), false);
    assert.equal(selectorMatches(undefined, { a: '1' }), false);
  });

  it('resolves target ports', () => {
    const p = pods[0] as V1Pod;
    assert.equal(targetPortOf('postgresql', 5432, p), 5432);
    assert.equal(targetPortOf(6432, 5432, p), 6432);
    assert.equal(targetPortOf(undefined, 5432, p), 5432);
    assert.equal(targetPortOf('missing', 5432, p), undefined);
  });

  it('forwards to the ready pods of the namespace the selector picks', () => {
    assert.deepEqual(backendsFor(svc({ cnpg: 'c', role: 'primary' }), 5432, pods), [
      { pod: 'ns/c-1', ip: '127.10.0.1', port: 5432 },
    ]);
    assert.deepEqual(
      backendsFor(svc({ cnpg: 'c', role: 'replica' }), 5432, pods).map((b) => b.pod),
      ['ns/c-2'],
    );
    assert.deepEqual(
      backendsFor(svc({ cnpg: 'c', role: 'replica' }, true), 5432, pods).map((b) => b.pod),
      ['ns/c-2', 'ns/c-3'],
    );
    const terminating = pod('c-1', { cnpg: 'c', role: 'primary' }, '127.10.0.1', true);
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: new Date() };
    assert.deepEqual(backendsFor(svc({ cnpg: 'c', role: 'primary' }), 5432, [terminating]), []);
  });

  it('writes ready and not-ready addresses with their ports', () => {
    assert.deepEqual(endpointSubsets(svc({ cnpg: 'c', role: 'replica' }), pods), [
      {
        addresses: [
          {
            ip: '127.10.0.2',
            nodeName: 'cnpg-local',
            targetRef: { kind: 'Pod', name: 'c-2', namespace: 'ns', uid: 'uid-c-2' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '127.10.0.3',
            nodeName: 'cnpg-local',
            targetRef: { kind: 'Pod', name: 'c-3', namespace: 'ns', uid: 'uid-c-3' },
          },
        ],
        ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }],
      },
    ]);
    assert.deepEqual(endpointSubsets(svc({ cnpg: 'nothing' }), pods), []);
  });
});
