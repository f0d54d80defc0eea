// `cnpg instance backup` against a real PostgreSQL 15, a real MinIO and the real barman-cloud
// tools (WAL archived by barman-cloud-wal-archive): our backup lands in barman-cloud's layout, is
// listed by barman-cloud-backup-list with the fields our listing gives, and barman-cloud-restore
// plus barman-cloud-wal-restore make a PostgreSQL that starts and holds the data (tablespace
// included, from a primary and from a standby); a backup killed midway never has a backup.info
// and the next one succeeds; a backup barman-cloud-backup wrote is listed by ours as by barman.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBackupInfo } from '../../src/instance/backup/backup-info.ts';
import type { S3ObjectStore } from '../../src/objectstore/s3-client.ts';
import { BARMAN_VENV, type ObjectStore, runBarmanCloud, startObjectStore } from '../support/object-store.ts';
import { objectStoreClient } from '../support/object-store-client.ts';
import { CNPG_BIN } from '../support/samples.ts';
import {
  makeSandbox,
  PG_BIN,
  POD_USER,
  psqlAt,
  sleep,
  testCluster,
  waitFor,
  writeClusterFile,
  writeMountedObject,
} from './support.ts';

const sandbox = makeSandbox('base-backup');
const PG_PORT = 25_400 + (process.pid % 400);
const RESTORE_PORT = PG_PORT + 1;
const STANDBY_PORT = PG_PORT + 2;
const SERVER = 'pg';

const pgdata = join(sandbox.root, 'pgdata');
const tablespaceDir = join(sandbox.root, 'tbs1');
const socketDir = join(sandbox.root, 'run');
const clusterFile = join(sandbox.root, 'cluster.yaml');
const secretsRoot = join(sandbox.root, 'secrets');
let minio: ObjectStore;
let store: S3ObjectStore;
let destination: string;

const asPodUser = POD_USER ? { uid: POD_USER.uid, gid: POD_USER.gid } : {};

function pgTool(tool: string, args: string[], timeout = 120_000): string {
  const r = spawnSync(join(PG_BIN, tool), args, { encoding: 'utf8', timeout, cwd: '/', ...asPodUser });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const psql = (port: number, sql: string) => psqlAt(socketDir, port, sql, { timeoutMs: 120_000 });

function ownedDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (POD_USER) chownSync(path, POD_USER.uid, POD_USER.gid);
}

/** A server of this suite in `dir`: socket-only on `port`, small, with `settings`. */
function writeServerConf(dir: string, port: number, settings: string[]): void {
  writeFileSync(
    join(dir, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      `unix_socket_directories = '${socketDir}'`,
      "listen_addresses = ''",
      'shared_buffers = 16MB',
      ...settings,
      '',
    ].join('\n'),
  );
}

/** `cnpg instance backup`'s arguments for the instance at `target`. */
function backupArgs(args: string[] = [], target = { pgdata, port: PG_PORT }): string[] {
  return [
    'instance',
    'backup',
    '--pgdata',
    target.pgdata,
    '--pod-name',
    'pg-1',
    '--cluster-file',
    clusterFile,
    '--socket-dir',
    socketDir,
    '--pg-port',
    String(target.port),
    '--secrets-root',
    secretsRoot,
    '--scratch-dir',
    join(sandbox.root, 'scratch'),
    ...args,
  ];
}

function backup(args: string[] = [], target = { pgdata, port: PG_PORT }) {
  return spawnSync(CNPG_BIN, backupArgs(args, target), { encoding: 'utf8', timeout: 300_000 });
}

/** The JSON object a command prints on its last line. */
const lastLineJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1) as string) as T;

/** `cnpg instance backup-list`'s backups. */
function listOurs(): Record<string, unknown>[] {
  const list = spawnSync(
    CNPG_BIN,
    [
      'instance',
      'backup-list',
      '--pgdata',
      pgdata,
      '--pod-name',
      'pg-1',
      '--cluster-file',
      clusterFile,
      '--secrets-root',
      secretsRoot,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(list.status, 0, list.stderr);
  return lastLineJson<{ backups_list: Record<string, unknown>[] }>(list.stdout).backups_list;
}

async function text(key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A script PostgreSQL runs as archive_command or restore_command: a barman-cloud tool on the store. */
function barmanScript(name: string, tool: string, args: string): string {
  const path = join(sandbox.root, `${name}.sh`);
  const env = Object.entries(minio.clientEnv())
    .map(([k, v]) => `export ${k}='${v}'`)
    .join('\n');
  writeFileSync(
    path,
    `#!/bin/sh\n${env}\nexec ${join(BARMAN_VENV, 'bin', tool)} --endpoint-url ${minio.endpointURL} --cloud-provider aws-s3 ${destination} ${SERVER} ${args}\n`,
    { mode: 0o755 },
  );
  return path;
}

before(async () => {
  minio = await startObjectStore();
  destination = `${minio.destinationPath}cluster`;
  store = objectStoreClient(minio);

  writeMountedObject(join(secretsRoot, 'minio'), {
    ACCESS_KEY_ID: minio.accessKeyId,
    ACCESS_SECRET_KEY: minio.secretAccessKey,
  });
  writeClusterFile(
    clusterFile,
    testCluster({
      spec: {
        instances: 1,
        backup: {
          barmanObjectStore: {
            destinationPath: destination,
            endpointURL: minio.endpointURL,
            s3Credentials: {
              accessKeyId: { name: 'minio', key: 'ACCESS_KEY_ID' },
              secretAccessKey: { name: 'minio', key: 'ACCESS_SECRET_KEY' },
            },
            // Three parts of a tar go up at once: the killed test's bulk table makes multipart tars.
            data: { compression: 'gzip', immediateCheckpoint: true, jobs: 3 },
          },
        },
      },
    }),
  );

  for (const d of [pgdata, tablespaceDir, socketDir]) ownedDir(d);
  const archive = barmanScript('wal-archive', 'barman-cloud-wal-archive', '"$1"');
  pgTool('initdb', ['-D', pgdata, '-U', 'postgres', '--no-sync', '-A', 'trust']);
  writeServerConf(pgdata, PG_PORT, ['archive_mode = on', `archive_command = '${archive} %p'`, 'wal_level = replica']);
  pgTool('pg_ctl', ['-D', pgdata, '-w', '-l', join(socketDir, 'pg.log'), 'start']);
  psql(PG_PORT, `CREATE TABLESPACE tbs1 LOCATION '${tablespaceDir}'`);
  psql(PG_PORT, 'CREATE TABLE kept AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 100000) g');
  psql(PG_PORT, 'CREATE TABLE in_tbs TABLESPACE tbs1 AS SELECT g AS id FROM generate_series(1, 5000) g');
});

after(async () => {
  for (const dir of ['pgdata', 'standby', 'restored', 'restored-from-standby'].map((d) => join(sandbox.root, d))) {
    spawnSync(join(PG_BIN, 'pg_ctl'), ['-D', dir, '-m', 'immediate', 'stop'], { cwd: '/', ...asPodUser });
  }
  store?.close();
  await minio?.stop();
  await sandbox.dispose();
});

/** The fields upstream's catalog reads, as both listings give them (times as instants). */
function comparable(b: Record<string, unknown>): Record<string, unknown> {
  const time = (iso: unknown, plain: unknown) => new Date(String(iso ?? plain)).toISOString();
  return {
    backup_id: b.backup_id,
    backup_name: b.backup_name,
    status: b.status,
    begin_wal: b.begin_wal,
    end_wal: b.end_wal,
    begin_xlog: b.begin_xlog,
    end_xlog: b.end_xlog,
    begin_time: time(b.begin_time_iso, b.begin_time),
    end_time: time(b.end_time_iso, b.end_time),
    timeline: b.timeline,
    systemid: b.systemid,
    error: b.error ?? undefined,
  };
}

/** Restores a backup with barman-cloud-restore and barman-cloud-wal-restore, then checks the data. */
async function restoreAndCheck(backupId: string, name: string, rows = 100000): Promise<void> {
  const restored = join(sandbox.root, name);
  const restoredTbs = join(sandbox.root, `${name}-tbs`);
  ownedDir(restored);
  ownedDir(restoredTbs);
  // barman-cloud-restore extracts the tars and links the tablespace where it is told to.
  const r = await runBarmanCloud(minio, 'barman-cloud-restore', [
    '--tablespace',
    `tbs1:${restoredTbs}`,
    destination,
    SERVER,
    backupId,
    restored,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(join(restored, 'backup_label'), 'utf8'), /^START WAL LOCATION/);
  const walRestore = barmanScript('wal-restore', 'barman-cloud-wal-restore', '"$1" "$2"');
  writeServerConf(restored, RESTORE_PORT, [
    'archive_mode = off',
    `restore_command = '${walRestore} %f %p'`,
    "recovery_target = 'immediate'",
    "recovery_target_action = 'promote'",
  ]);
  writeFileSync(join(restored, 'recovery.signal'), '');
  if (POD_USER) execFileSync('chown', ['-R', `${POD_USER.uid}:${POD_USER.gid}`, restored]);
  pgTool('pg_ctl', ['-D', restored, '-w', '-t', '120', '-l', join(socketDir, `${name}.log`), 'start']);
  try {
    await waitFor('the restored instance to promote', () =>
      psql(RESTORE_PORT, 'SELECT pg_is_in_recovery()') === 'f' ? true : undefined,
    );
    assert.equal(psql(RESTORE_PORT, 'SELECT count(*) FROM kept'), String(rows));
    assert.equal(
      psql(RESTORE_PORT, `SELECT md5(string_agg(v, ',' ORDER BY id)) FROM kept WHERE id <= ${rows}`),
      psql(PG_PORT, `SELECT md5(string_agg(v, ',' ORDER BY id)) FROM kept WHERE id <= ${rows}`),
    );
    assert.equal(psql(RESTORE_PORT, 'SELECT sum(id) FROM in_tbs'), String((5000 * 5001) / 2));
  } finally {
    pgTool('pg_ctl', ['-D', restored, '-m', 'fast', 'stop']);
  }
}

describe('cnpg instance backup', () => {
  let backupId: string;

  it("writes a DONE backup in barman-cloud's layout, listed by backup-list", async () => {
    const r = backup(['--backup-name', 'first']);
    assert.equal(r.status, 0, r.stderr);
    const result = lastLineJson<Record<string, unknown>>(r.stdout);
    backupId = result.backup_id as string;
    assert.match(backupId, /^\d{8}T\d{6}$/);
    assert.equal(result.status, 'DONE');
    assert.equal(result.backup_name, 'first');

    const prefix = `cluster/pg/base/${backupId}`;
    const { objects } = await store.list(`${prefix}/`);
    const oid = psql(PG_PORT, "SELECT oid FROM pg_tablespace WHERE spcname = 'tbs1'");
    assert.deepEqual(objects.map((o) => o.key).sort(), [
      `${prefix}/${oid}.tar.gz`,
      `${prefix}/backup.info`,
      `${prefix}/data.tar.gz`,
    ]);
    const info = parseBackupInfo(await text(`${prefix}/backup.info`), backupId);
    assert.equal(info.status, 'DONE');
    assert.equal(info.serverName, 'cloud');
    assert.equal(info.systemid, psql(PG_PORT, 'SELECT system_identifier FROM pg_control_system()'));
    assert.equal(info.version, Number(psql(PG_PORT, 'SHOW server_version_num')));
    assert.deepEqual(info.tablespaces, [{ name: 'tbs1', oid: Number(oid), location: tablespaceDir }]);
    assert.match(
      info.backupLabel ?? '',
      new RegExp(`^START WAL LOCATION: ${info.beginXlog} \\(file ${info.beginWal}\\)`),
    );
    assert.ok((info.size ?? 0) > 0);

    const listed = listOurs();
    assert.deepEqual(
      listed.map((b) => [b.backup_id, b.status, b.backup_name, b.begin_wal, b.end_wal]),
      [[backupId, 'DONE', 'first', info.beginWal, info.endWal]],
    );

    // barman-cloud-backup-list reads it, with the same fields.
    const barman = await runBarmanCloud(minio, 'barman-cloud-backup-list', ['--format', 'json', destination, SERVER]);
    assert.equal(barman.status, 0, barman.stderr);
    const theirs = (JSON.parse(barman.stdout) as { backups_list: Record<string, unknown>[] }).backups_list;
    assert.deepEqual(theirs.map(comparable), listed.map(comparable));
  });

  it('restores into a PostgreSQL that starts and holds the data, with its tablespace', async () => {
    await restoreAndCheck(backupId, 'restored');
  });

  it('backs up a standby, restorable once the primary archived past its end', async () => {
    const standby = join(sandbox.root, 'standby');
    const standbyTbs = join(sandbox.root, 'standby-tbs');
    ownedDir(standby);
    ownedDir(standbyTbs);
    pgTool('pg_basebackup', [
      '-D',
      standby,
      '-h',
      socketDir,
      '-p',
      String(PG_PORT),
      '-U',
      'postgres',
      '-R',
      '-X',
      'stream',
      '-T',
      `${tablespaceDir}=${standbyTbs}`,
    ]);
    writeFileSync(
      join(standby, 'postgresql.auto.conf'),
      `${readFileSync(join(standby, 'postgresql.auto.conf'), 'utf8')}\nport = ${STANDBY_PORT}\n`,
    );
    pgTool('pg_ctl', ['-D', standby, '-w', '-l', join(socketDir, 'standby.log'), 'start']);
    psql(PG_PORT, 'INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(100001, 100100) g');
    const lsn = psql(PG_PORT, 'SELECT pg_current_wal_lsn()');
    await waitFor('the standby to replay', () =>
      psql(STANDBY_PORT, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'`) === 't' ? true : undefined,
    );
    const r = backup(['--backup-name', 'from-standby'], { pgdata: standby, port: STANDBY_PORT });
    assert.equal(r.status, 0, r.stderr);
    const id = lastLineJson<{ backup_id: string }>(r.stdout).backup_id;
    const info = parseBackupInfo(await text(`cluster/pg/base/${id}/backup.info`), id);
    assert.equal(info.status, 'DONE');
    assert.match(info.backupLabel ?? '', /BACKUP FROM: standby/);
    assert.equal(info.pgdata, standby);
    // The primary archives the segment holding the backup's end.
    psql(PG_PORT, 'SELECT pg_switch_wal()');
    const endWal = info.endWal as string;
    await waitFor(`${endWal} in the archive`, async () =>
      (await store.head(`cluster/${SERVER}/wals/${endWal.slice(0, 16)}/${endWal}`)) ? true : undefined,
    );
    pgTool('pg_ctl', ['-D', standby, '-m', 'fast', 'stop']);
    await restoreAndCheck(id, 'restored-from-standby', 100100);
  });

  it('leaves no DONE backup.info when killed midway, and the next backup succeeds', async () => {
    // Enough data that the copy takes a while, even unloaded.
    psql(
      PG_PORT,
      'CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 2000000) g',
    );
    const child = spawn(CNPG_BIN, backupArgs(), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(
      'the backup to start copying',
      () => (out.includes('base backup started') ? true : undefined),
      120_000,
    );
    await sleep(300);
    child.kill('SIGKILL');
    await exited;
    assert.doesNotMatch(out, /base backup completed/, 'the backup finished before it could be killed');
    const killedId = /"backupId":"(\d{8}T\d{6})"/.exec(out)?.[1] as string;
    assert.ok(killedId);
    const keys = (await store.list(`cluster/pg/base/${killedId}/`)).objects.map((o) => o.key);
    assert.ok(!keys.some((k) => k.endsWith('backup.info')), `a killed backup has no backup.info: ${keys.join(', ')}`);
    // PostgreSQL forgot the backup with its session.
    await waitFor('the killed session to end', () =>
      psql(PG_PORT, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'barman_cloud_backup'") === '0'
        ? true
        : undefined,
    );
    await sleep(1000); // backup ids are seconds: the next must not reuse the killed one's.
    const next = backup();
    assert.equal(next.status, 0, next.stderr);
    const nextId = lastLineJson<{ backup_id: string }>(next.stdout).backup_id;
    const info = parseBackupInfo(await text(`cluster/pg/base/${nextId}/backup.info`), nextId);
    assert.equal(info.status, 'DONE');
  });

  it("lists a backup barman-cloud-backup wrote with barman's own fields", async () => {
    const r = await runBarmanCloud(
      minio,
      'barman-cloud-backup',
      ['--user', 'postgres', '--name', 'by-barman', '--gzip', '--immediate-checkpoint', destination, SERVER],
      { env: { PGHOST: socketDir, PGPORT: String(PG_PORT) }, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const barman = await runBarmanCloud(minio, 'barman-cloud-backup-list', ['--format', 'json', destination, SERVER]);
    const theirs = (JSON.parse(barman.stdout) as { backups_list: Record<string, unknown>[] }).backups_list;
    const ours = listOurs();
    assert.ok(theirs.some((b) => b.backup_name === 'by-barman'));
    assert.deepEqual(ours.map(comparable), theirs.map(comparable));
  });
});
