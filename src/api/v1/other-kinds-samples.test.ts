// Every upstream sample document of the kinds other than Cluster must pass our schema (with its
// CEL rules), our defaulting and our validating webhooks, unchanged: they are real user input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleDocuments } from '../../../test/support/samples.ts';
import type { AdmissionResult } from './admission-result.ts';
import { defaultBackup } from './backup-defaults.ts';
import { type Backup, BackupSchema } from './backup-types.ts';
import { validateBackup } from './backup-validation.ts';
import { defaultDatabase } from './database-defaults.ts';
import { DatabaseRoleSchema } from './database-role-types.ts';
import { type Database, DatabaseSchema } from './database-types.ts';
import { validateDatabase } from './database-validation.ts';
import { FailoverQuorumSchema } from './failover-quorum-types.ts';
import { ClusterImageCatalogSchema, ImageCatalogSchema } from './image-catalog-types.ts';
import { type Pooler, PoolerSchema } from './pooler-types.ts';
import { validatePooler } from './pooler-validation.ts';
import { PublicationSchema } from './publication-types.ts';
import { defaultScheduledBackup } from './scheduled-backup-defaults.ts';
import { type ScheduledBackup, ScheduledBackupSchema } from './scheduled-backup-types.ts';
import { validateScheduledBackup } from './scheduled-backup-validation.ts';
import type { TSchema } from './schema-kit.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema } from './schema-validate.ts';
import { SubscriptionSchema } from './subscription-types.ts';

interface Admission {
  schema: TSchema;
  webhook?: (obj: unknown) => AdmissionResult;
}

const KINDS: Record<string, Admission> = {
  Backup: { schema: BackupSchema, webhook: (o) => validateBackup(defaultBackup(o as Backup)) },
  ScheduledBackup: {
    schema: ScheduledBackupSchema,
    webhook: (o) => validateScheduledBackup(defaultScheduledBackup(o as ScheduledBackup)),
  },
  Pooler: { schema: PoolerSchema, webhook: (o) => validatePooler(o as Pooler) },
  Database: { schema: DatabaseSchema, webhook: (o) => validateDatabase(defaultDatabase(o as Database)) },
  DatabaseRole: { schema: DatabaseRoleSchema },
  Publication: { schema: PublicationSchema },
  Subscription: { schema: SubscriptionSchema },
  ImageCatalog: { schema: ImageCatalogSchema },
  ClusterImageCatalog: { schema: ClusterImageCatalogSchema },
  FailoverQuorum: { schema: FailoverQuorumSchema },
};

const samples = sampleDocuments().filter(({ doc }) => typeof doc.kind === 'string' && doc.kind in KINDS);

describe('upstream samples of the other kinds', () => {
  it('include every kind the samples use', () => {
    const kinds = new Set(samples.map(({ doc }) => doc.kind));
    for (const kind of [
      'Backup',
      'ScheduledBackup',
      'Pooler',
      'Database',
      'DatabaseRole',
      'Publication',
      'Subscription',
      'ImageCatalog',
      'ClusterImageCatalog',
    ]) {
      assert.ok(kinds.has(kind), kind);
    }
  });

  for (const { file, doc } of samples) {
    const name = (doc.metadata as { name?: string } | undefined)?.name;
    it(`${file}: ${String(doc.kind)} ${name} is admitted`, () => {
      const admission = KINDS[doc.kind as string];
      assert.ok(admission);
      const schema = admission.schema as SchemaNode;
      const stored = applySchemaDefaults(schema, doc);
      assert.deepEqual(validateSchema(schema, stored).map(String), []);
      const result = admission.webhook?.(stored) ?? { errors: [], warnings: [] };
      assert.deepEqual(result.errors.map(String), []);
    });
  }
});
