import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createLeaf,
  createRootCA,
  createSelfSignedClientCertificate,
  renewLeaf,
  renewRootCA,
  subjectAltNames,
} from './key-pair.ts';
import {
  certificateNames,
  goTimeString,
  isExpiring,
  keyMatches,
  leafProblem,
  parseCertificate,
  publicKeyFingerprint,
} from './inspect.ts';

const DAY = 24 * 3600 * 1000;

test('a cluster CA signs server and client certificates for their use only', async () => {
  const ca = await createRootCA('pg', 'default');
  assert.match(ca.keyPem, /^-----BEGIN EC PRIVATE KEY-----/);
  const caCert = parseCertificate(ca.certPem);
  assert.equal(caCert.ca, true);
  assert.match(caCert.subject, /CN=pg/);
  assert.match(caCert.subject, /OU=default/);

  const server = await createLeaf(ca, { commonName: 'pg-rw', usage: 'server', altNames: ['pg-rw.default', 'pg-r'] });
  const client = await createLeaf(ca, { commonName: 'streaming_replica', usage: 'client' });
  const serverCert = parseCertificate(server.certPem);
  const clientCert = parseCertificate(client.certPem);
  assert.deepEqual(certificateNames(serverCert).sort(), ['pg-r', 'pg-rw', 'pg-rw.default']);
  assert.deepEqual(certificateNames(clientCert), []);
  assert.match(clientCert.subject, /CN=streaming_replica/);
  assert.equal(keyMatches(server), true);
  assert.equal(keyMatches({ certPem: server.certPem, keyPem: client.keyPem }), false);

  const cases: [string, ReturnType<typeof parseCertificate>, 'server' | 'client', RegExp | undefined][] = [
    ['server as server', serverCert, 'server', undefined],
    ['client as client', clientCert, 'client', undefined],
    ['server as client', serverCert, 'client', /not a client certificate/],
    ['client as server', clientCert, 'server', /not a server certificate/],
  ];
  for (const [name, cert, usage, problem] of cases) {
    const found = leafProblem(cert, caCert, usage);
    if (problem === undefined) assert.equal(found, undefined, name);
    else assert.match(found ?? '', problem, name);
  }
});

test("another cluster's CA is refused as issuer", async () => {
  const [a, b] = await Promise.all([createRootCA('a', 'ns'), createRootCA('b', 'ns')]);
  const leaf = await createLeaf(a, { commonName: 'streaming_replica', usage: 'client' });
  assert.equal(leafProblem(parseCertificate(leaf.certPem), parseCertificate(a.certPem), 'client'), undefined);
  assert.match(
    leafProblem(parseCertificate(leaf.certPem), parseCertificate(b.certPem), 'client') ?? '',
    /not signed by the CA/,
  );
});

test('IP common names become IP SANs; duplicates collapse', () => {
  assert.deepEqual(subjectAltNames({ commonName: 'a,10.0.0.1', usage: 'server', altNames: ['a', 'b'] }), [
    'a',
    'b',
    '10.0.0.1',
  ]);
  assert.deepEqual(subjectAltNames({ commonName: 'x', usage: 'client', altNames: ['a'] }), []);
});

test('expiry rule: not yet valid, or ending within 7 days, is expiring', async () => {
  const now = new Date();
  const ca = await createRootCA('pg', 'ns', now);
  const cert = parseCertificate(ca.certPem);
  const table: [string, Date, boolean][] = [
    ['fresh', now, false],
    ['before notBefore', new Date(now.getTime() - DAY), true],
    ['82 days later', new Date(now.getTime() + 82 * DAY), false],
    ['84 days later (6 days left)', new Date(now.getTime() + 84 * DAY), true],
    ['expired', new Date(now.getTime() + 91 * DAY), true],
  ];
  for (const [name, at, expiring] of table) assert.equal(isExpiring(cert, at), expiring, name);
});

test('renewal keeps the key and extends the dates', async () => {
  const past = new Date(Date.now() - 88 * DAY);
  const ca = await createRootCA('pg', 'ns', past);
  const leaf = await createLeaf(ca, { commonName: 'pg-rw', usage: 'server' }, past);
  assert.equal(isExpiring(parseCertificate(leaf.certPem)), true);
  const renewedCa = await renewRootCA(ca);
  const renewed = await renewLeaf(renewedCa, leaf, { commonName: 'pg-rw', usage: 'server', altNames: ['x'] });
  assert.equal(renewed.keyPem, leaf.keyPem);
  assert.equal(publicKeyFingerprint(renewed.certPem), publicKeyFingerprint(leaf.certPem));
  assert.equal(isExpiring(parseCertificate(renewed.certPem)), false);
  assert.equal(isExpiring(parseCertificate(renewedCa.certPem)), false);
  assert.equal(publicKeyFingerprint(renewedCa.certPem), publicKeyFingerprint(ca.certPem));
  // The renewed CA still verifies leaves signed before its renewal: same name, same key.
  assert.equal(
    leafProblem(parseCertificate(renewed.certPem), parseCertificate(renewedCa.certPem), 'server'),
    undefined,
  );
  assert.ok(certificateNames(parseCertificate(renewed.certPem)).includes('x'));
});

test('the self-signed client certificate is pinned by its key fingerprint', async () => {
  const [a, b] = await Promise.all([
    createSelfSignedClientCertificate('cnpg-operator'),
    createSelfSignedClientCertificate('cnpg-operator'),
  ]);
  assert.match(publicKeyFingerprint(a.certPem), /^[0-9a-f]{64}$/);
  assert.notEqual(publicKeyFingerprint(a.certPem), publicKeyFingerprint(b.certPem));
  assert.equal(parseCertificate(a.certPem).validToDate.getUTCFullYear(), 9999);
});

test('Go time format of the status expirations', () => {
  assert.equal(goTimeString(new Date('2025-03-04T05:06:07.890Z')), '2025-03-04 05:06:07 +0000 UTC');
});

test('garbage is not a certificate', () => {
  assert.throws(() => parseCertificate('nope', 'tls.crt of secret x'), /tls.crt of secret x is not a valid X.509/);
});
