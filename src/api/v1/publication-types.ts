// Publication (postgresql.cnpg.io/v1): a logical replication publication (CREATE PUBLICATION) in a
// database of a Cluster, the "publisher".
import { strings, AppliedStatusProperties } from './common-types.ts';
import { clusterReference, RECLAIM_POLICIES } from './database-types.ts';
import { bool, cel, enumOf, immutable, map, obj, opt, resourceSchema, type Static, str, Type } from './schema-kit.ts';

/** FOR TABLE: one table, with its descendants unless `only`, optionally a column list. */
export const PublicationTargetTableSchema = obj({
  only: opt(bool()),
  name: str(),
  schema: opt(str()),
  columns: opt(strings()),
});
export type PublicationTargetTable = Static<typeof PublicationTargetTableSchema>;

export const PublicationTargetObjectSchema = cel(
  obj({
    /** FOR TABLES IN SCHEMA: every table of the schema, present and future. */
    tablesInSchema: opt(str()),
    table: opt(PublicationTargetTableSchema),
  }),
  [
    {
      rule: '(has(self.tablesInSchema) && !has(self.table)) || (!has(self.tablesInSchema) && has(self.table))',
      message: 'tablesInSchema and table are mutually exclusive',
      check: (s) => (s.tablesInSchema !== undefined) !== (s.table !== undefined),
    },
  ],
);
export type PublicationTargetObject = Static<typeof PublicationTargetObjectSchema>;

export const PublicationTargetSchema = cel(
  obj({
    /** FOR ALL TABLES, including future ones. */
    allTables: opt(immutable(bool(), 'allTables is immutable')),
    objects: opt(
      cel(Type.Array(PublicationTargetObjectSchema, { maxItems: 100000 }), [
        {
          rule: '!(self.exists(o, has(o.table) && has(o.table.columns)) && self.exists(o, has(o.tablesInSchema)))',
          message: 'specifying a column list when the publication also publishes tablesInSchema is not supported',
          check: (s) =>
            !(s.some((o) => o.table?.columns !== undefined) && s.some((o) => o.tablesInSchema !== undefined)),
        },
      ]),
    ),
  }),
  [
    {
      rule: '(has(self.allTables) && !has(self.objects)) || (!has(self.allTables) && has(self.objects))',
      message: 'allTables and objects are mutually exclusive',
      check: (s) => (s.allTables !== undefined) !== (s.objects !== undefined),
    },
  ],
);
export type PublicationTarget = Static<typeof PublicationTargetSchema>;

export const PublicationSpecSchema = obj({
  cluster: clusterReference(),
  name: immutable(str(), 'name is immutable'),
  dbname: immutable(str(), 'dbname is immutable'),
  /** The WITH clause of CREATE PUBLICATION. */
  parameters: opt(map(str())),
  target: PublicationTargetSchema,
  publicationReclaimPolicy: opt(enumOf(RECLAIM_POLICIES, { default: 'retain' })),
});
export type PublicationSpec = Static<typeof PublicationSpecSchema>;

export const PublicationStatusSchema = obj({
  ...AppliedStatusProperties,
});
export type PublicationStatus = Static<typeof PublicationStatusSchema>;

export const PublicationSchema = resourceSchema(
  'Publication is the Schema for the publications API',
  PublicationSpecSchema,
  PublicationStatusSchema,
);
export type Publication = Static<typeof PublicationSchema>;
