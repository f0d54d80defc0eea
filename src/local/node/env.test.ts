import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  ContainerConfigError,
  containerCommandLine,
  containerEnv,
  expandVars,
  type ObjectSource,
  podFieldValue,
} from './env.ts';

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { b: '2', a: '1' }, annotations: { x: 'y' } },
  spec: { containers: [], serviceAccountName: 'sa' },
  status: { podIP: '127.10.0.7' },
};

const source: ObjectSource = {
  secret: async (_ns, name) => (name === 's' ? new Map([['pw', Buffer.from('secret')]]) : undefined),
  configMap: async (_ns, name) =>
    name === 'c'
      ? new Map([
          ['k', Buffer.from('v')],
          ['other', Buffer.from('o')],
        ])
      : undefined,
};

describe('container env', () => {
  it('expands $(VAR) as Kubernetes does', () => {
    const vars = new Map([['A', 'x']]);
    const cases: [string, string][] = [
      ['$(A)', 'x'],
      ['pre-$(A)-post', 'pre-x-post'],
      ['$(B)', '$(B)'],
      ['$$(A)', '$(A)'],
      ['$A', '$A'],
      ['$(A', '$(A'],
      ['$', '$'],
    ];
    for (const [input, want] of cases) assert.equal(expandVars(input, vars), want, input);
  });

  it('reads downward API fields', () => {
    assert.equal(podFieldValue(pod, 'metadata.name'), 'p');
    assert.equal(podFieldValue(pod, 'metadata.namespace'), 'ns');
    assert.equal(podFieldValue(pod, 'status.podIP'), '127.10.0.7');
    assert.equal(podFieldValue(pod, 'spec.serviceAccountName'), 'sa');
    assert.equal(podFieldValue(pod, "metadata.labels['a']"), '1');
    assert.equal(podFieldValue(pod, 'metadata.labels'), 'a="1"\nb="2"');
    assert.throws(() => podFieldValue(pod, 'spec.bogus'), ContainerConfigError);
  });

  it('builds env from envFrom, values, secrets, config maps and fields, in order', async () => {
    const c: V1Container = {
      name: 'm',
      envFrom: [{ configMapRef: { name: 'c' }, prefix: 'CM_' }],
      env: [
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
        { name: 'K', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'URL', value: 'http://$(IP):8000/$(CM_k)' },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 'missing', key: 'x', optional: true } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      ],
      resources: { requests: { memory: '256Mi' } },
      command: ['run', '$(URL)'],
      args: ['--pw=$(PW)'],
    };
    const env = await containerEnv(pod, c, source);
    assert.deepEqual(Object.fromEntries(env), {
      CM_k: 'v',
      CM_other: 'o',
      PW: 'secret',
      K: 'v',
      IP: '127.10.0.7',
      URL: 'http://127.10.0.7:8000/v',
      MEM: '256',
    });
    assert.deepEqual(containerCommandLine(c, env), {
      command: ['run', 'http://127.10.0.7:8000/v'],
      args: ['--pw=secret'],
    });
  });

  it('fails clearly on a missing secret or key', async () => {
    const missing: V1Container = {
      name: 'm',
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }],
    };
    await assert.rejects(containerEnv(pod, missing, source), { message: 'secret "nope" not found' });
    const noKey: V1Container = {
      name: 'm',
      env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'zz' } } }],
    };
    await assert.rejects(containerEnv(pod, noKey, source), { message: "couldn't find key zz in ConfigMap ns/c" });
  });
});
