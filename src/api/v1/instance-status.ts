// The instance manager's `GET /pg/status` payload: the REST contract between the instance manager
// and the operator (and `cnpg status`), with upstream's PostgresqlStatus field names
// (pkg/postgres/status.go), plus what a reader without a Pod object needs.

export interface ReplicationPeer {
  applicationName?: string;
  state?: string;
  /** Upstream names the sent LSN `receivedLsn` in JSON. */
  receivedLsn?: string;
  writeLsn?: string;
  flushLsn?: string;
  replayLsn?: string;
  writeLag?: string;
  flushLag?: string;
  replayLag?: string;
  syncState?: string;
  syncPriority?: string;
  /** Bytes between the primary's current LSN and what the peer has replayed. */
  replayLagBytes?: number;
}

export interface ReplicationSlotInfo {
  slotName: string;
  slotType: string;
  active: boolean;
  restartLsn?: string;
  walStatus?: string;
}

export interface PostgresqlStatus {
  instanceName: string;
  clusterName: string;
  role: 'primary' | 'replica';
  isPrimary: boolean;
  systemID: string;
  timeLineID: number;
  currentLsn?: string;
  receivedLsn?: string;
  replayLsn?: string;
  replayPaused: boolean;
  isWalReceiverActive: boolean;
  walReceiverStatus?: string;
  /** Where the WAL receiver streams from (host:port), on a replica. */
  streamingFrom?: string;
  pendingRestart: boolean;
  pendingRestartParameters: string[];
  isPgRewindRunning: boolean;
  mightBeUnavailable: boolean;
  isFenced: boolean;
  loadedConfigurationHash?: string;
  currentWAL?: string;
  readyWalFiles: number;
  postgresVersion: string;
  /** The major version of the data directory (its PG_VERSION file). */
  pgDataMajorVersion?: number;
  replicationInfo: ReplicationPeer[];
  replicationSlotsInfo: ReplicationSlotInfo[];
  instanceManagerVersion: string;
  sessionID: string;
}
