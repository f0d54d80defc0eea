import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { guardCluster } from '../cluster/admission-guard.ts';
import { applyPodPatch, PodPatchError, podPatchProblem } from './pod-patch.ts';
import { generatedInstancePod, instancePod } from './pods.ts';

const patched = (patch: string) =>
  defaultedCluster({}, { uid: 'u1', name: 'cluster-example', annotations: { 'cnpg.io/podPatch': patch } });

const ADD_ENV_AND_LABEL = JSON.stringify([
  { op: 'add', path: '/spec/containers/0/env/-', value: { name: 'PATCHED', value: 'yes' } },
  { op: 'add', path: '/metadata/labels/patched', value: 'yes' },
]);

describe('cnpg.io/podPatch', () => {
  it('patches the instance pod, metadata and spec, and the podSpec snapshot carries the patched spec', () => {
    const pod = instancePod(patched(ADD_ENV_AND_LABEL), 1, { role: 'primary' });
    assert.equal(pod.metadata?.labels?.patched, 'yes');
    assert.deepEqual(pod.spec?.containers[0]?.env?.at(-1), { name: 'PATCHED', value: 'yes' });
    assert.deepEqual(JSON.parse(pod.metadata?.annotations?.['cnpg.io/podSpec'] ?? '{}'), pod.spec);
  });

  it('changes the podSpec snapshot when the patch changes (which rolls the pods out)', () => {
    const snapshot = (patch: string) =>
      instancePod(patched(patch), 1, { role: 'primary' }).metadata?.annotations?.['cnpg.io/podSpec'];
    const other = JSON.stringify([{ op: 'add', path: '/spec/containers/0/env/-', value: { name: 'P', value: '2' } }]);
    assert.notEqual(snapshot(ADD_ENV_AND_LABEL), snapshot(other));
  });

  it('leaves the pod as generated without the annotation', () => {
    const cluster = defaultedCluster({}, { uid: 'u1' });
    const pod = generatedInstancePod(cluster, 1, { role: 'primary' });
    assert.equal(applyPodPatch(cluster, pod), pod);
  });

  it('never half-applies: a failing operation leaves the pod untouched and throws', () => {
    const cluster = patched(
      JSON.stringify([
        { op: 'add', path: '/metadata/labels/first', value: 'x' },
        { op: 'replace', path: '/spec/containers/5/image', value: 'y' },
      ]),
    );
    const pod = generatedInstancePod(cluster, 1, { role: 'primary' });
    const before = structuredClone(pod);
    assert.throws(
      () => applyPodPatch(cluster, pod),
      (e: unknown) => e instanceof PodPatchError && /^while applying JSON patch from annotation: /.test(e.message),
    );
    assert.deepEqual(pod, before);
  });

  it("reports a patch that does not apply to the real pod with upstream's webhook wording", () => {
    const cluster = patched('[{"op":"remove","path":"/spec/containers/0/volumeMounts/3"}]');
    assert.equal(
      podPatchProblem(cluster, () => generatedInstancePod(cluster, 1, { role: 'primary' })),
      undefined,
    );
    const bad = patched('[{"op":"replace","path":"/spec/containers/0/volumeMounts/40/name","value":"x"}]');
    const problem = podPatchProblem(bad, () => generatedInstancePod(bad, 1, { role: 'primary' }));
    assert.match(
      problem ?? '',
      /^metadata\.annotations\.cnpg\.io\/podPatch: Invalid value: ".*": jsonpatch doesn't apply cleanly to the pod: /,
    );
  });

  it('makes the operator refuse the Cluster before it creates anything (the admission guard)', () => {
    // The webhook's stand-in pod has an empty nodeSelector; the real pod, like upstream's, has none.
    const outcome = guardCluster(patched('[{"op":"add","path":"/spec/nodeSelector/zone","value":"a"}]'));
    assert.equal(outcome.valid, false);
    assert.match(
      outcome.valid ? '' : (outcome.messages[0] ?? ''),
      /jsonpatch doesn't apply cleanly to the pod: add operation does not apply: doc is missing path: \/spec\/nodeSelector\/zone/,
    );
    assert.equal(guardCluster(patched(ADD_ENV_AND_LABEL)).valid, true);
  });
});
