// docs/api-support.md cannot drift from the code: its kinds table lists every kind, saying
// "Reconciled" exactly for the reconciled ones, and its table of refused fields is the
// unsupported-feature table of src/operator/cluster/unsupported.ts, line for line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KINDS } from '../src/api/v1/kinds.ts';
import { RECONCILED_KINDS } from '../src/api/v1/reconciled-kinds.ts';
import { UNSUPPORTED_RULES } from '../src/operator/cluster/unsupported.ts';

const PAGE = readFileSync(new URL('../docs/api-support.md', import.meta.url), 'utf8');

/** The body rows of the first Markdown table after `marker`, as trimmed cells. */
function tableAfter(marker: string): string[][] {
  const at = PAGE.indexOf(marker);
  assert.ok(at >= 0, `docs/api-support.md has ${marker}`);
  const lines = PAGE.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start + 2, end).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
}

describe('docs/api-support.md', () => {
  it('lists every kind, "Reconciled" exactly for the reconciled ones', () => {
    const rows = tableAfter('## Kinds');
    assert.deepEqual(rows.map(([kind]) => kind).sort(), KINDS.map((k) => k.kind).sort());
    for (const [kind, what] of rows) {
      assert.equal(what?.startsWith('Reconciled'), RECONCILED_KINDS.has(kind ?? ''), `${kind}: ${what}`);
    }
  });

  it('lists the refused Cluster fields of unsupported.ts, in its order', () => {
    assert.deepEqual(
      tableAfter('<!-- refused-fields'),
      UNSUPPORTED_RULES.map((r) => [`\`${r.field}\``, r.value === undefined ? '*set*' : `\`${r.value}\``, r.comesWith]),
    );
  });
});
