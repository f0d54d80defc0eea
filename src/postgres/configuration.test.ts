import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster } from '../api/v1/cluster-types.ts';
import {
  type ConfigPlacement,
  postgresParameters,
  renderCustomConf,
  renderHba,
  renderIdent,
  SYNCHRONOUS_METADATA_PARAMETER,
  slotNameForInstance,
  withIncludes,
} from './configuration.ts';

const placement: ConfigPlacement = {
  pgMajor: 15,
  listenAddresses: '127.0.10.3',
  port: 5432,
  socketDir: '/scratch/run',
  logDir: '/scratch/log',
  logFileName: 'postgres',
  certificatesDir: '/scratch/certificates',
  tlsEnabled: false,
  archiveCommand: '/bin/cnpg instance wal-archive --cluster-file /c.yaml %p',
};

const cluster = (parameters: Record<string, string>, extra: Partial<Cluster['spec']> = {}): Cluster =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg' },
    spec: { instances: 1, postgresql: { parameters }, ...extra },
  }) as Cluster;

test('CNPG defaults, user parameters, then settings the user cannot override', () => {
  const p = postgresParameters(
    cluster({ work_mem: '8MB', port: '6000', wal_keep_size: '1GB', log_directory: '/x' }),
    placement,
  );
  assert.equal(p.work_mem, '8MB');
  assert.equal(p.wal_keep_size, '1GB');
  assert.equal(p.port, '5432');
  assert.equal(p.log_directory, '/scratch/log');
  assert.equal(p.listen_addresses, '127.0.10.3');
  assert.equal(p.unix_socket_directories, '/scratch/run');
  assert.equal(p.archive_mode, 'on');
  assert.equal(p.archive_command, placement.archiveCommand);
  assert.equal(p.cluster_name, 'pg');
  assert.equal(p.restart_after_crash, 'false');
  assert.equal(p.wal_level, 'logical');
  assert.equal(p.ssl, 'off');
  assert.equal(p.ssl_cert_file, undefined);
});

test('TLS material switches ssl on with the certificate paths', () => {
  const p = postgresParameters(cluster({}), { ...placement, tlsEnabled: true });
  assert.equal(p.ssl, 'on');
  assert.equal(p.ssl_cert_file, '/scratch/certificates/server.crt');
  assert.equal(p.ssl_ca_file, '/scratch/certificates/client-ca.crt');
});

test('shared_preload_libraries: the user list then managed extensions, without duplicates', () => {
  const p = postgresParameters(
    cluster(
      { 'pg_stat_statements.max': '1000', 'auto_explain.log_min_duration': '1s' },
      {
        postgresql: {
          parameters: { 'pg_stat_statements.max': '1000', 'auto_explain.log_min_duration': '1s' },
          shared_preload_libraries: ['auto_explain', 'mylib'],
        },
      },
    ),
    placement,
  );
  assert.equal(p.shared_preload_libraries, 'auto_explain,mylib,pg_stat_statements');
  assert.equal(postgresParameters(cluster({}), placement).shared_preload_libraries, '');
});

test('archive_mode follows replica clusters and the skip annotation', () => {
  assert.equal(
    postgresParameters(cluster({}, { replica: { enabled: true, source: 'x' } }), placement).archive_mode,
    'always',
  );
  const skipped = cluster({});
  skipped.metadata = { name: 'pg', annotations: { 'cnpg.io/skipWalArchiving': 'enabled' } };
  assert.equal(postgresParameters(skipped, placement).archive_mode, 'off');
});

test('synchronous_standby_names: ours from the Cluster status, never the user value', () => {
  const sync = (status: Cluster['status']): Cluster => ({
    ...cluster(
      { synchronous_standby_names: '*' },
      {
        instances: 3,
        postgresql: {
          parameters: { synchronous_standby_names: '*' },
          synchronous: { method: 'any', number: 1, dataDurability: 'required' },
        },
      },
    ),
    status,
  });
  const p = postgresParameters(
    sync({
      currentPrimary: 'pg-1',
      instanceNames: ['pg-1', 'pg-2', 'pg-3'],
      instancesStatus: { healthy: ['pg-1', 'pg-2'] },
    }),
    placement,
  );
  assert.equal(p.synchronous_standby_names, 'ANY 1 ("pg-2","pg-3","pg-1")');
  assert.match(renderCustomConf(p).text, /^synchronous_standby_names = 'ANY 1 \("pg-2","pg-3","pg-1"\)'$/m);
  // What the value was computed from, as upstream's cnpg.synchronous_standby_names_metadata.
  assert.equal(p[SYNCHRONOUS_METADATA_PARAMETER], '{"method":"ANY","number":1,"standbyNames":["pg-2","pg-3","pg-1"]}');
  assert.match(
    renderCustomConf(p).text,
    /^cnpg\.synchronous_standby_names_metadata = '\{"method":"ANY","number":1,"standbyNames":\["pg-2","pg-3","pg-1"\]\}'$/m,
  );
  // Without synchronous replication the parameter is left to PostgreSQL's default, whatever the user set.
  assert.equal(
    postgresParameters(cluster({ synchronous_standby_names: '*' }), placement).synchronous_standby_names,
    undefined,
  );
  assert.equal(postgresParameters(cluster({}), placement)[SYNCHRONOUS_METADATA_PARAMETER], undefined);
});

test('custom.conf is sorted, quoted, and carries the checksum of its settings', () => {
  const a = renderCustomConf({ b: "it's", a: '1' });
  const b = renderCustomConf({ a: '1', b: "it's" });
  assert.equal(a.text, b.text);
  assert.match(a.text, /^a = '1'\nb = 'it''s'\ncnpg\.config_sha256 = '[0-9a-f]{64}'\n$/);
  assert.notEqual(renderCustomConf({ a: '2', b: "it's" }).sha256, a.sha256);
});

test('pg_hba.conf: fixed rules, user rules, then SCRAM for everything else', () => {
  const hba = renderHba(['host app app 10.0.0.0/8 md5'], 15, true);
  const lines = hba.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(lines, [
    'local all all peer map=local',
    'hostssl postgres streaming_replica all cert map=cnpg_streaming_replica',
    'hostssl replication streaming_replica all cert map=cnpg_streaming_replica',
    'hostssl all cnpg_pooler_pgbouncer all cert map=cnpg_pooler_pgbouncer',
    'host app app 10.0.0.0/8 md5',
    'host all all all scram-sha-256',
  ]);
  assert.match(
    renderHba([], 13, false),
    /host replication streaming_replica all trust\n[\s\S]*host all all all md5\n$/,
  );
});

test('pg_ident.conf maps the pod user to postgres, then the user lines', () => {
  const ident = renderIdent('postgres', ['mymap alice bob']);
  assert.match(ident, /^local postgres postgres$/m);
  assert.match(ident, /^cnpg_streaming_replica streaming_replica streaming_replica$/m);
  assert.match(ident, /mymap alice bob\n$/);
});

test('postgresql.conf gets the include directives once', () => {
  const once = withIncludes('max_connections = 100\n');
  assert.equal(once, "max_connections = 100\ninclude 'custom.conf'\ninclude 'override.conf'\n");
  assert.equal(withIncludes(once), once);
  assert.equal(withIncludes('a = 1'), "a = 1\ninclude 'custom.conf'\ninclude 'override.conf'\n");
});

test('HA slot names are sanitized as upstream does', () => {
  assert.equal(slotNameForInstance('_cnpg_', 'pg-1'), '_cnpg_pg_1');
  assert.equal(slotNameForInstance('_cnpg_', 'My.Pod--2'), '_cnpg_my_pod_2');
});
