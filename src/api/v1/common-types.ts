// Sub-types shared by several postgresql.cnpg.io/v1 kinds (Cluster, Backup, ScheduledBackup, Pooler,
// Database, DatabaseRole, ImageCatalog, ...). Each one is exported as a schema constant plus its
// TypeScript type, so every kind embeds the very same node and the CRDs stay consistent.
import type { V1ImageVolumeSource, V1ServiceSpec } from '@kubernetes/client-node';
import { coreType } from './core-types.ts';
import {
  bool,
  cel,
  dateTime,
  enumOf,
  int64,
  listMap,
  map,
  obj,
  opt,
  type Static,
  str,
  type TSchema,
  Type,
  type CelRule,
} from './schema-kit.ts';

/** Go `int` fields: controller-gen emits a bare `type: integer` (no format). */
export const integer = (opts: Record<string, unknown> = {}) => Type.Integer(opts);

/** A list of strings (`[]string`, atomic). */
export const strings = () => Type.Array(Type.String());

/** A shallow copy of a shared node, so rules attached to it stay local to this use. */
export const local = <T extends TSchema>(schema: T): T => ({ ...schema });

/** A shared object node with a default value of its own (`+kubebuilder:default` on a struct field). */
export const withDefault = <T extends TSchema>(schema: T, value: Static<T>): T => ({ ...schema, default: value });

// ---------------------------------------------------------------------------------------------
// References (cloudnative-pg/machinery pkg/api): unlike corev1's, `name` and `key` are required.

export const LocalObjectReferenceSchema = obj({ name: str() });
export type LocalObjectReference = Static<typeof LocalObjectReferenceSchema>;

export const SecretKeySelectorSchema = obj({ name: str(), key: str() });
export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;

export const ConfigMapKeySelectorSchema = obj({ name: str(), key: str() });
export type ConfigMapKeySelector = Static<typeof ConfigMapKeySelectorSchema>;

// ---------------------------------------------------------------------------------------------
// Metadata

/** cnpg's own ObjectMeta subset, used by templates (service account, services, pods). */
export const MetadataSchema = obj({
  name: opt(str()),
  labels: opt(map(str())),
  annotations: opt(map(str())),
});
export type Metadata = Static<typeof MetadataSchema>;

/** A Service template: Metadata plus a corev1 ServiceSpec (Pooler and Cluster managed services). */
export const ServiceTemplateSpecSchema = obj({
  metadata: opt(MetadataSchema),
  spec: opt(coreType<V1ServiceSpec>('V1ServiceSpec')),
});
export type ServiceTemplateSpec = Static<typeof ServiceTemplateSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Shared enums

export const ENSURE_OPTIONS = ['present', 'absent'] as const;
export type EnsureOption = (typeof ENSURE_OPTIONS)[number];

export const BACKUP_TARGETS = ['primary', 'prefer-standby'] as const;
export type BackupTarget = (typeof BACKUP_TARGETS)[number];

export const BACKUP_METHODS = ['barmanObjectStore', 'volumeSnapshot', 'plugin'] as const;
export type BackupMethod = (typeof BACKUP_METHODS)[number];

// ---------------------------------------------------------------------------------------------
// Prometheus-operator RelabelConfig: the deprecated PodMonitor knobs of Cluster and Pooler.

export const RELABEL_ACTIONS = [
  'replace',
  'Replace',
  'keep',
  'Keep',
  'drop',
  'Drop',
  'hashmod',
  'HashMod',
  'labelmap',
  'LabelMap',
  'labeldrop',
  'LabelDrop',
  'labelkeep',
  'LabelKeep',
  'lowercase',
  'Lowercase',
  'uppercase',
  'Uppercase',
  'keepequal',
  'KeepEqual',
  'dropequal',
  'DropEqual',
] as const;

export const RelabelConfigSchema = obj({
  action: opt(enumOf(RELABEL_ACTIONS, { default: 'replace' })),
  modulus: opt(int64()),
  regex: opt(str()),
  replacement: opt(str()),
  separator: opt(str()),
  sourceLabels: opt(Type.Array(str({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }))),
  targetLabel: opt(str()),
});
export type RelabelConfig = Static<typeof RelabelConfigSchema>;

// ---------------------------------------------------------------------------------------------
// ImageCatalogRef: corev1.TypedLocalObjectReference inlined plus the major version.

export const ImageCatalogRefSchema = cel(
  obj(
    {
      apiGroup: opt(str()),
      kind: str(),
      name: str(),
      major: integer(),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
  imageCatalogKindRules(),
);
export type ImageCatalogRef = Static<typeof ImageCatalogRefSchema>;

// ---------------------------------------------------------------------------------------------
// Online (hot) backup configuration: Cluster volumeSnapshot, Backup and ScheduledBackup.

export const OnlineConfigurationSchema = obj({
  waitForArchive: opt(bool({ default: true })),
  immediateCheckpoint: opt(bool()),
});
export type OnlineConfiguration = Static<typeof OnlineConfigurationSchema>;

// ---------------------------------------------------------------------------------------------
// CNPG-I plugins: Cluster `.spec.plugins[]` and `.spec.externalClusters[].plugin`.

export const PluginConfigurationSchema = obj({
  name: str(),
  enabled: opt(bool({ default: true })),
  isWALArchiver: opt(bool({ default: false })),
  parameters: opt(map(str())),
});
export type PluginConfiguration = Static<typeof PluginConfigurationSchema>;

// ---------------------------------------------------------------------------------------------
// Managed roles: Cluster `.spec.managed.roles[]`; DatabaseRole inlines the same fields.

/** The fields of a role, exported separately so DatabaseRole can inline them in its spec. */
export const RoleConfigurationProperties = {
  name: str(),
  comment: opt(str()),
  ensure: opt(enumOf(ENSURE_OPTIONS, { default: 'present' })),
  passwordSecret: opt(LocalObjectReferenceSchema),
  connectionLimit: opt(int64({ default: -1 })),
  validUntil: opt(dateTime()),
  inRoles: opt(strings()),
  inherit: opt(bool({ default: true })),
  disablePassword: opt(bool()),
  superuser: opt(bool()),
  createdb: opt(bool()),
  createrole: opt(bool()),
  login: opt(bool()),
  replication: opt(bool()),
  bypassrls: opt(bool()),
};

export const RoleConfigurationSchema = obj(RoleConfigurationProperties);
export type RoleConfiguration = Static<typeof RoleConfigurationSchema>;

// ---------------------------------------------------------------------------------------------
// Image-volume extensions: Cluster `.spec.postgresql.extensions[]` and ImageCatalog images.

export const EXTENSION_NAME_PATTERN = '^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$';
export const EXTENSION_ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const ExtensionEnvVarSchema = obj({
  name: str({ minLength: 1, pattern: EXTENSION_ENV_NAME_PATTERN }),
  value: str(),
});
export type ExtensionEnvVar = Static<typeof ExtensionEnvVarSchema>;

export const ExtensionConfigurationSchema = obj({
  name: str({ minLength: 1, maxLength: 59, pattern: EXTENSION_NAME_PATTERN }),
  image: cel(coreType<V1ImageVolumeSource>('V1ImageVolumeSource'), [
    {
      rule: 'has(self.reference)',
      message: 'An image reference is required',
      check: (self) => self.reference !== undefined,
    },
  ]),
  extension_control_path: opt(strings()),
  dynamic_library_path: opt(strings()),
  ld_library_path: opt(strings()),
  bin_path: opt(strings()),
  env: opt(listMap(ExtensionEnvVarSchema, ['name'])),
});
export type ExtensionConfiguration = Static<typeof ExtensionConfigurationSchema>;

/** The list form both kinds use: one entry per extension name. */
export const extensionList = () => listMap(ExtensionConfigurationSchema, ['name']);

// ---------------------------------------------------------------------------------------------
// The status every declarative kind (Database, DatabaseRole, Publication, Subscription) reports.

export const AppliedStatusProperties = {
  /** The generation of the spec this status describes. */
  observedGeneration: opt(int64()),
  /** Whether the object was applied to PostgreSQL. */
  applied: opt(bool()),
  /** Why it was not, when it was not. */
  message: opt(str()),
};

/** Upstream's CEL checks on a reference to an (Cluster)ImageCatalog. */
export function imageCatalogKindRules<T extends { kind: string; apiGroup?: string }>(): CelRule<T>[] {
  return [
    {
      rule: "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
      message: 'Only image catalogs are supported',
      check: (self) => self.kind === 'ImageCatalog' || self.kind === 'ClusterImageCatalog',
    },
    {
      // CEL errors on the absent optional field, which makes the rule fail: we reject it too.
      rule: "self.apiGroup == 'postgresql.cnpg.io'",
      message: 'Only image catalogs are supported',
      check: (self) => self.apiGroup === 'postgresql.cnpg.io',
    },
  ];
}
