import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvLogParser } from './csvlog.ts';

const LINE =
  '2024-01-01 10:00:00.000 UTC,"app","app",1234,"127.0.0.1:5000",65a1.4d2,1,"SELECT",' +
  '2024-01-01 10:00:00 UTC,3/7,0,ERROR,42P01,"relation ""nope"" does not exist",,,,,,"SELECT * FROM nope;",15,,"psql","client backend",,0\n';

test('a csvlog record becomes named fields, with doubled quotes undone', () => {
  const [record] = new CsvLogParser().push(LINE);
  assert.equal(record?.error_severity, 'ERROR');
  assert.equal(record?.message, 'relation "nope" does not exist');
  assert.equal(record?.backend_type, 'client backend');
  assert.equal(record?.detail, undefined);
});

test('records split across chunks and holding newlines in quoted fields', () => {
  const parser = new CsvLogParser();
  const multi =
    '2024-01-01 10:00:00.000 UTC,,,1,,1.1,1,,2024-01-01 10:00:00 UTC,,0,LOG,00000,"line one\nline, two",,,,,,,,,,"postmaster",,0\n';
  const text = multi + LINE;
  const cut = 40;
  const records = [
    ...parser.push(text.slice(0, cut)),
    ...parser.push(text.slice(cut, 150)),
    ...parser.push(text.slice(150)),
  ];
  assert.equal(records.length, 2);
  assert.equal(records[0]?.message, 'line one\nline, two');
  assert.equal(records[0]?.backend_type, 'postmaster');
  assert.equal(records[1]?.sql_state_code, '42P01');
});
