// PersistentVolumeClaims on this machine: each claim is bound at once (no PersistentVolume
// object: `spec.volumeName` names the claim's directory) to `<dataDir>/volumes/<ns>/<claim>/`,
// which outlives pods and is removed with the claim. Capacity is what was requested.
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { podProcessUser } from '../../postgres/os-user.ts';
import { apiErrorMessage, isNotFound } from '../../kube/patch.ts';
import { MERGE_PATCH, startInformer, type WatchedCache } from './kube.ts';
import { claimDir } from './volumes.ts';

/** The name a bound claim's volume gets (there is no PersistentVolume object behind it). */
export const volumeNameFor = (claim: V1PersistentVolumeClaim): string => `local-${claim.metadata?.uid ?? ''}`;

export class ClaimBinder {
  readonly #kc: KubeConfig;
  readonly #core: CoreV1Api;
  readonly #dataDir: string;
  readonly #log: Logger;
  #informer: WatchedCache<V1PersistentVolumeClaim> | undefined;

  constructor(kc: KubeConfig, dataDir: string, log: Logger) {
    this.#kc = kc;
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#dataDir = dataDir;
    this.#log = log;
  }

  async start(): Promise<void> {
    this.#informer = await startInformer<V1PersistentVolumeClaim>(
      this.#kc,
      '/api/v1/persistentvolumeclaims',
      () => this.#core.listPersistentVolumeClaimForAllNamespaces(),
      this.#log,
      (inf) => {
        inf.on('add', (c) => void this.#bind(c));
        inf.on('update', (c) => void this.#bind(c));
        inf.on('delete', (c) => this.#release(c));
      },
    );
    this.#removeOrphans(this.#informer.list());
  }

  async stop(): Promise<void> {
    await this.#informer?.stop();
  }

  async #bind(claim: V1PersistentVolumeClaim): Promise<void> {
    const namespace = claim.metadata?.namespace ?? 'default';
    const name = claim.metadata?.name ?? '';
    if (claim.metadata?.deletionTimestamp !== undefined) return;
    const dir = claimDir(this.#dataDir, namespace, name);
    if (!existsSync(dir)) {
      for (const d of [join(this.#dataDir, 'volumes'), join(this.#dataDir, 'volumes', namespace)]) {
        mkdirSync(d, { recursive: true, mode: 0o755 });
      }
      mkdirSync(dir, { mode: 0o700 });
      // The pods' processes own their claims (see pod-worker: one unprivileged user when root).
      const user = podProcessUser();
      if (user !== undefined) chownSync(dir, user.uid, user.gid);
      this.#log.info({ namespace, claim: name, dir }, 'claim directory created');
    }
    const volumeName = volumeNameFor(claim);
    const requested = claim.spec?.resources?.requests?.storage;
    const bound =
      claim.spec?.volumeName === volumeName &&
      claim.status?.phase === 'Bound' &&
      String(claim.status.capacity?.storage) === String(requested);
    if (bound) return;
    try {
      if (claim.spec?.volumeName !== volumeName) {
        await this.#core.patchNamespacedPersistentVolumeClaim(
          { name, namespace, body: { spec: { volumeName } } },
          MERGE_PATCH,
        );
      }
      await this.#core.patchNamespacedPersistentVolumeClaimStatus(
        {
          name,
          namespace,
          body: {
            status: {
              phase: 'Bound',
              accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
              ...(requested === undefined ? {} : { capacity: { storage: requested } }),
            },
          },
        },
        MERGE_PATCH,
      );
    } catch (err) {
      if (!isNotFound(err)) this.#log.warn({ namespace, claim: name, err: apiErrorMessage(err) }, 'cannot bind claim');
    }
  }

  #release(claim: V1PersistentVolumeClaim): void {
    const namespace = claim.metadata?.namespace ?? 'default';
    const name = claim.metadata?.name ?? '';
    // A claim recreated under the same name meanwhile keeps its (new) directory.
    const current = this.#informer?.get(name, namespace);
    if (current !== undefined && current.metadata?.uid !== claim.metadata?.uid) return;
    rmSync(claimDir(this.#dataDir, namespace, name), { recursive: true, force: true });
    this.#log.info({ namespace, claim: name }, 'claim directory removed');
  }

  /** Directories of claims deleted while the runtime was down. */
  #removeOrphans(claims: readonly V1PersistentVolumeClaim[]): void {
    const root = join(this.#dataDir, 'volumes');
    if (!existsSync(root)) return;
    const live = new Set(claims.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`));
    for (const ns of readdirSync(root)) {
      for (const name of readdirSync(join(root, ns))) {
        if (!live.has(`${ns}/${name}`)) rmSync(join(root, ns, name), { recursive: true, force: true });
      }
    }
  }
}
