// The API server's TLS material: a self-signed CA (ECDSA P-256) made at first start and a serving
// certificate signed by it for 127.0.0.1, localhost and the address the server listens on, all kept
// under `<data-dir>/apiserver/pki` and reused (the serving certificate is reissued when the address
// changes, so clients keep trusting the same CA).
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export interface ServerPki {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The key types @peculiar/x509 takes (WebCrypto's, which this project's `lib` does not declare). */
type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type PrivateKey = KeyPair['privateKey'];

async function keyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as KeyPair;
}

async function privateKeyPem(key: PrivateKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importPrivateKey(pem: string): Promise<PrivateKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return (await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign'])) as unknown as PrivateKey;
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=cnpg-local-ca',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: ca.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

async function createServerCert(
  caCertPem: string,
  caKeyPem: string,
  hosts: string[],
): Promise<{ certPem: string; keyPem: string }> {
  const ca = new x509.X509Certificate(caCertPem);
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=cnpg-local-apiserver',
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(caKeyPem),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => (isIP(h) ? { type: 'ip', value: h } : { type: 'dns', value: h })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(await ca.publicKey.export()),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Loads the PKI of `dir`, creating the CA on first use and the serving certificate for `host`. */
export async function loadOrCreatePki(dir: string, host: string): Promise<ServerPki> {
  const path = (f: string) => join(dir, f);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path('ca.crt')) || !existsSync(path('ca.key'))) {
    const ca = await createCa();
    writeFileSync(path('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(path('ca.crt'), ca.certPem, { mode: 0o644 });
  }
  const caCertPem = readFileSync(path('ca.crt'), 'utf8');
  const hosts = [...new Set(['127.0.0.1', 'localhost', host])];
  const hostsText = hosts.join(',');
  const current = existsSync(path('server.hosts')) ? readFileSync(path('server.hosts'), 'utf8') : '';
  if (current !== hostsText || !existsSync(path('server.crt')) || !existsSync(path('server.key'))) {
    const server = await createServerCert(caCertPem, readFileSync(path('ca.key'), 'utf8'), hosts);
    writeFileSync(path('server.key'), server.keyPem, { mode: 0o600 });
    writeFileSync(path('server.crt'), server.certPem, { mode: 0o644 });
    writeFileSync(path('server.hosts'), hostsText, { mode: 0o644 });
  }
  return {
    caCertPem,
    certPem: readFileSync(path('server.crt'), 'utf8'),
    keyPem: readFileSync(path('server.key'), 'utf8'),
  };
}
