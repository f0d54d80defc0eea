// The resource types the local API server serves: the built-in kinds (with what strategic merge
// patch needs to know of them) and, from each CustomResourceDefinition, its custom resources.
import type { KindDefinition, PrinterColumn, ScaleSubresource } from '../../api/v1/kind-definition.ts';
import type { SchemaNode } from '../../api/v1/schema-validate.ts';
import type { ResourceName } from './errors.ts';
import type { PatchField, PatchMeta } from './patch.ts';
import type { Json } from './storage.ts';

export interface ResourceType extends ResourceName {
  version: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Whether spec and status are written through separate endpoints (the status subresource). */
  status: boolean;
  scale?: ScaleSubresource;
  /** Other subresources served (discovery lists them): `log`, `token`, `binding`... */
  extraSubresources: string[];
  /** Strategic merge patch metadata; custom resources have none (kubectl sends them merge patches). */
  patchMeta?: PatchMeta;
  /** For custom resources: the schema and printer columns of the served version. */
  custom?: { schema?: SchemaNode; printerColumns: PrinterColumn[]; cnpg?: KindDefinition };
}

export const resourceKey = (r: { group: string; plural: string }) => `${r.group}/${r.plural}`;
export const apiVersionOf = (r: { group: string; version: string }) =>
  r.group === '' ? r.version : `${r.group}/${r.version}`;

const conditionsByType: PatchField = { mergeKey: 'type' };
const objectMeta: PatchMeta = { finalizers: { mergeScalars: true }, ownerReferences: { mergeKey: 'uid' } };
const container: PatchMeta = {
  env: { mergeKey: 'name' },
  ports: { mergeKey: 'containerPort' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
  resizePolicy: { mergeKey: 'resourceName' },
};
const podSpec: PatchMeta = {
  containers: { mergeKey: 'name', meta: container },
  initContainers: { mergeKey: 'name', meta: container },
  ephemeralContainers: { mergeKey: 'name', meta: container },
  volumes: { mergeKey: 'name', retainKeys: true },
  imagePullSecrets: { mergeKey: 'name' },
  hostAliases: { mergeKey: 'ip' },
  topologySpreadConstraints: { mergeKey: 'topologyKey' },
  resourceClaims: { mergeKey: 'name' },
  schedulingGates: { mergeKey: 'name' },
};
const podTemplate: PatchMeta = { metadata: { meta: objectMeta }, spec: { meta: podSpec } };
const withMeta = (fields: PatchMeta = {}): PatchMeta => ({ metadata: { meta: objectMeta }, ...fields });
const statusConditions: PatchField = { meta: { conditions: conditionsByType } };

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  extraSubresources?: string[];
  patchMeta?: PatchMeta;
}

const BUILTINS: BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    patchMeta: withMeta({ status: statusConditions }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    patchMeta: withMeta({ status: statusConditions }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    extraSubresources: ['log', 'binding'],
    patchMeta: withMeta({
      spec: { meta: podSpec },
      status: { meta: { conditions: conditionsByType, podIPs: { mergeKey: 'ip' } } },
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    status: true,
    patchMeta: withMeta({ status: statusConditions }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    patchMeta: withMeta({ spec: { meta: { ports: { mergeKey: 'port' } } }, status: statusConditions }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    patchMeta: withMeta(),
  },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, patchMeta: withMeta() },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    patchMeta: withMeta(),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    patchMeta: withMeta(),
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    extraSubresources: ['token'],
    patchMeta: withMeta({ secrets: { mergeKey: 'name' }, imagePullSecrets: { mergeKey: 'name' } }),
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
    patchMeta: withMeta({
      spec: { meta: { template: { meta: podTemplate }, strategy: { retainKeys: true } } },
      status: statusConditions,
    }),
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    categories: ['all'],
    status: true,
    patchMeta: withMeta({ spec: { meta: { template: { meta: podTemplate } } }, status: statusConditions }),
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    patchMeta: withMeta(),
  },
  {
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    patchMeta: withMeta({ status: statusConditions }),
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'Role',
    plural: 'roles',
    namespaced: true,
    patchMeta: withMeta(),
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
    patchMeta: withMeta(),
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    patchMeta: withMeta(),
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
    patchMeta: withMeta(),
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
    patchMeta: withMeta({ status: statusConditions }),
  },
];

function builtin(s: BuiltinSpec): ResourceType {
  return {
    group: s.group,
    version: s.version,
    kind: s.kind,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    status: s.status ?? false,
    scale: s.scale,
    extraSubresources: s.extraSubresources ?? [],
    patchMeta: s.patchMeta,
  };
}

export const BUILTIN_TYPES: readonly ResourceType[] = BUILTINS.map(builtin);

export const CRD_RESOURCE = 'apiextensions.k8s.io/customresourcedefinitions';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: SchemaNode };
  subresources?: { status?: Json; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

/** The served versions of a CRD as resource types. */
export function typesFromCrd(
  crd: Json,
  cnpgKind: (group: string, kind: string) => KindDefinition | undefined,
): ResourceType[] {
  const spec = crd.spec as CrdSpec | undefined;
  if (spec === undefined) return [];
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      kind: spec.names.kind,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      status: v.subresources?.status !== undefined,
      scale: v.subresources?.scale,
      extraSubresources: [],
      custom: {
        schema: v.schema?.openAPIV3Schema,
        printerColumns: v.additionalPrinterColumns ?? [],
        cnpg: cnpgKind(spec.group, spec.names.kind),
      },
    }));
}

/** Looks resource types up by group, version and plural, the built-in ones and those of the CRDs. */
export class ResourceRegistry {
  private custom: ResourceType[] = [];

  all(): ResourceType[] {
    return [...BUILTIN_TYPES, ...this.custom];
  }

  setCustom(types: ResourceType[]): void {
    this.custom = types;
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** Any served version of the resource (storage is shared across versions). */
  byKey(key: string): ResourceType | undefined {
    return this.all().find((t) => resourceKey(t) === key);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }
}
