// FailoverQuorum (postgresql.cnpg.io/v1): status-only object named after its Cluster. The primary's
// instance manager records the synchronous replication setup it last applied, so that with
// `synchronous.failoverQuorum` a failover only promotes a replica proven to have every
// synchronously committed transaction.
import { integer, strings } from './common-types.ts';
import { obj, opt, type Static, statusOnlyResourceSchema, str } from './schema-kit.ts';

export const FailoverQuorumStatusSchema = obj({
  /** The synchronous method last reported (`any` or `first`). */
  method: opt(str()),
  /** The potentially synchronous standbys. */
  standbyNames: opt(strings()),
  /** How many synchronous standbys a commit waits for. */
  standbyNumber: opt(integer()),
  /** The primary instance that last wrote this object. */
  primary: opt(str()),
});
export type FailoverQuorumStatus = Static<typeof FailoverQuorumStatusSchema>;

export const FailoverQuorumSchema = statusOnlyResourceSchema(
  'FailoverQuorum contains the information about the current failover quorum status of a PG cluster. ' +
    'It is updated by the instance manager of the primary node and reset to zero by the operator to ' +
    'trigger an update.',
  FailoverQuorumStatusSchema,
);
export type FailoverQuorum = Static<typeof FailoverQuorumSchema>;
