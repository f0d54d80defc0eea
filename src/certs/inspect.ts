// Reading certificates: their dates and names, whether one is about to expire (upstream's renewal
// rule), whether a leaf was issued by a CA for a given use, whether a key belongs to a certificate,
// and the SHA-256 fingerprint of a public key that pins the operator's client certificate.
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { EXPIRING_THRESHOLD_DAYS, type KeyPair, type LeafUsage } from './key-pair.ts';

const DAY_MS = 24 * 3600 * 1000;
const EXTENDED_KEY_USAGE: Record<LeafUsage, string> = {
  server: '1.3.6.1.5.5.7.3.1',
  client: '1.3.6.1.5.5.7.3.2',
};

/** The certificate of a PEM (the first block) or DER; throws a readable error on garbage. */
export function parseCertificate(cert: string | Buffer, what = 'certificate'): X509Certificate {
  try {
    return new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${what} is not a valid X.509 certificate: ${(err as Error).message}`);
  }
}

/** The DNS names and IP addresses a certificate is valid for. */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((name) => name !== '');
}

/**
 * Upstream's rule: a certificate is expiring (and gets renewed) when it is not valid yet, or ends
 * within the threshold (7 days by default).
 */
export function isExpiring(cert: X509Certificate, now = new Date(), thresholdDays = EXPIRING_THRESHOLD_DAYS): boolean {
  if (now < cert.validFromDate) return true;
  return now.getTime() + thresholdDays * DAY_MS > cert.validToDate.getTime();
}

/** Why `leaf` cannot be used as a `usage` certificate of `ca` now, or undefined when it can. */
export function leafProblem(
  leaf: X509Certificate,
  ca: X509Certificate,
  usage: LeafUsage,
  now = new Date(),
): string | undefined {
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return 'it is not signed by the CA';
  if (now < leaf.validFromDate) return `it is not valid before ${leaf.validFromDate.toISOString()}`;
  if (now > leaf.validToDate) return `it expired on ${leaf.validToDate.toISOString()}`;
  const usages = leaf.keyUsage;
  if (usages !== undefined && usages.length > 0 && !usages.includes(EXTENDED_KEY_USAGE[usage])) {
    return `it is not a ${usage} certificate (extended key usage)`;
  }
  return undefined;
}

/** Whether the private key of `pair` is the key of its certificate. */
export function keyMatches(pair: KeyPair): boolean {
  try {
    const fromKey = createPublicKey(pair.keyPem).export({ type: 'spki', format: 'der' });
    const fromCert = parseCertificate(pair.certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** Hex SHA-256 of the certificate's SubjectPublicKeyInfo: stable across renewals with the same key. */
export function publicKeyFingerprint(cert: X509Certificate | string | Buffer): string {
  const parsed = cert instanceof X509Certificate ? cert : parseCertificate(cert);
  return createHash('sha256')
    .update(parsed.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A time as Go's time.Time String() prints it in UTC, the format upstream's status uses. */
export function goTimeString(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
