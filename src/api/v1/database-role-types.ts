// DatabaseRole (postgresql.cnpg.io/v1): one PostgreSQL role of a Cluster, with the attributes of a
// managed role (`.spec.managed.roles[]`) and, optionally, a TLS client certificate kept by the
// operator in the Secret `<databaserole>-client-cert`.
import type { V1Condition } from '@kubernetes/client-node';
import { RoleConfigurationProperties, AppliedStatusProperties } from './common-types.ts';
import { coreType } from './core-types.ts';
import { clusterReference, RECLAIM_POLICIES } from './database-types.ts';
import { bool, cel, enumOf, obj, opt, resourceSchema, type Static, str, Type } from './schema-kit.ts';

/** Condition type set while a change of the password Secret is being applied. */
export const CONDITION_PASSWORD_SECRET_CHANGE = 'PasswordSecretChange';

/** Suffix of the Secret holding the generated client certificate. */
export const CLIENT_CERT_SECRET_SUFFIX = '-client-cert';

export const ClientCertificateConfigurationSchema = obj({
  /** Defaults to true once the block is present; needs `login`. */
  enabled: opt(bool({ default: true })),
});
export type ClientCertificateConfiguration = Static<typeof ClientCertificateConfigurationSchema>;

const RESERVED_ROLE_NAMES = ['postgres', 'streaming_replica'] as const;

export const DatabaseRoleSpecSchema = cel(
  obj({
    ...RoleConfigurationProperties,
    cluster: clusterReference(),
    databaseRoleReclaimPolicy: opt(enumOf(RECLAIM_POLICIES, { default: 'retain' })),
    clientCertificate: opt(ClientCertificateConfigurationSchema),
  }),
  [
    { rule: 'self.name == oldSelf.name', message: 'name is immutable', check: (s, o) => s.name === o?.name },
    {
      rule: "!has(self.ensure) || self.ensure != 'absent'",
      message:
        'ensure: absent is not supported for DatabaseRole; ' +
        'delete the resource with databaseRoleReclaimPolicy: delete instead',
      check: (s) => s.ensure !== 'absent',
    },
    ...RESERVED_ROLE_NAMES.map((name) => ({
      rule: `self.name != '${name}'`,
      message: `the role name ${name} is reserved`,
      check: (s: { name: string }) => s.name !== name,
    })),
    {
      rule: "!self.name.startsWith('pg_')",
      message: 'role names starting with pg_ are reserved by PostgreSQL',
      check: (s) => !s.name.startsWith('pg_'),
    },
    {
      rule: "!self.name.startsWith('cnpg_')",
      message: 'role names starting with cnpg_ are reserved by the operator',
      check: (s) => !s.name.startsWith('cnpg_'),
    },
    { rule: 'self.name.size() != 0', message: 'role name must not be empty', check: (s) => s.name.length !== 0 },
    {
      rule: '!has(self.passwordSecret) || !has(self.disablePassword) || !self.disablePassword',
      message: 'passwordSecret and disablePassword are mutually exclusive',
      check: (s) => s.passwordSecret === undefined || s.disablePassword !== true,
    },
    {
      rule:
        '!has(self.clientCertificate) || !has(self.clientCertificate.enabled) || !self.clientCertificate.enabled ' +
        '|| (has(self.login) && self.login)',
      message: 'clientCertificate requires the role to have login enabled',
      check: (s) => s.clientCertificate?.enabled !== true || s.login === true,
    },
  ],
);
export type DatabaseRoleSpec = Static<typeof DatabaseRoleSpecSchema>;

export const ClientCertificateStateSchema = obj({
  /** RFC 3339. */
  expiration: opt(str()),
  /** Why issuance was skipped, or why an existing Secret was left untouched. */
  message: opt(str()),
});
export type ClientCertificateState = Static<typeof ClientCertificateStateSchema>;

export const DatabaseRoleStatusSchema = obj({
  ...AppliedStatusProperties,
  /** resourceVersion of the password Secret last applied: a change triggers reconciliation. */
  secretResourceVersion: opt(str()),
  clientCertificate: opt(ClientCertificateStateSchema),
  conditions: opt(Type.Array(coreType<V1Condition>('V1Condition'))),
});
export type DatabaseRoleStatus = Static<typeof DatabaseRoleStatusSchema>;

export const DatabaseRoleSchema = resourceSchema(
  'DatabaseRole is the Schema for the databaseroles API',
  DatabaseRoleSpecSchema,
  DatabaseRoleStatusSchema,
);
export type DatabaseRole = Static<typeof DatabaseRoleSchema>;
