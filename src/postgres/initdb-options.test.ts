import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initdbArguments, initdbVersionNeeds } from './initdb-options.ts';

test('initdb flags from the bootstrap stanza', () => {
  const cases: [Parameters<typeof initdbArguments>[0], string[]][] = [
    [undefined, []],
    [{ encoding: 'UTF8', localeCollate: 'C', localeCType: 'C' }, ['--encoding=UTF8', '--lc-collate=C', '--lc-ctype=C']],
    [
      { localeProvider: 'icu', icuLocale: 'en-US', dataChecksums: true, walSegmentSize: 32 },
      ['--locale-provider=icu', '--icu-locale=en-US', '--data-checksums', '--wal-segsize=32'],
    ],
    [{ dataChecksums: false, locale: 'C.UTF-8' }, ['--locale=C.UTF-8']],
    [{ encoding: 'UTF8', options: ['--encoding=LATIN1', '-k'] }, ['--encoding=UTF8', '--encoding=LATIN1', '-k']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(initdbArguments(input), expected);
});

test('initdb options and the first PostgreSQL major that has them', () => {
  const since = (initdb: Parameters<typeof initdbVersionNeeds>[0]) =>
    initdbVersionNeeds(initdb).map((n) => `${n.what}@${n.since}`);
  assert.deepEqual(since({}), []);
  assert.deepEqual(since({ localeProvider: 'icu', icuLocale: 'en', icuRules: '&a < b' }), [
    'localeProvider@15',
    'icuLocale@15',
    'icuRules@16',
  ]);
  assert.deepEqual(since({ localeProvider: 'builtin', builtinLocale: 'C.UTF-8' }), [
    'localeProvider builtin@17',
    'builtinLocale@17',
  ]);
});
