// `cnpg instance wal-archive`: PostgreSQL's archive_command. As upstream, a Cluster without a
// WAL archive (no barmanObjectStore, no WAL-archiver plugin) archives nothing and succeeds, so
// WAL does not pile up; archiving to an object store is not implemented yet and fails loudly.
import { InstanceError } from './errors.ts';
import { readClusterFile } from './cluster-file.ts';

export interface ArchiveSpec {
  spec?: {
    backup?: { barmanObjectStore?: unknown };
    plugins?: { name?: string; isWALArchiver?: boolean; enabled?: boolean }[];
  };
}

/** Where WAL goes (an object store, a plugin), or undefined when the Cluster archives nothing. */
export function walArchiveDestination(cluster: ArchiveSpec): string | undefined {
  const spec = cluster.spec ?? {};
  if (spec.backup?.barmanObjectStore !== undefined) return 'spec.backup.barmanObjectStore';
  const plugin = (spec.plugins ?? []).find((p) => p.isWALArchiver === true && p.enabled !== false);
  return plugin === undefined ? undefined : `plugin "${plugin.name}"`;
}

export function walArchive(clusterFile: string, walPath: string): void {
  const destination = walArchiveDestination(readClusterFile(clusterFile) as ArchiveSpec);
  if (destination !== undefined) {
    throw new InstanceError(`cannot archive ${walPath}: WAL archiving to ${destination} is not implemented yet`);
  }
}
