// Pooler (postgresql.cnpg.io/v1): a PgBouncer Deployment in front of one of a Cluster's services.
import type { V1DeploymentStrategy, V1PodSpec } from '@kubernetes/client-node';
import {
  imageCatalogKindRules,
  LocalObjectReferenceSchema,
  local,
  MetadataSchema,
  RelabelConfigSchema,
  ServiceTemplateSpecSchema,
  strings,
} from './common-types.ts';
import { coreType } from './core-types.ts';
import {
  bool,
  cel,
  enumOf,
  immutable,
  int32,
  map,
  obj,
  opt,
  resourceSchema,
  type Static,
  str,
  Type,
} from './schema-kit.ts';

/** Which Cluster service the pooler forwards to: primary, replicas or any instance. */
export const POOLER_TYPES = ['rw', 'ro', 'r'] as const;
export type PoolerType = (typeof POOLER_TYPES)[number];

export const PGBOUNCER_POOL_MODES = ['session', 'transaction'] as const;
export type PgBouncerPoolMode = (typeof PGBOUNCER_POOL_MODES)[number];

/** The auth_query the operator configures when it handles the integration with the Cluster. */
export const DEFAULT_PGBOUNCER_AUTH_QUERY = 'SELECT usename, passwd FROM public.user_search($1)';
/** The database the auth_query runs in. */
export const POOLER_AUTH_DB_NAME = 'postgres';

/** `status.phase` of a Pooler. */
export const PoolerPhase = {
  active: 'active',
  paused: 'paused',
  /** A prerequisite (the Cluster, a Secret, the image) is missing. */
  inactive: 'inactive',
  /** The configuration is invalid. */
  failed: 'failed',
} as const;
export type PoolerPhase = (typeof PoolerPhase)[keyof typeof PoolerPhase];

export const PoolerMonitoringTLSConfigurationSchema = obj({
  /** Serve the metrics endpoint over TLS, with the pooler's client TLS certificate. */
  enabled: opt(bool({ default: false })),
});
export type PoolerMonitoringTLSConfiguration = Static<typeof PoolerMonitoringTLSConfigurationSchema>;

/** Deprecated upstream: users are told to create their PodMonitor themselves. */
export const PoolerMonitoringConfigurationSchema = obj({
  enablePodMonitor: opt(bool({ default: false })),
  podMonitorMetricRelabelings: opt(Type.Array(RelabelConfigSchema)),
  podMonitorRelabelings: opt(Type.Array(RelabelConfigSchema)),
  tls: opt(PoolerMonitoringTLSConfigurationSchema),
});
export type PoolerMonitoringConfiguration = Static<typeof PoolerMonitoringConfigurationSchema>;

/** A Pod template whose metadata survives in the CRD (corev1's would lose it). */
export const PodTemplateSpecSchema = obj({
  metadata: opt(MetadataSchema),
  spec: opt(coreType<V1PodSpec>('V1PodSpec')),
});
export type PodTemplateSpec = Static<typeof PodTemplateSpecSchema>;

/** A component image of an (Cluster)ImageCatalog, by its key in `componentImages`. */
export const ComponentImageCatalogRefSchema = cel(
  obj(
    {
      apiGroup: opt(str()),
      kind: str(),
      name: str(),
      key: str(),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
  imageCatalogKindRules(),
);
export type ComponentImageCatalogRef = Static<typeof ComponentImageCatalogRefSchema>;

export const PgBouncerSpecSchema = cel(
  obj({
    poolMode: opt(enumOf(PGBOUNCER_POOL_MODES, { default: 'session' })),
    /** pgbouncer's server_tls_key_file/server_tls_cert_file, to authenticate to PostgreSQL. */
    serverTLSSecret: opt(LocalObjectReferenceSchema),
    /** pgbouncer's server_tls_ca_file, to check PostgreSQL's certificate. */
    serverCASecret: opt(LocalObjectReferenceSchema),
    /** pgbouncer's client_tls_ca_file, to check client certificates. */
    clientCASecret: opt(LocalObjectReferenceSchema),
    /** pgbouncer's client_tls_key_file/client_tls_cert_file, to accept client connections. */
    clientTLSSecret: opt(LocalObjectReferenceSchema),
    /** Deprecated: the credentials the auth_query runs with (manual integration). */
    authQuerySecret: opt(LocalObjectReferenceSchema),
    authQuery: opt(str()),
    parameters: opt(map(str())),
    pg_hba: opt(strings()),
    /** PAUSE (true) or RESUME (false) every database. */
    paused: opt(bool({ default: false })),
    image: opt(str()),
    imageCatalogRef: opt(ComponentImageCatalogRefSchema),
  }),
  [
    {
      rule: '!(has(self.image) && has(self.imageCatalogRef))',
      message: 'image and imageCatalogRef are mutually exclusive',
      check: (self) => !(self.image !== undefined && self.imageCatalogRef !== undefined),
    },
  ],
);
export type PgBouncerSpec = Static<typeof PgBouncerSpecSchema>;

export const PoolerSpecSchema = obj({
  /** The Cluster served; the pooler's own name must differ from any Cluster's in the namespace. */
  cluster: immutable(local(LocalObjectReferenceSchema), 'cluster reference is immutable after creation'),
  type: opt(enumOf(POOLER_TYPES, { default: 'rw' })),
  instances: opt(int32({ default: 1 })),
  template: opt(PodTemplateSpecSchema),
  pgbouncer: PgBouncerSpecSchema,
  deploymentStrategy: opt(coreType<V1DeploymentStrategy>('V1DeploymentStrategy')),
  monitoring: opt(PoolerMonitoringConfigurationSchema),
  serviceTemplate: opt(ServiceTemplateSpecSchema),
  /** An existing ServiceAccount to run as; by default one named after the pooler is created. */
  serviceAccountName: opt(immutable(str(), 'serviceAccountName is immutable')),
});
export type PoolerSpec = Static<typeof PoolerSpecSchema>;

/** A Secret the pooler uses and the resourceVersion last seen. */
export const SecretVersionSchema = obj({
  name: opt(str()),
  version: opt(str()),
});
export type SecretVersion = Static<typeof SecretVersionSchema>;

export const PgBouncerSecretsSchema = obj({
  authQuery: opt(SecretVersionSchema),
});
export type PgBouncerSecrets = Static<typeof PgBouncerSecretsSchema>;

export const PoolerSecretsSchema = obj({
  clientTLS: opt(SecretVersionSchema),
  serverTLS: opt(SecretVersionSchema),
  serverCA: opt(SecretVersionSchema),
  clientCA: opt(SecretVersionSchema),
  pgBouncerSecrets: opt(PgBouncerSecretsSchema),
});
export type PoolerSecrets = Static<typeof PoolerSecretsSchema>;

export const PoolerStatusSchema = obj({
  secrets: opt(PoolerSecretsSchema),
  /** Pods being scheduled (the scale subresource's status path). */
  instances: opt(int32()),
  phase: opt(str()),
  phaseReason: opt(str()),
  /** The PgBouncer image in use, resolved from `image`, the catalog or the default. */
  image: opt(str()),
  /** The admission error that stops reconciliation, if any. */
  error: opt(str()),
});
export type PoolerStatus = Static<typeof PoolerStatusSchema>;

export const PoolerSchema = resourceSchema(
  'Pooler is the Schema for the poolers API',
  PoolerSpecSchema,
  PoolerStatusSchema,
);
export type Pooler = Static<typeof PoolerSchema>;
