// A pod's filesystem on this machine. Container paths are absolute (`/var/lib/postgresql/data`,
// `/controller`) and cannot be created on the host, so each pod gets a root directory
// `<dataDir>/pods/<ns>/<pod>/` and every mountPath becomes a symlink under it:
//   <root>/<mountPath>  ->  the volume's storage (or <storage>/<subPath>)
// Storage is `<root>/.volumes/<name>/` for emptyDir and projected files (gone with the pod) and
// `<dataDir>/volumes/<ns>/<claim>/` for a PersistentVolumeClaim (outlives pods). The process gets
// `CNPG_POD_ROOT=<alias>`, a short symlink to the root, and resolves container paths under it
// (docs/local-runtime.md).
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import type {
  V1Container,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { OsUser } from '../../postgres/os-user.ts';
import {
  ContainerConfigError,
  expandVars,
  type KeyData,
  type ObjectSource,
  podFieldValue,
  resourceFieldValue,
} from './env.ts';

/** Where Kubernetes mounts a pod's ServiceAccount credentials. */
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The name of the volume the runtime adds for them (Kubernetes adds `kube-api-access-<rand>`). */
export const SERVICE_ACCOUNT_VOLUME = 'kube-api-access';

/** Issues ServiceAccount tokens (TokenRequest) and knows the API server's CA. */
export interface TokenSource {
  token(namespace: string, serviceAccount: string, audiences: string[], expirationSeconds: number): Promise<string>;
  caCertPem: string;
}

/** A volume that cannot be set up yet (a claim not bound...): the pod waits, as it does in Kubernetes. */
export class VolumeNotReadyError extends Error {}

export const podRootDir = (dataDir: string, namespace: string, pod: string): string =>
  join(dataDir, 'pods', namespace, pod);

/**
 * The short path a pod process knows its root by: a symlink to `root` in a directory of the
 * runtime's user under /tmp. Unix socket paths are limited to 107 bytes, and a pod's socket
 * (`<root>/controller/run/.s.PGSQL.5432`) under a long data directory and pod name would pass it;
 * through the alias it takes 62 bytes whatever the names.
 */
export function podRootAlias(root: string): string {
  const digest = createHash('sha256').update(root).digest('hex').slice(0, 16);
  return join(POD_ALIAS_PARENT, digest);
}

const POD_ALIAS_PARENT = join('/tmp', `cnpg-pods-${process.getuid?.() ?? 0}`);
export const claimDir = (dataDir: string, namespace: string, claim: string): string =>
  join(dataDir, 'volumes', namespace, claim);

/** `containerPath` (absolute, as in the pod spec) under a pod root. */
export function hostPath(root: string, containerPath: string): string {
  const clean = normalize(`/${containerPath}`);
  return join(root, clean);
}

interface ProjectedFile {
  path: string;
  content: Buffer;
  mode: number;
}

export interface PodFilesystemOptions {
  dataDir: string;
  pod: V1Pod;
  /** Owner of everything the pod writes (undefined: whoever we are). */
  user: OsUser | undefined;
  objects: ObjectSource;
  tokens: TokenSource;
}

/** Sets up, refreshes and removes the directories and files of one pod. */
export class PodFilesystem {
  readonly root: string;
  /** `root` as the pod's processes see it (podRootAlias). */
  readonly alias: string;
  /** The pod as the downward API shows it (updated as its labels and annotations change). */
  pod: V1Pod;
  readonly #opts: PodFilesystemOptions;
  /** The pod has finished: its volumes are gone and are no longer refreshed. */
  #released = false;

  constructor(opts: PodFilesystemOptions) {
    this.#opts = opts;
    this.pod = opts.pod;
    const meta = opts.pod.metadata ?? {};
    this.root = podRootDir(opts.dataDir, meta.namespace ?? 'default', meta.name ?? '');
    this.alias = podRootAlias(this.root);
  }

  /** The pod's volumes, plus the ServiceAccount one Kubernetes' admission would have added. */
  volumes(): V1Volume[] {
    const vols = [...(this.pod.spec?.volumes ?? [])];
    if (this.#wantsServiceAccountVolume()) {
      vols.push({
        name: SERVICE_ACCOUNT_VOLUME,
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      });
    }
    return vols;
  }

  /** The container's mounts, with the ServiceAccount one when the runtime adds it. */
  mounts(container: V1Container): V1VolumeMount[] {
    const mounts = [...(container.volumeMounts ?? [])];
    if (this.#wantsServiceAccountVolume() && !mounts.some((m) => normalize(m.mountPath) === SERVICE_ACCOUNT_MOUNT)) {
      mounts.push({ name: SERVICE_ACCOUNT_VOLUME, mountPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
    }
    return mounts;
  }

  #wantsServiceAccountVolume(): boolean {
    const spec = this.pod.spec;
    if (spec?.automountServiceAccountToken === false) return false;
    const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
    return !all.some((c) => (c.volumeMounts ?? []).some((m) => normalize(m.mountPath) === SERVICE_ACCOUNT_MOUNT));
  }

  /** Creates the root, every volume and every mount of the pod's containers. */
  async prepare(containers: V1Container[]): Promise<void> {
    this.#mkdir(this.root);
    for (const dir of [join(this.#opts.dataDir, 'pods'), dirname(this.root)]) chmodSync(dir, 0o755);
    linkPodRootAlias(this.root, this.alias);
    for (const vol of this.volumes()) await this.#setUpVolume(vol);
    for (const c of containers) this.#mount(c);
  }

  /** Re-projects Secrets, ConfigMaps, tokens and downward API files (the kubelet's periodic sync). */
  async refresh(): Promise<void> {
    for (const vol of this.volumes()) {
      if (this.#released) return;
      if (vol.secret || vol.configMap || vol.projected || vol.downwardAPI) await this.#setUpVolume(vol);
    }
  }

  /**
   * A finished pod keeps only its containers' logs (what `kubectl logs` reads until the pod is
   * deleted): its volumes (projected Secrets and tokens, emptyDirs) and mounts go, as the kubelet
   * unmounts a terminated pod's volumes. Claims live elsewhere and stay.
   */
  release(): void {
    this.#released = true;
    if (!existsSync(this.root)) return;
    for (const entry of readdirSync(this.root)) {
      if (!entry.endsWith('.log')) rmSync(join(this.root, entry), { recursive: true, force: true });
    }
  }

  /** Removes the pod's directory (claims live elsewhere and stay). */
  remove(): void {
    removePodRoot(this.root);
  }

  /** The storage directory of a volume of this pod. */
  storage(vol: V1Volume): string {
    if (vol.persistentVolumeClaim) {
      const ns = this.pod.metadata?.namespace ?? 'default';
      return claimDir(this.#opts.dataDir, ns, vol.persistentVolumeClaim.claimName);
    }
    if (vol.hostPath) return vol.hostPath.path;
    return join(this.root, '.volumes', vol.name);
  }

  async #setUpVolume(vol: V1Volume): Promise<void> {
    const dir = this.storage(vol);
    if (vol.persistentVolumeClaim) {
      if (!existsSync(dir)) {
        throw new VolumeNotReadyError(`persistentvolumeclaim "${vol.persistentVolumeClaim.claimName}" is not bound`);
      }
      return;
    }
    if (vol.hostPath) {
      if (!existsSync(dir)) {
        if (vol.hostPath.type !== 'DirectoryOrCreate') throw new VolumeNotReadyError(`hostPath ${dir} does not exist`);
        this.#mkdir(dir);
      }
      return;
    }
    if (vol.emptyDir) {
      if (!existsSync(dir)) this.#mkdir(dir);
      return;
    }
    const files = await this.#projectedFiles(vol);
    if (this.#released) return;
    if (files === undefined) {
      throw new ContainerConfigError(`volume "${vol.name}": unsupported volume source on the local runtime`);
    }
    this.#writeFiles(dir, files);
  }

  async #projectedFiles(vol: V1Volume): Promise<ProjectedFile[] | undefined> {
    const pod = this.pod;
    const ns = pod.metadata?.namespace ?? 'default';
    const { objects } = this.#opts;
    if (vol.secret) {
      const s = vol.secret;
      const data = await objects.secret(ns, s.secretName ?? '');
      return keyFiles(data, s.items, s.defaultMode ?? 0o644, `secret "${s.secretName}"`, s.optional ?? false);
    }
    if (vol.configMap) {
      const c = vol.configMap;
      const data = await objects.configMap(ns, c.name ?? '');
      return keyFiles(data, c.items, c.defaultMode ?? 0o644, `configmap "${c.name}"`, c.optional ?? false);
    }
    if (vol.downwardAPI) {
      return this.#downwardFiles(vol.downwardAPI.items ?? [], vol.downwardAPI.defaultMode ?? 0o644);
    }
    if (vol.projected) {
      const mode = vol.projected.defaultMode ?? 0o644;
      const files: ProjectedFile[] = [];
      for (const src of vol.projected.sources ?? []) {
        if (src.secret) {
          const data = await objects.secret(ns, src.secret.name ?? '');
          const what = `secret "${src.secret.name}"`;
          files.push(...keyFiles(data, src.secret.items, mode, what, src.secret.optional ?? false));
        } else if (src.configMap) {
          // The cluster's root CA ConfigMap is the API server's CA here, whether or not it was published.
          const data =
            src.configMap.name === 'kube-root-ca.crt'
              ? new Map([['ca.crt', Buffer.from(this.#opts.tokens.caCertPem)]])
              : await objects.configMap(ns, src.configMap.name ?? '');
          const what = `configmap "${src.configMap.name}"`;
          files.push(...keyFiles(data, src.configMap.items, mode, what, src.configMap.optional ?? false));
        } else if (src.downwardAPI) {
          files.push(...this.#downwardFiles(src.downwardAPI.items ?? [], mode));
        } else if (src.serviceAccountToken) {
          const t = src.serviceAccountToken;
          const sa = pod.spec?.serviceAccountName ?? 'default';
          const audiences = t.audience === undefined || t.audience === '' ? [] : [t.audience];
          const token = await this.#opts.tokens.token(ns, sa, audiences, t.expirationSeconds ?? 3600);
          files.push({ path: t.path, content: Buffer.from(token), mode });
        } else {
          return undefined;
        }
      }
      return files;
    }
    return undefined;
  }

  #downwardFiles(items: V1DownwardAPIVolumeFile[], defaultMode: number): ProjectedFile[] {
    const pod = this.pod;
    return items.map((item) => {
      let value = '';
      if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) {
        const r = item.resourceFieldRef;
        const container = (pod.spec?.containers ?? []).find((c) => c.name === r.containerName);
        if (container === undefined) throw new ContainerConfigError(`downwardAPI ${item.path}: unknown container`);
        value = resourceFieldValue(container, r.resource, r.divisor?.toString());
      }
      return { path: item.path, content: Buffer.from(value), mode: item.mode ?? defaultMode };
    });
  }

  /** Writes the files (each atomically, by rename) and removes those no longer projected. */
  #writeFiles(dir: string, files: ProjectedFile[]): void {
    this.#mkdir(dir);
    const wanted = new Set<string>();
    for (const f of files) {
      const target = join(dir, normalize(f.path));
      if (relative(dir, target).startsWith('..'))
        throw new ContainerConfigError(`projected path ${f.path} escapes its volume`);
      wanted.add(target);
      this.#mkdirs(dir, dirname(target));
      const same =
        existsSync(target) && (lstatSync(target).mode & 0o7777) === f.mode && readFileSync(target).equals(f.content);
      if (same) continue;
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, f.content, { mode: f.mode });
      chmodSync(tmp, f.mode);
      this.#own(tmp);
      renameSync(tmp, target);
    }
    removeUnwanted(dir, wanted);
  }

  /** Creates the symlinks of the container's mounts, shortest path first so nested mounts land inside. */
  #mount(container: V1Container): void {
    const byName = new Map(this.volumes().map((v) => [v.name, v]));
    const env = new Map<string, string>([
      ['POD_NAME', this.pod.metadata?.name ?? ''],
      ['POD_NAMESPACE', this.pod.metadata?.namespace ?? ''],
    ]);
    const mounts = [...this.mounts(container)].sort(
      (a, b) => normalize(a.mountPath).length - normalize(b.mountPath).length,
    );
    for (const m of mounts) {
      const vol = byName.get(m.name);
      if (vol === undefined)
        throw new ContainerConfigError(`volumeMount "${m.name}": no volume of that name in the pod`);
      const subPath = m.subPath ?? (m.subPathExpr === undefined ? '' : expandVars(m.subPathExpr, env));
      let target = this.storage(vol);
      if (subPath !== '') {
        target = join(target, normalize(subPath));
        if (!existsSync(target)) this.#mkdirs(this.storage(vol), target);
      }
      const link = hostPath(this.root, m.mountPath);
      this.#mkdirs(this.root, dirname(link));
      if (existsSync(link) || isSymlink(link)) {
        if (isSymlink(link) && readlinkSync(link) === target) continue;
        rmSync(link, { recursive: true, force: true });
      }
      symlinkSync(target, link);
      this.#own(link);
    }
  }

  #mkdir(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.#own(dir);
  }

  /** Creates `target` and its missing parents below `base`, owned by the pod's user. */
  #mkdirs(base: string, target: string): void {
    const rel = relative(base, target);
    let cur = base;
    for (const part of rel === '' ? [] : rel.split('/')) {
      cur = join(cur, part);
      if (!existsSync(cur)) this.#mkdir(cur);
    }
  }

  #own(path: string): void {
    const u = this.#opts.user;
    if (u !== undefined && process.getuid?.() === 0) lchownSync(path, u.uid, u.gid);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The files of a Secret or ConfigMap volume: every key, or the listed items with their modes. */
function keyFiles(
  data: KeyData | undefined,
  items: V1KeyToPath[] | undefined,
  mode: number,
  what: string,
  optional: boolean,
): ProjectedFile[] {
  if (data === undefined) {
    if (optional) return [];
    throw new VolumeNotReadyError(`${what} not found`);
  }
  if (items === undefined || items.length === 0) {
    return [...data].map(([key, content]) => ({ path: key, content, mode }));
  }
  const files: ProjectedFile[] = [];
  for (const item of items) {
    const content = data.get(item.key);
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeNotReadyError(`${what}: key "${item.key}" not found`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return files;
}

/** Removes files under `dir` not in `wanted` (and directories left empty). */
function removeUnwanted(dir: string, wanted: ReadonlySet<string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removeUnwanted(path, wanted);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (!wanted.has(path)) {
      rmSync(path, { force: true });
    }
  }
}

/** Points `alias` at `root` (again: a stale link from an earlier pod of that name is replaced). */
function linkPodRootAlias(root: string, alias: string): void {
  mkdirSync(dirname(alias), { recursive: true, mode: 0o755 });
  // Only this user may create links there, or another user could point a pod at its own files.
  if (lstatSync(dirname(alias)).uid !== (process.getuid?.() ?? 0)) {
    throw new Error(`${dirname(alias)} belongs to another user: cannot give pod ${root} a short root there`);
  }
  chmodSync(dirname(alias), 0o755);
  // Links whose pod directory went without them (a runtime killed, a data directory removed by hand).
  for (const entry of readdirSync(dirname(alias))) {
    const link = join(dirname(alias), entry);
    if (!existsSync(link)) rmSync(link, { force: true });
  }
  rmSync(alias, { force: true });
  symlinkSync(root, alias);
}

/** Removes the aliases of every pod root under `dataDir` (before the directory itself goes). */
export function removePodRootAliases(dataDir: string): void {
  const pods = join(dataDir, 'pods');
  if (!existsSync(pods)) return;
  for (const ns of readdirSync(pods)) {
    for (const pod of readdirSync(join(pods, ns))) rmSync(podRootAlias(join(pods, ns, pod)), { force: true });
  }
}

/** Removes a pod's root directory and its alias. */
export function removePodRoot(root: string): void {
  rmSync(podRootAlias(root), { force: true });
  rmSync(root, { recursive: true, force: true });
}
