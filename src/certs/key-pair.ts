// Making certificates as upstream's pkg/certs does: a self-signed CA per cluster, leaf certificates
// for servers and clients signed by it, renewal that keeps the key, and the operator's in-memory
// self-signed client certificate. Everything is ECDSA P-256 (milliseconds to generate), PEM
// encoded, with keys as SEC1 `EC PRIVATE KEY` blocks like upstream's secrets.
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** A certificate with its private key, both PEM. */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export type LeafUsage = 'server' | 'client';

/** Upstream's defaults (operator configuration CERTIFICATE_DURATION and EXPIRING_CHECK_THRESHOLD). */
export const CERTIFICATE_DURATION_DAYS = 90;
export const EXPIRING_THRESHOLD_DAYS = 7;

const DAY_MS = 24 * 3600 * 1000;
/** Certificates start a little in the past so that clocks slightly behind accept them. */
const BACKDATE_MS = 5 * 60 * 1000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The key types @peculiar/x509 takes (WebCrypto's, which this project's `lib` does not declare). */
type CryptoKeys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type PrivateCryptoKey = CryptoKeys['privateKey'];
type PublicCryptoKey = CryptoKeys['publicKey'];

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** From a few minutes ago to `days` from then (upstream's rule). */
export function validityFrom(now: Date, days = CERTIFICATE_DURATION_DAYS): Validity {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

async function newKeys(): Promise<CryptoKeys> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeys;
}

async function keyPem(key: PrivateCryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ type: 'sec1', format: 'pem' })
    .toString();
}

/** The key of a PEM private key (SEC1 or PKCS#8) and its public half, as WebCrypto keys. */
function importKeys(pem: string): CryptoKeys {
  const privateKey = createPrivateKey(pem);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  return {
    privateKey: privateKey.toCryptoKey(algorithm, true, ['sign']) as unknown as PrivateCryptoKey,
    publicKey: createPublicKey(privateKey).toCryptoKey(algorithm, true, ['verify']) as unknown as PublicCryptoKey,
  };
}

/** A positive 128-bit serial number, as upstream draws them. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** RFC 4514 escaping of a distinguished name attribute value. */
function dnValue(value: string): string {
  return value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

async function selfSignedCa(keys: CryptoKeys, commonName: string, unit: string, validity: Validity) {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${dnValue(commonName)}, OU=${dnValue(unit)}`,
    ...validity,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

/** A self-signed CA named `CN=<commonName>, OU=<unit>` (upstream: the cluster and its namespace). */
export async function createRootCA(
  commonName: string,
  unit: string,
  now = new Date(),
  days = CERTIFICATE_DURATION_DAYS,
): Promise<KeyPair> {
  const keys = await newKeys();
  const cert = await selfSignedCa(keys, commonName, unit, validityFrom(now, days));
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

export interface LeafRequest {
  commonName: string;
  usage: LeafUsage;
  /** Names a server certificate is valid for, besides its common name. */
  altNames?: readonly string[];
}

/** The SANs of a leaf: for a server, the common name (split on commas, IPs apart) and `altNames`. */
export function subjectAltNames(req: LeafRequest): string[] {
  if (req.usage !== 'server') return [];
  return [...new Set([...(req.altNames ?? []), ...req.commonName.split(',')].filter((n) => n !== ''))];
}

async function issueLeaf(
  ca: KeyPair,
  req: LeafRequest,
  publicKey: PublicCryptoKey,
  validity: Validity,
): Promise<x509.X509Certificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = importKeys(ca.keyPem);
  const names = subjectAltNames(req);
  const usages =
    x509.KeyUsageFlags.digitalSignature |
    x509.KeyUsageFlags.keyAgreement |
    (req.usage === 'server' ? x509.KeyUsageFlags.keyEncipherment : 0);
  return x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${dnValue(req.commonName)}`,
    issuer: caCert.subject,
    ...validity,
    publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([
        req.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      ...(names.length > 0
        ? [
            new x509.SubjectAlternativeNameExtension(
              names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
            ),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
}

/** A new key and a certificate for it signed by `ca` (which must carry its key). */
export async function createLeaf(
  ca: KeyPair,
  req: LeafRequest,
  now = new Date(),
  days = CERTIFICATE_DURATION_DAYS,
): Promise<KeyPair> {
  const keys = await newKeys();
  const cert = await issueLeaf(ca, req, keys.publicKey, validityFrom(now, days));
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/**
 * A new certificate for the key of `leaf`, signed by `ca`, valid from now: upstream renews
 * certificates without changing keys, so what pinned the key keeps working.
 */
export async function renewLeaf(ca: KeyPair, leaf: KeyPair, req: LeafRequest, now = new Date()): Promise<KeyPair> {
  const cert = await issueLeaf(ca, req, importKeys(leaf.keyPem).publicKey, validityFrom(now));
  return { certPem: cert.toString('pem'), keyPem: leaf.keyPem };
}

/** The CA `ca` again, same key and name, valid from now. */
export async function renewRootCA(ca: KeyPair, now = new Date()): Promise<KeyPair> {
  const current = new x509.X509Certificate(ca.certPem);
  const cn = current.subjectName.getField('CN')[0] ?? '';
  const ou = current.subjectName.getField('OU')[0] ?? '';
  const cert = await selfSignedCa(importKeys(ca.keyPem), cn, ou, validityFrom(now));
  return { certPem: cert.toString('pem'), keyPem: ca.keyPem };
}

/**
 * A self-signed client certificate that lives in memory only: trust in it comes from pinning its
 * public key's fingerprint, not from a CA or its dates (upstream's operator client certificate).
 */
export async function createSelfSignedClientCertificate(commonName: string, now = new Date()): Promise<KeyPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${dnValue(commonName)}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    // RFC 5280's "no well-defined expiration date".
    notAfter: new Date(Date.UTC(9999, 11, 31, 23, 59, 59)),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}
