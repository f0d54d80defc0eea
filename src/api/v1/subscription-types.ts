// Subscription (postgresql.cnpg.io/v1): a logical replication subscription (CREATE SUBSCRIPTION) in
// a database of a Cluster, the "subscriber", to a publication of an external cluster.
import { AppliedStatusProperties } from './common-types.ts';
import { clusterReference, RECLAIM_POLICIES } from './database-types.ts';
import { enumOf, immutable, map, obj, opt, resourceSchema, type Static, str } from './schema-kit.ts';

export const SubscriptionSpecSchema = obj({
  cluster: clusterReference(),
  name: immutable(str(), 'name is immutable'),
  dbname: immutable(str(), 'dbname is immutable'),
  /** The WITH clause of CREATE SUBSCRIPTION; most cannot change after creation. */
  parameters: opt(map(str())),
  publicationName: str(),
  /** Defaults to the dbname of the external cluster's connection parameters. */
  publicationDBName: opt(str()),
  externalClusterName: str(),
  subscriptionReclaimPolicy: opt(enumOf(RECLAIM_POLICIES, { default: 'retain' })),
});
export type SubscriptionSpec = Static<typeof SubscriptionSpecSchema>;

export const SubscriptionStatusSchema = obj({
  ...AppliedStatusProperties,
});
export type SubscriptionStatus = Static<typeof SubscriptionStatusSchema>;

export const SubscriptionSchema = resourceSchema(
  'Subscription is the Schema for the subscriptions API',
  SubscriptionSpecSchema,
  SubscriptionStatusSchema,
);
export type Subscription = Static<typeof SubscriptionSchema>;
