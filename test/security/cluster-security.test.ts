// Issue 8's proofs, each an attempt to get in that must fail, on two real clusters in one namespace
// run by an operator that holds only the generated ClusterRole: `alpha` (two instances, superuser
// access on) and `beta` (one instance, superuser access off). TLS on every channel, certificate
// authentication for replication, an instance API only the operator may drive, instance RBAC
// limited to the instance's own cluster, certificate rotation and renewal without restarts, secret
// files closed to others, and no generated password in any log or command output.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { publicKeyFingerprint } from '../../src/certs/inspect.ts';
import { createLeaf, createSelfSignedClientCertificate, type KeyPair } from '../../src/certs/key-pair.ts';
import { apiStatusCode } from '../../src/kube/patch.ts';
import { applyObject } from '../../src/local/apply.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { CNPG_BIN } from '../support/samples.ts';
import {
  clusterManifest,
  cnpgAsync,
  credentialFiles,
  filesUnder,
  instanceHttp,
  instanceHttps,
  modeAndOwner,
  podIP,
  postgresServerCertificate,
  psql,
  readCluster,
  readText,
  type SecurityEnv,
  secretData,
  serviceAccountToken,
  startSecurityEnv,
  tokenKubeConfig,
  waitFor,
  waitHealthy,
} from './support.ts';

const NS = 'sec';
const DAY = 24 * 3600 * 1000;

describe('cluster security', { timeout: 300_000 }, () => {
  let env: SecurityEnv;
  let alphaCA: KeyPair;
  let betaCA: string;
  let alpha1: string;
  let alpha2: string;
  let beta1: string;
  let superuserPassword: string;
  const commandOutput: string[] = [];
  /** Passwords replaced during the suite: they must not leak either. */
  const previousPasswords: string[] = [];

  const primaryConninfo = (ip: string, extra = '') =>
    `host=${ip} port=5432 user=postgres dbname=postgres sslmode=require ${extra}`;
  const startTime = (ip: string) => psql(primaryConninfo(ip), 'SELECT pg_postmaster_start_time()', superuserPassword);

  before(async () => {
    env = await startSecurityEnv();
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    await applyObject(
      env.kc,
      clusterManifest('alpha', NS, { instances: 2, storage: { size: '1Gi' }, enableSuperuserAccess: true }),
    );
    await applyObject(env.kc, clusterManifest('beta', NS, { instances: 1, storage: { size: '1Gi' } }));
    await Promise.all([waitHealthy(env, NS, 'alpha'), waitHealthy(env, NS, 'beta')]);
    const ca = await secretData(env, NS, 'alpha-ca');
    alphaCA = { certPem: ca['ca.crt'] ?? '', keyPem: ca['ca.key'] ?? '' };
    betaCA = (await secretData(env, NS, 'beta-ca'))['ca.crt'] ?? '';
    [alpha1, alpha2, beta1] = await Promise.all([
      podIP(env, NS, 'alpha-1'),
      podIP(env, NS, 'alpha-2'),
      podIP(env, NS, 'beta-1'),
    ]);
    superuserPassword = (await secretData(env, NS, 'alpha-superuser')).password ?? '';
  });

  after(async () => {
    await env?.stop();
  });

  it('generates a CA, a server and a replication certificate per cluster, and reports them', async () => {
    const server = await env.core.readNamespacedSecret({ name: 'alpha-server', namespace: NS });
    assert.equal(server.type, 'kubernetes.io/tls');
    const cert = new X509Certificate((await secretData(env, NS, 'alpha-server'))['tls.crt'] ?? '');
    assert.equal(cert.checkIssued(new X509Certificate(alphaCA.certPem)), true);
    for (const name of [
      'alpha-rw',
      'alpha-rw.sec',
      'alpha-rw.sec.svc',
      'alpha-rw.sec.svc.cluster.local',
      'alpha-ro',
      'alpha-r',
    ]) {
      assert.ok(cert.subjectAltName?.includes(`DNS:${name}`), name);
    }
    const replication = new X509Certificate((await secretData(env, NS, 'alpha-replication'))['tls.crt'] ?? '');
    assert.match(replication.subject, /CN=streaming_replica/);
    const status = (await readCluster(env, NS, 'alpha')).status;
    assert.equal(status?.certificates?.serverCASecret, 'alpha-ca');
    assert.equal(status?.certificates?.replicationTLSSecret, 'alpha-replication');
    assert.deepEqual(Object.keys(status?.certificates?.expirations ?? {}).sort(), [
      'alpha-ca',
      'alpha-replication',
      'alpha-server',
    ]);
    assert.match(status?.operatorCertificateFingerprint ?? '', /^[0-9a-f]{64}$/);
    // enableSuperuserAccess: the superuser secret exists for alpha, not for beta.
    assert.ok(superuserPassword.length >= 32);
    await assert.rejects(env.core.readNamespacedSecret({ name: 'beta-superuser', namespace: NS }), (err) => {
      return apiStatusCode(err) === 404;
    });
  });

  it('streams over TLS 1.3 with certificate authentication and verify-full', async () => {
    const rows = await psql(
      primaryConninfo(alpha1),
      'SELECT s.ssl, s.version, s.client_dn FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)',
      superuserPassword,
    );
    assert.equal(rows, 't|TLSv1.3|/CN=streaming_replica');
    const conninfo = await psql(primaryConninfo(alpha2), 'SHOW primary_conninfo', superuserPassword);
    assert.match(conninfo, /sslmode=verify-full/);
    assert.match(conninfo, /host=alpha-rw/);
    assert.match(conninfo, /hostaddr=/);
    // Passwords are SCRAM.
    assert.equal(await psql(primaryConninfo(alpha1), 'SHOW password_encryption', superuserPassword), 'scram-sha-256');
  });

  it('refuses plaintext replication and a replication certificate of another cluster', async () => {
    const own = await secretData(env, NS, 'alpha-replication');
    const foreign = await secretData(env, NS, 'beta-replication');
    const files = credentialFiles({
      'ca.crt': alphaCA.certPem,
      'own.crt': own['tls.crt'] ?? '',
      'own.key': own['tls.key'] ?? '',
      'foreign.crt': foreign['tls.crt'] ?? '',
      'foreign.key': foreign['tls.key'] ?? '',
    });
    try {
      const replication = (extra: string) =>
        psql(
          `host=${alpha1} port=5432 user=streaming_replica dbname=postgres replication=true ${extra}`,
          'IDENTIFY_SYSTEM',
        );
      await assert.rejects(replication('sslmode=disable'), /no pg_hba.conf entry|no encryption/);
      const withCert = (which: string) =>
        `sslmode=verify-ca sslrootcert=${files.path('ca.crt')} sslcert=${files.path(`${which}.crt`)} ` +
        `sslkey=${files.path(`${which}.key`)}`;
      // The control: alpha's own certificate is accepted.
      assert.match(await replication(withCert('own')), /^\d+\|/);
      await assert.rejects(replication(withCert('foreign')), /certificate|SSL|authentication/i);
      // Without a certificate, TLS alone gets no further (streaming_replica has no password).
      await assert.rejects(
        replication(`sslmode=verify-ca sslrootcert=${files.path('ca.crt')}`),
        /certificate|password/i,
      );
    } finally {
      files.dispose();
    }
  });

  it('refuses a password-less postgres login when superuser access is off', async () => {
    const beta = `host=${beta1} port=5432 user=postgres dbname=postgres sslmode=require`;
    await assert.rejects(psql(beta, 'SELECT 1'), /password/);
    await assert.rejects(psql(beta, 'SELECT 1', ''), /password/);
    await assert.rejects(psql(beta, 'SELECT 1', 'postgres'), /password authentication failed/);
    // The application user, with its generated password, gets in over TLS.
    const app = await secretData(env, NS, 'beta-app');
    const ssl = await psql(
      `host=${beta1} port=5432 user=${app.username} dbname=${app.dbname} sslmode=require`,
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      app.password,
    );
    assert.equal(ssl, 't');
  });

  it('lets anyone read probes and status, and only the operator change state', async () => {
    const before = await startTime(alpha1);
    assert.equal((await instanceHttps(alpha1, 'GET', '/pg/status', { ca: alphaCA.certPem })).status, 200);
    assert.equal((await instanceHttps(alpha1, 'GET', '/readyz', { ca: alphaCA.certPem })).status, 200);
    await assert.rejects(instanceHttp(alpha1, 'GET', '/pg/status'));
    await assert.rejects(instanceHttp(alpha1, 'POST', '/pg/fence'));

    const stranger = await createSelfSignedClientCertificate('cnpg-operator');
    const beta = await secretData(env, NS, 'beta-replication');
    const attempts: [string, string, string, { cert?: string; key?: string }, number][] = [
      ['no certificate, fence', alpha1, '/pg/fence', {}, 401],
      ['no certificate, restart', alpha1, '/pg/restart', {}, 401],
      ['no certificate, promote a replica', alpha2, '/pg/promote', {}, 401],
      ['self-signed look-alike, fence', alpha1, '/pg/fence', { cert: stranger.certPem, key: stranger.keyPem }, 503],
      [
        'certificate of another cluster, restart',
        alpha1,
        '/pg/restart',
        { cert: beta['tls.crt'], key: beta['tls.key'] },
        503,
      ],
      [
        'certificate of another cluster, demote',
        alpha1,
        '/pg/demote',
        { cert: beta['tls.crt'], key: beta['tls.key'] },
        503,
      ],
    ];
    for (const [what, ip, path, credentials, status] of attempts) {
      const answer = await instanceHttps(ip, 'POST', path, { ca: alphaCA.certPem, ...credentials });
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
    }
    // Nothing changed: same postmaster, not fenced, roles as they were.
    assert.equal(await startTime(alpha1), before);
    const status1 = JSON.parse((await instanceHttps(alpha1, 'GET', '/pg/status', { ca: alphaCA.certPem })).body);
    const status2 = JSON.parse((await instanceHttps(alpha2, 'GET', '/pg/status', { ca: alphaCA.certPem })).body);
    assert.equal(status1.isPrimary, true);
    assert.equal(status1.isFenced, false);
    assert.equal(status2.isPrimary, false);
    // The instance's certificate is not trusted under another cluster's CA.
    await assert.rejects(instanceHttps(alpha1, 'GET', '/pg/status', { ca: betaCA }), /certificate/);
  });

  it("an instance's ServiceAccount reads its own cluster's secrets and no other's", async () => {
    const kc = tokenKubeConfig(env.kc, await serviceAccountToken(env.core, NS, 'alpha'));
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of ['alpha-ca', 'alpha-server', 'alpha-replication', 'alpha-app', 'alpha-superuser']) {
      assert.ok((await core.readNamespacedSecret({ name, namespace: NS })).data, name);
    }
    for (const name of ['beta-ca', 'beta-server', 'beta-replication', 'beta-app']) {
      await assert.rejects(core.readNamespacedSecret({ name, namespace: NS }), (err) => apiStatusCode(err) === 403);
    }
    await assert.rejects(core.listNamespacedSecret({ namespace: NS }), (err) => apiStatusCode(err) === 403);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await assert.rejects(
      custom.patchNamespacedCustomObjectStatus({
        group: 'postgresql.cnpg.io',
        version: 'v1',
        namespace: NS,
        plural: 'clusters',
        name: 'beta',
        body: { status: { phase: 'hijacked' } },
      }),
      (err) => apiStatusCode(err) === 403,
    );
    // The operator ran everything above with the generated ClusterRole and was never refused.
    assert.equal(env.operatorLog.filter((l) => /forbidden/i.test(l)).join('\n'), '');
  });

  it('picks up a rotated server certificate without restarting PostgreSQL', async () => {
    const before = await startTime(alpha1);
    const restarts = (await env.core.readNamespacedPod({ name: 'alpha-1', namespace: NS })).status
      ?.containerStatuses?.[0]?.restartCount;
    const altNames = (await readCluster(env, NS, 'alpha')).status?.certificates?.serverAltDNSNames ?? [];
    const rotated = await createLeaf(alphaCA, { commonName: 'alpha-rw', usage: 'server', altNames });
    await replaceServerSecret(rotated);
    const want = publicKeyFingerprint(rotated.certPem);
    await waitFor(
      'PostgreSQL presenting the rotated certificate',
      async () => publicKeyFingerprint(await postgresServerCertificate(alpha1)) === want,
      20_000,
    );
    await waitFor(
      'the instance API presenting the rotated certificate',
      async () => {
        const answer = await instanceHttps(alpha1, 'GET', '/healthz', { ca: alphaCA.certPem });
        return answer.serverCert !== undefined && publicKeyFingerprint(answer.serverCert) === want;
      },
      20_000,
    );
    assert.equal(await startTime(alpha1), before);
    const after = (await env.core.readNamespacedPod({ name: 'alpha-1', namespace: NS })).status?.containerStatuses?.[0]
      ?.restartCount;
    assert.equal(after, restarts);
    // The operator kept it: signed by the cluster CA, not expiring, naming the right hosts.
    assert.equal((await secretData(env, NS, 'alpha-server'))['tls.crt'], rotated.certPem);
  });

  it('renews an expiring server certificate, keeping its key', async () => {
    const altNames = (await readCluster(env, NS, 'alpha')).status?.certificates?.serverAltDNSNames ?? [];
    const expiring = await createLeaf(
      alphaCA,
      { commonName: 'alpha-rw', usage: 'server', altNames },
      new Date(Date.now() - 86 * DAY),
    );
    await replaceServerSecret(expiring);
    const renewed = await waitFor(
      'the operator renewing alpha-server',
      async () => {
        const data = await secretData(env, NS, 'alpha-server');
        const cert = new X509Certificate(data['tls.crt'] ?? '');
        return cert.validToDate.getTime() > Date.now() + 80 * DAY ? data : undefined;
      },
      20_000,
    );
    assert.equal(renewed['tls.key'], expiring.keyPem);
    const expiry = new X509Certificate(renewed['tls.crt'] ?? '').validToDate.toISOString().slice(0, 10);
    await waitFor(
      'the new expiration in the status',
      async () =>
        (await readCluster(env, NS, 'alpha')).status?.certificates?.expirations?.['alpha-server']?.startsWith(expiry),
      10_000,
    );
    await waitFor(
      'PostgreSQL presenting the renewed certificate',
      async () => (await postgresServerCertificate(alpha1)).equals(new X509Certificate(renewed['tls.crt'] ?? '').raw),
      20_000,
    );
  });

  it('keeps secret files readable by the postgres user only', async () => {
    const user = podProcessUser();
    const root = join(env.runtime.dir, 'pods', NS, 'alpha-1');
    const files = [
      ...[
        'server.crt',
        'server.key',
        'server-ca.crt',
        'client-ca.crt',
        'streaming_replica.crt',
        'streaming_replica.key',
      ].map((f) => join(root, 'controller', 'certificates', f)),
      join(root, 'etc', 'superuser-secret', 'password'),
    ];
    for (const file of files) {
      const { mode, uid } = modeAndOwner(file);
      assert.equal(mode, 0o600, `${file}: mode ${mode.toString(8)}`);
      if (user !== undefined) assert.equal(uid, user.uid, file);
    }
  });

  it("changes a role's password when its Secret changes", async () => {
    const change = async (name: string, password: string) => {
      const secret = await env.core.readNamespacedSecret({ name, namespace: NS });
      secret.data = { ...secret.data, password: Buffer.from(password).toString('base64') };
      await env.core.replaceNamespacedSecret({ name, namespace: NS, body: secret });
    };
    const app = await secretData(env, NS, 'beta-app');
    const appLogin = (password: string) =>
      psql(`host=${beta1} port=5432 user=${app.username} dbname=${app.dbname} sslmode=require`, 'SELECT 1', password);
    const newAppPassword = `${app.password}x`;
    await change('beta-app', newAppPassword);
    await waitFor('the owner taking its new password', async () => (await appLogin(newAppPassword)) === '1', 20_000);
    await assert.rejects(appLogin(app.password ?? ''), /password authentication failed/);

    const newSuperuserPassword = `${superuserPassword}y`;
    await change('alpha-superuser', newSuperuserPassword);
    // The superuser Secret reaches the pod as a mounted volume, which the node refreshes every 10 s.
    await waitFor(
      'postgres taking its new password',
      async () => (await psql(primaryConninfo(alpha1), 'SELECT 1', newSuperuserPassword)) === '1',
      30_000,
    );
    await assert.rejects(
      psql(primaryConninfo(alpha1), 'SELECT 1', superuserPassword),
      /password authentication failed/,
    );
    previousPasswords.push(superuserPassword, app.password ?? '');
    superuserPassword = newSuperuserPassword;
  });

  it('never shows a generated password in logs or command output', async () => {
    for (const cluster of ['alpha', 'beta']) {
      const run = await cnpgAsync(CNPG_BIN, [
        'status',
        cluster,
        '-n',
        NS,
        '--kubeconfig',
        env.runtime.rt.apiServer.kubeconfigPath,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Cluster in healthy state/);
      commandOutput.push(run.stdout, run.stderr);
    }
    const passwords = [
      (await secretData(env, NS, 'alpha-app')).password,
      superuserPassword,
      (await secretData(env, NS, 'beta-app')).password,
      ...previousPasswords,
    ].filter((p): p is string => p !== undefined && p !== '');
    assert.equal(passwords.length, 5);
    const logs = filesUnder(join(env.runtime.dir, 'pods')).filter((f) => f.endsWith('.log'));
    assert.ok(logs.length >= 3, 'pod logs found');
    const texts: [string, string][] = [
      ['operator log', env.operatorLog.join('')],
      ['command output', commandOutput.join('\n')],
      ...logs.map((f): [string, string] => [f, readText(f)]),
    ];
    for (const [where, text] of texts) {
      for (const password of passwords) assert.equal(text.includes(password), false, `a password appears in ${where}`);
    }
  });

  async function replaceServerSecret(pair: KeyPair): Promise<void> {
    const secret = await env.core.readNamespacedSecret({ name: 'alpha-server', namespace: NS });
    secret.data = {
      'tls.crt': Buffer.from(pair.certPem).toString('base64'),
      'tls.key': Buffer.from(pair.keyPem).toString('base64'),
    };
    await env.core.replaceNamespacedSecret({ name: 'alpha-server', namespace: NS, body: secret });
  }
});
