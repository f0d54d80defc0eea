import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMON_EXCLUDES, compileRules, PGDATA_EXCLUDES } from './exclusions.ts';
import { endOfArchive } from './tar-format.ts';
import { bufferEntry, directoryEntries, fileEntry, type TarCounters } from './tar-source.ts';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gen) parts.push(b);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, endOfArchive(body.length)]);
}

// GNU tar and Python's tarfile (what barman-cloud-restore extracts with) are the readers.
const gnuList = (tar: string) => execFileSync('tar', ['-tvf', tar], { encoding: 'utf8' });
const pythonMembers = (tar: string): { name: string; type: string; size: number; linkname: string }[] =>
  JSON.parse(
    execFileSync(
      'python3',
      [
        '-c',
        'import json,sys,tarfile\n' +
          't=tarfile.open(sys.argv[1],"r|*")\n' +
          'print(json.dumps([{"name":m.name,"type":m.type.decode(),"size":m.size,"linkname":m.linkname} for m in t]))',
        tar,
      ],
      { encoding: 'utf8' },
    ),
  );

describe('directoryEntries', () => {
  let root: string;
  let pgdata: string;
  const longName = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  before(() => {
    root = mkdtempSync('/tmp/cnpg-tar-test-');
    pgdata = join(root, 'pgdata');
    for (const d of ['base/1', 'global', 'pg_wal/archive_status', 'pg_stat_tmp', 'pg_tblspc', `${'d'.repeat(120)}`]) {
      mkdirSync(join(pgdata, d), { recursive: true });
    }
    writeFileSync(join(pgdata, 'PG_VERSION'), '15\n');
    writeFileSync(join(pgdata, 'base/1/1259'), Buffer.alloc(3 * 1024 * 1024 + 7, 0xab));
    writeFileSync(join(pgdata, 'global/pg_control'), Buffer.alloc(8192, 1));
    writeFileSync(join(pgdata, 'global/1262'), 'x');
    writeFileSync(join(pgdata, 'pg_wal/000000010000000000000001'), 'wal');
    writeFileSync(join(pgdata, 'pg_stat_tmp/global.stat'), 'tmp');
    writeFileSync(join(pgdata, 'postmaster.pid'), '1');
    writeFileSync(join(pgdata, longName), 'long');
    mkdirSync(join(root, 'tbs'));
    symlinkSync(join(root, 'tbs'), join(pgdata, 'pg_tblspc/16385'));
    symlinkSync('PG_VERSION', join(pgdata, 'version-link'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes a tar GNU tar and Python read, without the excluded paths', async () => {
    const counters: TarCounters = { files: 0, bytes: 0 };
    const rules = compileRules([...PGDATA_EXCLUDES, ...COMMON_EXCLUDES]);
    const tar = join(root, 'data.tar');
    writeFileSync(
      tar,
      await collect(
        (async function* () {
          yield* directoryEntries(pgdata, { exclude: rules }, counters);
          yield* fileEntry(join(pgdata, 'global/pg_control'), 'global/pg_control', counters);
          yield* bufferEntry('backup_label', Buffer.from('LABEL: x\n'), statSync(pgdata));
        })(),
      ),
    );
    const members = pythonMembers(tar);
    const names = members.map((m) => m.name);
    assert.deepEqual(names, [
      '.',
      'PG_VERSION',
      'version-link',
      'base',
      'base/1',
      'base/1/1259',
      `${'d'.repeat(120)}`,
      longName,
      'global',
      'global/1262',
      'pg_stat_tmp',
      'pg_tblspc',
      'pg_wal',
      'global/pg_control',
      'backup_label',
    ]);
    assert.equal(members.find((m) => m.name === 'base/1/1259')?.size, 3 * 1024 * 1024 + 7);
    assert.equal(members.find((m) => m.name === 'version-link')?.linkname, 'PG_VERSION');
    assert.equal(members.find((m) => m.name === 'version-link')?.type, '2');
    assert.equal(counters.files, 5);
    assert.match(gnuList(tar), /backup_label/);
    const out = join(root, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    assert.deepEqual(readFileSync(join(out, 'base/1/1259')), readFileSync(join(pgdata, 'base/1/1259')));
    assert.equal(readFileSync(join(out, longName), 'utf8'), 'long');
    assert.equal(readFileSync(join(out, 'backup_label'), 'utf8'), 'LABEL: x\n');
    assert.equal(statSync(join(out, 'base/1/1259')).mode & 0o777, statSync(join(pgdata, 'base/1/1259')).mode & 0o777);
  });

  it('stores a file at the size it had when opened: zero-padded when it shrinks, cut when it grows', async () => {
    const path = join(root, 'changing');
    writeFileSync(path, Buffer.alloc(4096, 7));
    const counters: TarCounters = { files: 0, bytes: 0 };
    const shrink = fileEntry(path, 'changing', counters);
    const parts: Buffer[] = [(await shrink.next()).value as Buffer];
    truncateSync(path, 100);
    for await (const b of shrink) parts.push(b);
    const tar = join(root, 'shrunk.tar');
    const body = Buffer.concat(parts);
    writeFileSync(tar, Buffer.concat([body, endOfArchive(body.length)]));
    const out = join(root, 'shrunk');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    const content = readFileSync(join(out, 'changing'));
    assert.equal(content.length, 4096);
    assert.deepEqual(content.subarray(0, 100), Buffer.alloc(100, 7));
    assert.deepEqual(content.subarray(100), Buffer.alloc(3996, 0));

    writeFileSync(path, Buffer.alloc(10, 1));
    const grow = fileEntry(path, 'grown', counters);
    const grown: Buffer[] = [(await grow.next()).value as Buffer];
    writeFileSync(path, Buffer.alloc(5000, 1));
    for await (const b of grow) grown.push(b);
    const gbody = Buffer.concat(grown);
    assert.deepEqual(
      pythonMembers(writeTar(root, 'grown.tar', gbody)).map((m) => [m.name, m.size]),
      [['grown', 10]],
    );
  });

  it('skips a file that vanished before it was opened', async () => {
    const counters: TarCounters = { files: 0, bytes: 0 };
    assert.equal((await collect(fileEntry(join(root, 'no-such-file'), 'x', counters))).length, 1024 * 10);
    assert.equal(counters.files, 0);
  });
});

function writeTar(root: string, name: string, body: Buffer): string {
  const path = join(root, name);
  writeFileSync(path, Buffer.concat([body, endOfArchive(body.length)]));
  return path;
}
