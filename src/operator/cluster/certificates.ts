// The cluster's PKI, as upstream's setupPostgresPKI: the server CA and client CA (one `<cluster>-ca`
// unless the user names their own), the server certificate `<cluster>-server` for the services'
// names, and the `streaming_replica` client certificate `<cluster>-replication`. Generated ones are
// renewed (same key) when they get within 7 days of expiry, when the names change, or when their CA
// changed; user-provided ones are only checked. The outcome goes to `status.certificates` (names and
// expirations) with the operator's client certificate fingerprint, and this pass's instance client
// is bound to the cluster's CA.
import type { V1Secret } from '@kubernetes/client-node';
import type { X509Certificate } from 'node:crypto';
import type { CertificatesStatus, Cluster } from '../../api/v1/cluster-types.ts';
import { deepEqual } from '../../api/v1/schema-kit.ts';
import { goTimeString, isExpiring, keyMatches, leafProblem, parseCertificate } from '../../certs/inspect.ts';
import {
  createLeaf,
  createRootCA,
  type KeyPair,
  type LeafRequest,
  type LeafUsage,
  renewLeaf,
  renewRootCA,
} from '../../certs/key-pair.ts';
import { isNotFound } from '../../kube/patch.ts';
import { STREAMING_REPLICA_USER } from '../../postgres/configuration.ts';
import {
  buildCASecret,
  buildTLSSecret,
  CA_CERT_KEY,
  CA_KEY_KEY,
  clusterAltDNSNames,
  secretText,
  TLS_CERT_KEY,
  TLS_KEY_KEY,
} from '../specs/certificates.ts';
import {
  clientCASecretName,
  replicationSecretName,
  serverCASecretName,
  serverTLSSecretName,
  serviceReadWriteName,
} from '../specs/names.ts';
import { applyObject } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import { writeStatus } from './status-writer.ts';

interface CA {
  name: string;
  cert: X509Certificate;
  certPem: string;
  /** Present for the CAs that sign the certificates the operator generates. */
  pair?: KeyPair;
}

interface Leaf {
  name: string;
  cert: X509Certificate;
}

async function readSecret(ctx: ClusterContext, name: string): Promise<V1Secret | undefined> {
  try {
    return await ctx.core.readNamespacedSecret({ name, namespace: ctx.namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function pairOf(secret: V1Secret, certKey: string, keyKey: string): KeyPair | undefined {
  const certPem = secretText(secret, certKey);
  const keyPem = secretText(secret, keyKey);
  return certPem === undefined || keyPem === undefined ? undefined : { certPem, keyPem };
}

/** An operator-generated CA: created when missing, renewed when expiring. */
async function ensureGeneratedCA(ctx: ClusterContext, name: string): Promise<CA> {
  const secret = await readSecret(ctx, name);
  let pair: KeyPair;
  if (secret === undefined) {
    pair = await createRootCA(ctx.name, ctx.namespace);
    await applyObject(ctx, buildCASecret(ctx.cluster, name, pair, ctx.inheritance));
  } else {
    const stored = pairOf(secret, CA_CERT_KEY, CA_KEY_KEY);
    if (stored === undefined) throw new Error(`CA secret ${name} lacks ${CA_CERT_KEY} or ${CA_KEY_KEY}`);
    if (!keyMatches(stored)) throw new Error(`CA secret ${name}: ${CA_KEY_KEY} is not the key of ${CA_CERT_KEY}`);
    pair = stored;
    if (isExpiring(parseCertificate(pair.certPem, `${CA_CERT_KEY} of secret ${name}`))) {
      pair = await renewRootCA(pair);
      await applyObject(ctx, buildCASecret(ctx.cluster, name, pair, ctx.inheritance));
      ctx.log.info({ secret: name }, 'CA certificate renewed');
      clusterEvent(ctx, 'Normal', 'CertificateRenewed', `Renewed the CA certificate of secret ${name}: expiring`);
    }
  }
  return { name, cert: parseCertificate(pair.certPem), certPem: pair.certPem, pair };
}

/** A CA the user provides: it must exist, and carry its key when it signs what the operator generates. */
async function userCA(ctx: ClusterContext, name: string, what: string, needsKey: boolean): Promise<CA> {
  const secret = await readSecret(ctx, name);
  if (secret === undefined) throw new Error(`missing specified ${what} secret ${name}`);
  const certPem = secretText(secret, CA_CERT_KEY);
  if (certPem === undefined) throw new Error(`missing ${CA_CERT_KEY} secret data in ${what} secret ${name}`);
  const cert = parseCertificate(certPem, `${CA_CERT_KEY} of ${what} secret ${name}`);
  if (isExpiring(cert)) {
    ctx.log.warn({ secret: name }, 'CA certificate is expiring or is already expired');
    clusterEvent(ctx, 'Warning', 'SecretIsExpiring', `Checking expiring date of secret ${name}`);
  }
  if (!needsKey) return { name, cert, certPem };
  const pair = pairOf(secret, CA_CERT_KEY, CA_KEY_KEY);
  if (pair === undefined) throw new Error(`missing ${CA_KEY_KEY} secret data in ${what} secret ${name}`);
  if (!keyMatches(pair)) throw new Error(`${what} secret ${name}: ${CA_KEY_KEY} is not the key of ${CA_CERT_KEY}`);
  return { name, cert, certPem, pair };
}

function sameNames(cert: X509Certificate, req: LeafRequest): boolean {
  if (req.usage !== 'server') return true;
  const want = new Set([...(req.altNames ?? []), req.commonName]);
  const have = (cert.subjectAltName ?? '').split(', ').map((e) => e.replace(/^(DNS|IP Address):/, ''));
  return have.length === want.size && have.every((n) => want.has(n));
}

/**
 * An operator-generated leaf: created when missing or unusable, a new certificate for its key when
 * expiring, signed by another CA, or naming other hosts.
 */
async function ensureGeneratedLeaf(ctx: ClusterContext, name: string, ca: CA, req: LeafRequest): Promise<Leaf> {
  const signer = ca.pair as KeyPair;
  const secret = await readSecret(ctx, name);
  const stored = secret === undefined ? undefined : pairOf(secret, TLS_CERT_KEY, TLS_KEY_KEY);
  let pair: KeyPair;
  if (stored === undefined || !keyMatches(stored)) {
    pair = await createLeaf(signer, req);
    if (secret !== undefined) ctx.log.warn({ secret: name }, 'certificate secret unusable: generating a new one');
  } else {
    const cert = parseCertificate(stored.certPem);
    const reason = leafProblem(cert, ca.cert, req.usage)
      ? 'not signed by the current CA'
      : isExpiring(cert)
        ? 'expiring'
        : sameNames(cert, req)
          ? undefined
          : 'names changed';
    if (reason === undefined) return { name, cert };
    pair = await renewLeaf(signer, stored, req);
    ctx.log.info({ secret: name, reason }, 'certificate renewed');
    clusterEvent(ctx, 'Normal', 'CertificateRenewed', `Renewed the certificate of secret ${name}: ${reason}`);
  }
  await applyObject(ctx, buildTLSSecret(ctx.cluster, name, pair, ctx.inheritance));
  return { name, cert: parseCertificate(pair.certPem) };
}

/** A leaf the user provides: it must exist, match its key, and be valid for its use under `ca`. */
async function userLeaf(ctx: ClusterContext, name: string, what: string, ca: CA, usage: LeafUsage): Promise<Leaf> {
  const secret = await readSecret(ctx, name);
  if (secret === undefined) throw new Error(`missing specified ${what} secret ${name}`);
  const pair = pairOf(secret, TLS_CERT_KEY, TLS_KEY_KEY);
  if (pair === undefined) throw new Error(`${what} secret ${name} lacks ${TLS_CERT_KEY} or ${TLS_KEY_KEY}`);
  if (!keyMatches(pair)) throw new Error(`${what} secret ${name}: ${TLS_KEY_KEY} is not the key of ${TLS_CERT_KEY}`);
  const cert = parseCertificate(pair.certPem, `${TLS_CERT_KEY} of ${what} secret ${name}`);
  const problem = leafProblem(cert, ca.cert, usage);
  if (problem !== undefined) throw new Error(`${what} secret ${name} cannot be used: ${problem} (${ca.name})`);
  return { name, cert };
}

export async function reconcileCertificates(ctx: ClusterContext): Promise<void> {
  const cluster = ctx.cluster;
  const own = cluster.spec.certificates ?? {};
  const altNames = clusterAltDNSNames(cluster);

  const serverCAName = serverCASecretName(cluster);
  const serverCA = own.serverCASecret
    ? await userCA(ctx, serverCAName, 'server CA', !own.serverTLSSecret)
    : await ensureGeneratedCA(ctx, serverCAName);
  const serverRequest: LeafRequest = { commonName: serviceReadWriteName(ctx.name), usage: 'server', altNames };
  const server = own.serverTLSSecret
    ? await userLeaf(ctx, serverTLSSecretName(cluster), 'server TLS', serverCA, 'server')
    : await ensureGeneratedLeaf(ctx, serverTLSSecretName(cluster), serverCA, serverRequest);

  const clientCAName = clientCASecretName(cluster);
  const clientCA =
    clientCAName === serverCAName
      ? serverCA
      : own.clientCASecret
        ? await userCA(ctx, clientCAName, 'client CA', !own.replicationTLSSecret)
        : await ensureGeneratedCA(ctx, clientCAName);
  const replicationRequest: LeafRequest = { commonName: STREAMING_REPLICA_USER, usage: 'client' };
  const replication = own.replicationTLSSecret
    ? await userLeaf(ctx, replicationSecretName(cluster), 'streaming replication client TLS', clientCA, 'client')
    : await ensureGeneratedLeaf(ctx, replicationSecretName(cluster), clientCA, replicationRequest);

  const expirations: Record<string, string> = {};
  for (const { name, cert } of [serverCA, server, clientCA, replication]) {
    expirations[name] = goTimeString(cert.validToDate);
  }
  const certificates: CertificatesStatus = {
    serverCASecret: serverCAName,
    serverTLSSecret: server.name,
    clientCASecret: clientCAName,
    replicationTLSSecret: replication.name,
    serverAltDNSNames: altNames,
    expirations,
  };
  await publishCertificates(ctx, certificates, await ctx.instances.fingerprint());
  ctx.instances = ctx.instances.withServerCA(serverCA.certPem);
}

async function publishCertificates(ctx: ClusterContext, certificates: CertificatesStatus, fingerprint: string) {
  const status = ctx.cluster.status;
  if (deepEqual(status?.certificates, certificates) && status?.operatorCertificateFingerprint === fingerprint) return;
  const stored = await writeStatus(ctx.objects, ctx.cluster, {
    certificates,
    operatorCertificateFingerprint: fingerprint,
  });
  ctx.cluster = { ...ctx.cluster, status: stored.status } as Cluster;
}

/** The CA instances' certificates chain to, for clients of their API outside a reconcile (`cnpg status`). */
export async function clusterServerCA(core: ClusterContext['core'], cluster: Cluster): Promise<string | undefined> {
  const name = cluster.status?.certificates?.serverCASecret ?? serverCASecretName(cluster);
  const secret = await core.readNamespacedSecret({ name, namespace: cluster.metadata?.namespace ?? '' });
  return secretText(secret, CA_CERT_KEY);
}
