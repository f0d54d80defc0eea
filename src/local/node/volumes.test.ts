import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { ObjectSource } from './env.ts';
import {
  claimDir,
  hostPath,
  PodFilesystem,
  podRootAlias,
  removePodRootAliases,
  VolumeNotReadyError,
} from './volumes.ts';

describe('pod filesystem', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpg-vol-'));
  after(() => {
    removePodRootAliases(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const secrets = new Map([
    [
      'tls',
      new Map([
        ['tls.crt', Buffer.from('CERT')],
        ['tls.key', Buffer.from('KEY')],
      ]),
    ],
  ]);
  const objects: ObjectSource = {
    secret: async (_ns, name) => secrets.get(name),
    configMap: async () => undefined,
  };
  const tokens = { caCertPem: 'CA', token: async (ns: string, sa: string) => `token-for-${ns}/${sa}` };
  const pod: V1Pod = {
    metadata: { name: 'p-1', namespace: 'ns', labels: { app: 'x' } },
    spec: {
      serviceAccountName: 'robot',
      containers: [
        {
          name: 'main',
          volumeMounts: [
            { name: 'data', mountPath: '/var/lib/postgresql/data' },
            { name: 'scratch', mountPath: '/controller' },
            { name: 'scratch', mountPath: '/controller/run', subPath: 'run' },
            { name: 'certs', mountPath: '/certs' },
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'p-1' } },
        { name: 'scratch', emptyDir: {} },
        {
          name: 'certs',
          secret: {
            secretName: 'tls',
            defaultMode: 0o640,
            items: [{ key: 'tls.key', path: 'private/key', mode: 0o600 }],
          },
        },
      ],
    },
  };

  it('waits for an unbound claim', async () => {
    const fs = new PodFilesystem({ dataDir, pod, user: undefined, objects, tokens });
    await assert.rejects(fs.prepare(pod.spec?.containers ?? []), VolumeNotReadyError);
  });

  it('links mounts under the pod root, projects files with their modes, adds the service account', async () => {
    mkdirSync(claimDir(dataDir, 'ns', 'p-1'), { recursive: true });
    const fs = new PodFilesystem({ dataDir, pod, user: undefined, objects, tokens });
    await fs.prepare(pod.spec?.containers ?? []);
    const root = join(dataDir, 'pods', 'ns', 'p-1');
    assert.equal(fs.root, root);
    assert.equal(readlinkSync(hostPath(root, '/var/lib/postgresql/data')), claimDir(dataDir, 'ns', 'p-1'));
    assert.equal(readlinkSync(join(root, 'controller')), join(root, '.volumes', 'scratch'));
    assert.equal(readlinkSync(join(root, 'controller', 'run')), join(root, '.volumes', 'scratch', 'run'));
    const key = join(root, 'certs', 'private', 'key');
    assert.equal(readFileSync(key, 'utf8'), 'KEY');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(existsSync(join(root, 'certs', 'tls.crt')), false);
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    assert.equal(readFileSync(join(sa, 'token'), 'utf8'), 'token-for-ns/robot');
    assert.equal(readFileSync(join(sa, 'ca.crt'), 'utf8'), 'CA');
    assert.equal(readFileSync(join(sa, 'namespace'), 'utf8'), 'ns');

    // Data written through a mount lands in the claim, which outlives the pod directory.
    writeFileSync(join(root, 'var/lib/postgresql/data/PG_VERSION'), '15');
    fs.remove();
    assert.equal(existsSync(root), false);
    assert.equal(readFileSync(join(claimDir(dataDir, 'ns', 'p-1'), 'PG_VERSION'), 'utf8'), '15');
  });

  it('refreshes projected files and drops keys that went away', async () => {
    const fs = new PodFilesystem({
      dataDir,
      pod: {
        ...pod,
        spec: {
          ...pod.spec,
          containers: pod.spec?.containers ?? [],
          volumes: [{ name: 'certs', secret: { secretName: 'tls' } }],
        },
      },
      user: undefined,
      objects,
      tokens,
    });
    await fs.prepare([{ name: 'main', volumeMounts: [{ name: 'certs', mountPath: '/certs' }] }]);
    const dir = join(fs.root, 'certs');
    assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), 'CERT');
    assert.equal(statSync(join(dir, 'tls.crt')).mode & 0o777, 0o644);
    secrets.set('tls', new Map([['tls.crt', Buffer.from('NEW')]]));
    await fs.refresh();
    assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), 'NEW');
    assert.equal(existsSync(join(dir, 'tls.key')), false);
  });

  it('gives the pod a short root, so its socket paths fit the 107-byte limit whatever the names', async () => {
    const longDir = join(dataDir, 'a-data-directory-whose-name-alone-takes-most-of-the-room'.repeat(2));
    const name = `${'cluster-example-pod-selector-refs'.repeat(2)}-1-initdb-x7k2q`;
    const longPod: V1Pod = {
      metadata: { name, namespace: 'n'.repeat(63) },
      spec: {
        containers: [{ name: 'postgres', volumeMounts: [{ name: 'scratch', mountPath: '/controller' }] }],
        volumes: [{ name: 'scratch', emptyDir: {} }],
        automountServiceAccountToken: false,
      },
    };
    const fs = new PodFilesystem({ dataDir: longDir, pod: longPod, user: undefined, objects, tokens });
    await fs.prepare(longPod.spec?.containers ?? []);
    const socket = '/controller/run/.s.PGSQL.5432';
    assert.ok(Buffer.byteLength(hostPath(fs.root, socket)) > 107, 'the real root is too long for a socket');
    assert.ok(Buffer.byteLength(hostPath(fs.alias, socket)) < 70, hostPath(fs.alias, socket));
    assert.equal(fs.alias, podRootAlias(fs.root));
    assert.equal(readlinkSync(fs.alias), fs.root);
    // A path through the alias reaches the pod's storage.
    mkdirSync(hostPath(fs.alias, '/controller/run'));
    assert.ok(existsSync(join(fs.root, '.volumes', 'scratch', 'run')));

    removePodRootAliases(longDir);
    assert.equal(existsSync(fs.alias), false);
    await fs.prepare(longPod.spec?.containers ?? []);
    assert.equal(readlinkSync(fs.alias), fs.root);
    fs.remove();
    assert.throws(() => readlinkSync(fs.alias), /ENOENT/);
    assert.equal(existsSync(fs.root), false);
  });

  it('skips the service account volume when automount is off', () => {
    const fs = new PodFilesystem({
      dataDir,
      pod: { ...pod, spec: { ...pod.spec, containers: [], automountServiceAccountToken: false } },
      user: undefined,
      objects,
      tokens,
    });
    assert.equal(
      fs.volumes().some((v) => v.name === 'kube-api-access'),
      false,
    );
  });
});
