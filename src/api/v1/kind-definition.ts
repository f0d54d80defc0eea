import type { AdmissionResult } from './admission-result.ts';
import type { TSchema } from './schema-kit.ts';

export const GROUP = 'postgresql.cnpg.io';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** Options of the admission step that depend on what the cluster around us offers. */
export interface AdmissionContext {
  /** Whether the VolumeSnapshot CRD is installed (upstream checks it at operator start). */
  volumeSnapshotAvailable: boolean;
}

/** What `cnpg validate` assumes: a cluster with every optional CRD installed. */
export const DEFAULT_ADMISSION_CONTEXT: AdmissionContext = { volumeSnapshotAvailable: true };

/** Everything the API machinery needs to know of one kind: its CRD and its admission. */
export interface KindDefinition<T = unknown> {
  kind: string;
  plural: string;
  singular: string;
  scope: 'Namespaced' | 'Cluster';
  description: string;
  schema: TSchema;
  printerColumns: PrinterColumn[];
  subresources: { status?: boolean; scale?: ScaleSubresource };
  /** The mutating webhook (after schema defaults), when the kind has one. */
  default?: (obj: T) => T;
  /** The validating webhook on create (and on update, before `validateUpdate`). */
  validate?: (obj: T, ctx: AdmissionContext) => AdmissionResult;
  /** The validating webhook's update-only rules; `old` is defaulted first. */
  validateUpdate?: (obj: T, old: T, ctx: AdmissionContext) => AdmissionResult;
}
