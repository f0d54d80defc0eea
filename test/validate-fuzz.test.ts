// Malformed input never crashes `cnpg validate`: a thousand broken variants of the samples (wrong
// types, unknown or missing fields, values outside enums and bounds, garbage YAML) each end with
// exit status 1 or 2 and a message, never an exception.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../src/api/v1/kinds.ts';
import type { SchemaNode } from '../src/api/v1/schema-validate.ts';
import { cnpg, validateInProcess } from './support/cli.ts';
import { breakDocument, breakYaml, seeded, toYaml } from './support/mutations.ts';
import { INVALID_SAMPLES, sampleFiles } from './support/samples.ts';

const valid = sampleFiles().filter((f) => INVALID_SAMPLES[f.name] === undefined);

function mutate(rnd: () => number): { text: string; how: string } {
  const sample = valid[Math.floor(rnd() * valid.length)] as (typeof valid)[number];
  if (rnd() < 0.25) return { text: breakYaml(sample.text, rnd), how: `${sample.name}: broken YAML` };
  const docs = parseAllDocuments(sample.text).map((d) => d.toJS() as Record<string, unknown>);
  const targets = docs.filter(
    (d) => d && KINDS.some((k) => d.apiVersion === 'postgresql.cnpg.io/v1' && k.kind === d.kind),
  );
  const target = targets[Math.floor(rnd() * targets.length)] as Record<string, unknown>;
  const def = KINDS.find((k) => k.kind === target.kind) as (typeof KINDS)[number];
  const how = breakDocument(target, def.schema as SchemaNode, rnd);
  return { text: toYaml(docs.filter((d) => d !== null)), how: `${sample.name}: ${how}` };
}

describe('cnpg validate on malformed input', () => {
  it('rejects 1000 mutations of the samples with exit 1 or 2 and a message', () => {
    const rnd = seeded(7);
    for (let i = 0; i < 1000; i++) {
      const { text, how } = mutate(rnd);
      let run: ReturnType<typeof validateInProcess>;
      try {
        run = validateInProcess({ files: ['-'] }, text);
      } catch (err) {
        assert.fail(`run ${i} (${how}) threw: ${(err as Error).stack}`);
      }
      assert.ok(run.status === 1 || run.status === 2, `run ${i} (${how}): exit ${run.status}\n${run.stdout}`);
      const message = run.status === 2 ? run.stderr : run.stdout;
      assert.match(message, run.status === 2 ? /^error: .+/ : /: invalid/, `run ${i} (${how})`);
      assert.doesNotMatch(run.stdout + run.stderr, /Internal error|\n\s+at \S+ \(/, `run ${i} (${how})`);
    }
  });

  it('behaves the same through the real executable', () => {
    const rnd = seeded(11);
    for (let i = 0; i < 10; i++) {
      const { text, how } = mutate(rnd);
      const run = cnpg(['validate', '-f', '-'], text);
      assert.ok(run.status === 1 || run.status === 2, `${how}: exit ${run.status}\n${run.stdout}${run.stderr}`);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    }
  });
});
