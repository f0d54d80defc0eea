// What every step of the Cluster reconciler works with: the API clients, the operator settings
// stamped on generated objects, the instance manager client, the Events recorder and the cluster's
// logger.
import type { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeObjectApi } from '../../kube/patch.ts';
import type { Logger } from '../../log/logger.ts';
import type { InheritanceOptions } from '../specs/labels.ts';
import type { InstanceClient } from './instance-client.ts';

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  objects: KubeObjectApi;
  inheritance: InheritanceOptions;
  /** The operator's image, which instance pods copy the manager from (upstream's bootstrap init container). */
  operatorImage?: string;
  instances: InstanceClient;
  /** Events on the Cluster for what the operator does (`kubectl describe cluster`). */
  recorder: EventRecorder;
  log: Logger;
}

/** One reconcile pass of one Cluster (already admitted and defaulted). */
export interface ClusterContext extends ReconcilerDeps {
  cluster: Cluster;
  name: string;
  namespace: string;
}
