// What `cnpg local up` does to the running API server: install our CRDs, create-or-update objects
// (the operator's installation, the user's files), and optionally wait until they are ready.
import { readFileSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { admit } from '../api/v1/admission.ts';
import { buildCrd } from '../api/v1/crd.ts';
import { API_VERSION, GROUP } from '../api/v1/kind-definition.ts';
import { KINDS, kindDefinition } from '../api/v1/kinds.ts';
import { RECONCILED_KINDS } from '../api/v1/reconciled-kinds.ts';
import { apiErrorMessage, isAlreadyExists, isNotFound } from '../kube/patch.ts';
import { apiErrors } from './apiserver/errors.ts';

export interface ManifestObject {
  file: string;
  object: KubernetesObject;
}

/** The objects of YAML files (multi-document; empty documents skipped). Throws a one-line error. */
export function readManifests(files: string[]): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new Error(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
      const value: unknown = doc.toJSON();
      if (value === null || value === undefined) continue;
      const o = value as KubernetesObject;
      if (
        typeof o !== 'object' ||
        typeof o.apiVersion !== 'string' ||
        typeof o.kind !== 'string' ||
        !o.metadata?.name
      ) {
        throw new Error(`${file}: every document must be an object with apiVersion, kind and metadata.name`);
      }
      out.push({ file, object: o });
    }
  }
  return out;
}

export interface RefusedObject extends ManifestObject {
  /** What the API server would answer, under kubectl's `fieldValidation=Strict`. */
  message: string;
}

/**
 * The documents of our kinds that admission refuses, checked as a create before anything is
 * applied (the same admission as `cnpg validate` and the API server): unknown fields refused as
 * kubectl's strict field validation refuses them, then schema, CEL and webhook rules.
 */
export function refusedObjects(manifests: ManifestObject[]): RefusedObject[] {
  const refused: RefusedObject[] = [];
  for (const m of manifests) {
    const def = m.object.apiVersion === API_VERSION ? kindDefinition(m.object.kind ?? '') : undefined;
    if (def === undefined) continue;
    const { errors } = admit(def, m.object);
    if (errors.length === 0) continue;
    const unknown = errors.filter((e) => e.type === 'Unknown field');
    const message =
      unknown.length > 0
        ? `strict decoding error: ${unknown.map(String).join(', ')}`
        : apiErrors.invalid({ group: GROUP, plural: def.plural, kind: def.kind }, m.object.metadata?.name ?? '', errors)
            .message;
    refused.push({ ...m, message });
  }
  return refused;
}

/** Why nothing acts on an object of our group (a kind with no controller yet), or undefined. */
export function notReconciledReason(o: KubernetesObject): string | undefined {
  if (!(o.apiVersion ?? '').startsWith(`${GROUP}/`) || RECONCILED_KINDS.has(o.kind ?? '')) return undefined;
  return `no controller for kind ${o.kind} yet`;
}

/** Creates or replaces the CRDs of postgresql.cnpg.io/v1. */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const def of KINDS) {
    const body = buildCrd(def) as unknown as V1CustomResourceDefinition;
    const name = body.metadata?.name ?? '';
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      if (!isAlreadyExists(err)) throw new Error(`installing CRD ${name}: ${apiErrorMessage(err)}`);
      const current = await api.readCustomResourceDefinition({ name });
      body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
      await api.replaceCustomResourceDefinition({ name, body });
    }
  }
}

export type ApplyOutcome = 'created' | 'configured';

/** `kind.group/name`, as kubectl names what it applied. */
export function objectRef(o: KubernetesObject): string {
  const group = (o.apiVersion ?? '').includes('/') ? `.${(o.apiVersion ?? '').split('/')[0]}` : '';
  return `${(o.kind ?? '').toLowerCase()}${group}/${o.metadata?.name}`;
}

/** Creates the object, or replaces it (keeping its resourceVersion) when it exists. */
export async function applyObject(kc: KubeConfig, object: KubernetesObject): Promise<ApplyOutcome> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  // A freshly installed CRD may take a moment to be served.
  for (let attempt = 0; ; attempt++) {
    try {
      await client.create(object);
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) break;
      if (attempt < 20 && (isNotFound(err) || /unable to find api/i.test(String(err)))) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      throw new Error(apiErrorMessage(err));
    }
  }
  try {
    const current = await client.read({
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      metadata: { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace },
    });
    const next = { ...object, metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion } };
    await client.replace(next);
    return 'configured';
  } catch (err) {
    throw new Error(apiErrorMessage(err));
  }
}

/** The kinds `up --wait` waits for. */
export const WAITED_KINDS: readonly string[] = ['Pod', 'Deployment', 'Job', 'PersistentVolumeClaim'];

/**
 * Whether an applied object is ready: pods Ready, deployments with every replica updated and
 * ready, jobs complete, claims bound. Other kinds have nothing to wait for (Clusters have their own
 * wait: `cnpg local up` follows their phase; see notReconciledReason for our other kinds).
 */
export async function objectReady(kc: KubeConfig, object: KubernetesObject): Promise<boolean> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const kind = object.kind ?? '';
  if (!WAITED_KINDS.includes(kind)) return true;
  const o = (await client.read({
    apiVersion: object.apiVersion ?? '',
    kind,
    metadata: { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace },
  })) as KubernetesObject & { status?: Record<string, unknown>; spec?: Record<string, unknown> };
  const status = o.status ?? {};
  const conditions = (status.conditions ?? []) as { type: string; status: string }[];
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  switch (kind) {
    case 'Pod':
      return has('Ready');
    case 'Deployment': {
      const replicas = (o.spec?.replicas as number | undefined) ?? 1;
      return status.updatedReplicas === replicas && status.readyReplicas === replicas;
    }
    case 'Job':
      return has('Complete');
    default:
      return status.phase === 'Bound';
  }
}

/**
 * Why the pods of a Deployment do not run, or undefined while nothing has failed: a container that
 * exited with an error, with the last line it wrote (the operator's one-line `error:`).
 */
export async function deploymentFailure(kc: KubeConfig, namespace: string, name: string): Promise<string | undefined> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const deployment = await apps.readNamespacedDeployment({ name, namespace });
  const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  for (const pod of pods.items) {
    for (const cs of pod.status?.containerStatuses ?? []) {
      const ended = cs.lastState?.terminated ?? cs.state?.terminated;
      if (ended === undefined || ended.exitCode === 0) continue;
      const podName = pod.metadata?.name ?? '';
      const log = await core
        .readNamespacedPodLog({ name: podName, namespace, container: cs.name, tailLines: 20 })
        .catch(() => '');
      const lines = String(log)
        .split('\n')
        .filter((l) => l.trim() !== '');
      const last = lines.at(-1) ?? '(no output)';
      return `container ${cs.name} of pod ${podName} exited with code ${ended.exitCode}: ${last}`;
    }
  }
  return undefined;
}

/** The phase and its reason of a Cluster (empty strings before the operator wrote any). */
export async function clusterPhase(
  kc: KubeConfig,
  object: KubernetesObject,
): Promise<{ phase: string; reason: string }> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const o = (await client.read({
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    metadata: { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace ?? 'default' },
  })) as KubernetesObject & { status?: { phase?: string; phaseReason?: string } };
  return { phase: o.status?.phase ?? '', reason: o.status?.phaseReason ?? '' };
}
