// The API server's TLS material: a self-signed CA (ECDSA P-256) made at first start and a serving
// certificate signed by it for 127.0.0.1, localhost and the address the server listens on, all kept
// under `<data-dir>/apiserver/pki` and reused (the serving certificate is reissued when the address
// changes, so clients keep trusting the same CA).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLeaf, createRootCA } from '../../certs/key-pair.ts';

export interface ServerPki {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

/** The local runtime's CA and serving certificate outlive any session: no rotation to manage. */
const VALIDITY_DAYS = 10 * 365;

/** Loads the PKI of `dir`, creating the CA on first use and the serving certificate for `host`. */
export async function loadOrCreatePki(dir: string, host: string): Promise<ServerPki> {
  const path = (f: string) => join(dir, f);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path('ca.crt')) || !existsSync(path('ca.key'))) {
    const ca = await createRootCA('cnpg-local-ca', 'cnpg-local', new Date(), VALIDITY_DAYS);
    writeFileSync(path('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(path('ca.crt'), ca.certPem, { mode: 0o644 });
  }
  const caCertPem = readFileSync(path('ca.crt'), 'utf8');
  const hosts = [...new Set(['127.0.0.1', 'localhost', host])];
  const hostsText = hosts.join(',');
  const current = existsSync(path('server.hosts')) ? readFileSync(path('server.hosts'), 'utf8') : '';
  if (current !== hostsText || !existsSync(path('server.crt')) || !existsSync(path('server.key'))) {
    const ca = { certPem: caCertPem, keyPem: readFileSync(path('ca.key'), 'utf8') };
    const server = await createLeaf(
      ca,
      { commonName: 'cnpg-local-apiserver', usage: 'server', altNames: hosts },
      new Date(),
      VALIDITY_DAYS,
    );
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
