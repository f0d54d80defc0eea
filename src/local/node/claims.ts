// PersistentVolumeClaims on this machine: each claim is bound at once (no PersistentVolume
// object: `spec.volumeName` names the claim's directory) to `<dataDir>/volumes/<ns>/<claim>/`,
// which outlives pods and is removed with the claim. Capacity is what was requested. As
// Kubernetes' pvc-protection controller does, a deleted claim stays (finalizer) until no pod that
// is not terminated mounts it, so a stopping PostgreSQL never writes into a removed directory.
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { podProcessUser } from '../../postgres/os-user.ts';
import { apiErrorMessage, isNotFound } from '../../kube/patch.ts';
import { PVC_PROTECTION_FINALIZER } from '../apiserver/builtin-admission.ts';
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
  #pods: WatchedCache<V1Pod> | undefined;

  constructor(kc: KubeConfig, dataDir: string, log: Logger) {
    this.#kc = kc;
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#dataDir = dataDir;
    this.#log = log;
  }

  async start(): Promise<void> {
    this.#pods = await startInformer<V1Pod>(
      this.#kc,
      '/api/v1/pods',
      () => this.#core.listPodForAllNamespaces(),
      this.#log,
      (inf) => {
        inf.on('update', (p) => this.#releaseUnusedIn(p.metadata?.namespace));
        inf.on('delete', (p) => this.#releaseUnusedIn(p.metadata?.namespace));
      },
    );
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
    for (const claim of this.#informer.list()) void this.#releaseIfUnused(claim);
  }

  async stop(): Promise<void> {
    await this.#informer?.stop();
    await this.#pods?.stop();
  }

  async #bind(claim: V1PersistentVolumeClaim): Promise<void> {
    const namespace = claim.metadata?.namespace ?? 'default';
    const name = claim.metadata?.name ?? '';
    if (claim.metadata?.deletionTimestamp !== undefined) return this.#releaseIfUnused(claim);
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

  #releaseUnusedIn(namespace: string | undefined): void {
    for (const claim of this.#informer?.list(namespace) ?? []) void this.#releaseIfUnused(claim);
  }

  /** Drops the protection finalizer of a deleted claim that no running pod mounts any more. */
  async #releaseIfUnused(claim: V1PersistentVolumeClaim): Promise<void> {
    const finalizers = claim.metadata?.finalizers ?? [];
    if (claim.metadata?.deletionTimestamp === undefined || !finalizers.includes(PVC_PROTECTION_FINALIZER)) return;
    const namespace = claim.metadata?.namespace ?? 'default';
    const name = claim.metadata?.name ?? '';
    const user = (this.#pods?.list(namespace) ?? []).find(
      (pod) =>
        pod.status?.phase !== 'Succeeded' &&
        pod.status?.phase !== 'Failed' &&
        (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name),
    );
    if (user !== undefined) return;
    try {
      await this.#core.patchNamespacedPersistentVolumeClaim(
        {
          name,
          namespace,
          body: {
            metadata: {
              finalizers: finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER),
              resourceVersion: claim.metadata?.resourceVersion,
            },
          },
        },
        MERGE_PATCH,
      );
    } catch (err) {
      // A conflict means a newer version is on its way through the watch: it is looked at then.
      if (!isNotFound(err)) this.#log.debug({ namespace, claim: name, err: apiErrorMessage(err) }, 'finalizer kept');
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
