import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolvePgBinDir } from './binaries.ts';
import { lastWords, runTool } from './tool-runner.ts';

describe('lastWords', () => {
  it("keeps initdb's error, not the hint that follows it", async () => {
    // An option this PostgreSQL does not know: getopt's complaint, then initdb's `hint: Try ...`.
    const run = await runTool(join(resolvePgBinDir(), 'initdb'), ['--no-such-option=x', '-D', '/nonexistent']);
    assert.notEqual(run.code, 0);
    assert.match(lastWords(run), /unrecognized option '--no-such-option=x'/);
  });

  it('prefers an error line, else the last line that is not a hint or detail', () => {
    const run = (stderr: string) => ({ code: 1, stdout: '', stderr });
    assert.equal(lastWords(run('a\ninitdb: error: bad\ninitdb: hint: Try it\n')), 'initdb: error: bad');
    assert.equal(lastWords(run('something broke\nDETAIL: why\nHINT: fix\n')), 'something broke');
    assert.equal(
      lastWords(run('Try "pg_ctl --help" for more information.\n')),
      'Try "pg_ctl --help" for more information.',
    );
    assert.equal(lastWords(run('')), 'exit status 1');
  });
});
