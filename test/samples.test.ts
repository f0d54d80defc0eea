// Upstream's sample manifests are real user input: all but two must be admitted unchanged, and the
// two that upstream's own CRDs reject must fail naming the offending field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateInProcess } from './support/cli.ts';
import { INVALID_SAMPLES, sampleFiles } from './support/samples.ts';

describe('upstream samples through cnpg validate', () => {
  for (const sample of sampleFiles()) {
    const offending = INVALID_SAMPLES[sample.name];
    if (offending === undefined) {
      it(`admits ${sample.name}`, () => {
        const run = validateInProcess({ files: [sample.path] });
        assert.equal(run.status, 0, `${sample.name}:\n${run.stdout}\n${run.stderr}`);
        assert.doesNotMatch(run.stdout, /: invalid/);
        assert.match(run.stdout, /: valid/);
      });
    } else {
      it(`rejects ${sample.name} naming ${offending}`, () => {
        const run = validateInProcess({ files: [sample.path] });
        assert.equal(run.status, 1, run.stdout);
        assert.match(run.stdout, /Cluster\/[\w-]+: invalid/);
        assert.ok(run.stdout.includes(offending), `expected ${offending} in:\n${run.stdout}`);
      });
    }
  }
});
