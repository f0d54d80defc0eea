// Table-driven tests of admission rules, shared by the rule modules' test files.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { defaultCluster } from './cluster-defaults.ts';
import type { Cluster, ClusterSpec, ClusterStatus } from './cluster-types.ts';
import type { FieldError } from './field-error.ts';
import type { ObjectMeta } from './schema-kit.ts';
import { INVALID_SAMPLES, sampleDocuments } from '../../../test/support/samples.ts';

export interface RuleCase {
  name: string;
  /** The exact messages expected, or only how many errors where upstream's own test counts them. */
  expect: string[] | number;
}

/** One test per case, comparing the errors `errorsOf` finds with the case's expectation. */
export function ruleCases<C extends RuleCase>(cases: C[], errorsOf: (c: C) => FieldError[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const errors = errorsOf(c).map(String);
      if (typeof c.expect === 'number') assert.equal(errors.length, c.expect, errors.join('\n'));
      else assert.deepEqual(errors, c.expect);
    });
  }
}

/** A minimal valid Cluster with `spec` on top, defaulted as the webhook would before validating. */
export function defaultedCluster(
  spec: Partial<ClusterSpec> = {},
  metadata: ObjectMeta = {},
  status?: ClusterStatus,
): Cluster {
  return defaultCluster({
    ...(status ? { status } : {}),
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'cluster-example', namespace: 'default', ...metadata },
    spec: {
      instances: 1,
      postgresUID: 26,
      postgresGID: 26,
      minSyncReplicas: 0,
      maxSyncReplicas: 0,
      primaryUpdateStrategy: 'unsupervised',
      primaryUpdateMethod: 'restart',
      storage: { size: '1Gi' },
      ...spec,
    },
  });
}

/** Every Cluster of the valid upstream samples, with its file name. */
export function upstreamSampleClusters(): { file: string; cluster: Cluster }[] {
  return sampleDocuments()
    .filter(({ file, doc }) => INVALID_SAMPLES[file] === undefined && doc.kind === 'Cluster')
    .map(({ file, doc }) => ({ file, cluster: doc as Cluster }));
}
