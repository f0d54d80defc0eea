// The object store of a Cluster's spec.backup.barmanObjectStore as the instance manager opens it,
// for WAL archiving, WAL restore and base backups alike: the credentials and CA read from the
// mounted Secrets (`<secretsRoot>/<secret>/<key>`), and the barman-cloud layout under serverName
// (the Cluster's name when unset).
import { join } from 'node:path';
import type { BarmanObjectStoreConfiguration } from '../api/v1/barman-types.ts';
import { BarmanLayout } from '../objectstore/barman-layout.ts';
import { objectStoreFromConfiguration } from '../objectstore/configuration.ts';
import type { S3ObjectStore } from '../objectstore/s3-client.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { readMountedKey } from './secrets.ts';

export interface ClusterStoreOptions {
  /** The Cluster's name: the serverName when the configuration sets none. */
  clusterName: string;
  /** Mounted Secrets: `<root>/<secret>/<key>` (the s3Credentials and endpointCA references). */
  secretsRoot?: string;
  /** Parts of one upload sent at once (a base backup's data.jobs); the client's default otherwise. */
  partConcurrency?: number;
}

export interface ClusterStore {
  store: S3ObjectStore;
  layout: BarmanLayout;
  serverName: string;
}

/** Opens the store `config` names; throws InstanceError naming the field that is missing or wrong. */
export function openClusterStore(config: BarmanObjectStoreConfiguration, options: ClusterStoreOptions): ClusterStore {
  const serverName = config.serverName ?? options.clusterName;
  const readSecret = (secret: string, key: string, field: string): string => {
    if (options.secretsRoot === undefined) {
      throw new InstanceError(`${field} refers to Secret "${secret}", but --secrets-root is not set`);
    }
    return readMountedKey(join(options.secretsRoot, secret), key, `${field} (Secret "${secret}", key "${key}")`);
  };
  try {
    const { store, destination } = objectStoreFromConfiguration(config, readSecret, {
      partConcurrency: options.partConcurrency,
    });
    return { store, layout: new BarmanLayout(destination.prefix, serverName), serverName };
  } catch (err) {
    if (err instanceof InstanceError) throw err;
    throw new InstanceError(errorMessage(err));
  }
}
