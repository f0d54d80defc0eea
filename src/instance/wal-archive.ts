// `cnpg instance wal-archive`: PostgreSQL's archive_command. As upstream, a Cluster without a
// WAL archive (no barmanObjectStore, no WAL-archiver plugin) archives nothing and succeeds, so
// WAL does not pile up; archiving to an object store is not implemented yet and fails loudly.
import { InstanceError } from './errors.ts';
import { readClusterFile } from './cluster-file.ts';

interface ArchiveSpec {
  spec?: {
    backup?: { barmanObjectStore?: unknown };
    plugins?: { name?: string; isWALArchiver?: boolean; enabled?: boolean }[];
  };
}

export function walArchive(clusterFile: string, walPath: string): void {
  const cluster = readClusterFile(clusterFile) as ArchiveSpec;
  const spec = cluster.spec ?? {};
  const plugin = (spec.plugins ?? []).find((p) => p.isWALArchiver === true && p.enabled !== false);
  if (spec.backup?.barmanObjectStore !== undefined) {
    throw new InstanceError(
      `cannot archive ${walPath}: WAL archiving to spec.backup.barmanObjectStore is not implemented yet`,
    );
  }
  if (plugin !== undefined) {
    throw new InstanceError(
      `cannot archive ${walPath}: WAL archiving through plugin "${plugin.name}" is not implemented yet`,
    );
  }
}
