// Database (postgresql.cnpg.io/v1): a PostgreSQL database of a Cluster, with its schemas,
// extensions, foreign data wrappers and foreign servers, managed declaratively.
import { ENSURE_OPTIONS, integer, AppliedStatusProperties } from './common-types.ts';
import { bool, cel, enumOf, immutable, obj, opt, resourceSchema, type Static, str, Type } from './schema-kit.ts';

export const RECLAIM_POLICIES = ['delete', 'retain'] as const;
export type ReclaimPolicy = (typeof RECLAIM_POLICIES)[number];

export const USAGE_TYPES = ['grant', 'revoke'] as const;
export type UsageSpecType = (typeof USAGE_TYPES)[number];

/**
 * corev1.LocalObjectReference naming the Cluster of a Database, DatabaseRole, Publication or
 * Subscription: `name` defaults to "" (controller-gen's rendering) and the reference is immutable.
 * A fresh node per use, so the rule attached stays local.
 */
export const clusterReference = () =>
  immutable(
    obj({ name: opt(str({ default: '' })) }, { 'x-kubernetes-map-type': 'atomic' }),
    'cluster reference is immutable after creation',
  );

const ensure = () => opt(enumOf(ENSURE_OPTIONS, { default: 'present' }));

/** A string that cannot change once set (CEL `self == oldSelf`). */
const createOnly = (field: string) => opt(immutable(str(), `${field} is immutable`));

export const OptionSpecSchema = obj({
  name: str(),
  value: str(),
  ensure: ensure(),
});
export type OptionSpec = Static<typeof OptionSpecSchema>;

export const UsageSpecSchema = obj({
  name: cel(str(), [{ rule: "self != ''", message: 'name is required', check: (s) => s !== '' }]),
  type: opt(enumOf(USAGE_TYPES, { default: 'grant' })),
});
export type UsageSpec = Static<typeof UsageSpecSchema>;

export const SchemaSpecSchema = obj({
  name: str(),
  ensure: ensure(),
  /** AUTHORIZATION of CREATE SCHEMA, OWNER TO of ALTER SCHEMA. */
  owner: opt(str()),
});
export type SchemaSpec = Static<typeof SchemaSpecSchema>;

export const ExtensionSpecSchema = obj({
  name: str(),
  ensure: ensure(),
  /** Empty: the default version of the control file. */
  version: opt(str()),
  schema: opt(str()),
});
export type ExtensionSpec = Static<typeof ExtensionSpecSchema>;

export const FDWSpecSchema = obj({
  name: str(),
  ensure: ensure(),
  handler: opt(str()),
  validator: opt(str()),
  owner: opt(str()),
  options: opt(Type.Array(OptionSpecSchema)),
  usage: opt(Type.Array(UsageSpecSchema)),
});
export type FDWSpec = Static<typeof FDWSpecSchema>;

export const ServerSpecSchema = obj({
  name: str(),
  ensure: ensure(),
  fdw: cel(str(), [{ rule: "self != ''", message: 'fdw is required', check: (s) => s !== '' }]),
  options: opt(Type.Array(OptionSpecSchema)),
  usage: opt(Type.Array(UsageSpecSchema)),
});
export type ServerSpec = Static<typeof ServerSpecSchema>;

export const DatabaseSpecSchema = cel(
  obj({
    cluster: clusterReference(),
    ensure: ensure(),
    name: cel(str(), [
      { rule: 'self == oldSelf', message: 'name is immutable', check: (s, o) => s === o },
      { rule: "self != 'postgres'", message: 'the name postgres is reserved', check: (s) => s !== 'postgres' },
      { rule: "self != 'template0'", message: 'the name template0 is reserved', check: (s) => s !== 'template0' },
      { rule: "self != 'template1'", message: 'the name template1 is reserved', check: (s) => s !== 'template1' },
    ]),
    owner: str(),
    template: createOnly('template'),
    encoding: createOnly('encoding'),
    locale: createOnly('locale'),
    localeProvider: createOnly('localeProvider'),
    localeCollate: createOnly('localeCollate'),
    localeCType: createOnly('localeCType'),
    icuLocale: createOnly('icuLocale'),
    icuRules: createOnly('icuRules'),
    builtinLocale: createOnly('builtinLocale'),
    collationVersion: createOnly('collationVersion'),
    isTemplate: opt(bool()),
    allowConnections: opt(bool()),
    /** -1 (the default) means no limit. */
    connectionLimit: opt(integer()),
    tablespace: opt(str()),
    databaseReclaimPolicy: opt(enumOf(RECLAIM_POLICIES, { default: 'retain' })),
    schemas: opt(Type.Array(SchemaSpecSchema)),
    extensions: opt(Type.Array(ExtensionSpecSchema)),
    fdws: opt(Type.Array(FDWSpecSchema)),
    servers: opt(Type.Array(ServerSpecSchema)),
  }),
  // CEL fails on the absent localeProvider, which rejects the object: the predicates do the same.
  [
    {
      rule: "!has(self.builtinLocale) || self.localeProvider == 'builtin'",
      message: 'builtinLocale is only available when localeProvider is set to `builtin`',
      check: (s) => s.builtinLocale === undefined || s.localeProvider === 'builtin',
    },
    {
      rule: "!has(self.icuLocale) || self.localeProvider == 'icu'",
      message: 'icuLocale is only available when localeProvider is set to `icu`',
      check: (s) => s.icuLocale === undefined || s.localeProvider === 'icu',
    },
    {
      rule: "!has(self.icuRules) || self.localeProvider == 'icu'",
      message: 'icuRules is only available when localeProvider is set to `icu`',
      check: (s) => s.icuRules === undefined || s.localeProvider === 'icu',
    },
  ],
);
export type DatabaseSpec = Static<typeof DatabaseSpecSchema>;

/** How one managed object (schema, extension, FDW, server) was reconciled. */
export const DatabaseObjectStatusSchema = obj({
  name: str(),
  applied: bool(),
  message: opt(str()),
});
export type DatabaseObjectStatus = Static<typeof DatabaseObjectStatusSchema>;

export const DatabaseStatusSchema = obj({
  ...AppliedStatusProperties,
  schemas: opt(Type.Array(DatabaseObjectStatusSchema)),
  extensions: opt(Type.Array(DatabaseObjectStatusSchema)),
  fdws: opt(Type.Array(DatabaseObjectStatusSchema)),
  servers: opt(Type.Array(DatabaseObjectStatusSchema)),
});
export type DatabaseStatus = Static<typeof DatabaseStatusSchema>;

export const DatabaseSchema = resourceSchema(
  'Database is the Schema for the databases API',
  DatabaseSpecSchema,
  DatabaseStatusSchema,
);
export type Database = Static<typeof DatabaseSchema>;
