// Upstream's Cluster phase strings (api/v1/cluster_types.go) and the status markers the operator,
// the instance managers and the plugin share: tools that watch CloudNativePG clusters (Argo CD health
// checks, dashboards, scripts) match them literally.

export const PHASES = {
  setupPrimary: 'Setting up primary',
  creatingReplica: 'Creating a new replica',
  upgrading: 'Upgrading cluster',
  upgradeDelayed: 'Cluster upgrade delayed',
  waitingForUser: 'Waiting for user action',
  inplacePrimaryRestart: 'Primary instance is being restarted in-place',
  inplaceDeletePrimary: 'Primary instance is being restarted without a switchover',
  healthy: 'Cluster in healthy state',
  unrecoverable: 'Cluster is unrecoverable and needs manual intervention',
  waitingForInstances: 'Waiting for the instances to become active',
  applyingConfiguration: 'Applying configuration',
  cannotCreateObjects: 'Unable to create required cluster objects',
  invalidDefinition: 'Invalid cluster definition',
  switchover: 'Switchover in progress',
  failingOver: 'Failing over',
} as const;

/** The phase reason `cnpg restart CLUSTER PRIMARY` writes with inplacePrimaryRestart, as upstream's plugin. */
export const USER_RESTART_REASON = 'Requested by the user';

export type Phase = (typeof PHASES)[keyof typeof PHASES];

/** Upstream's PendingFailoverMarker: `status.targetPrimary` while a failover picks the new primary. */
export const PENDING_FAILOVER = 'pending';
