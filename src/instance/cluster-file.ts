// The Cluster this instance belongs to, from the file the operator writes (JSON or YAML), admitted
// exactly as the API server would: defaults, schema, CEL and webhook rules. An invalid Cluster is
// refused with the webhook's messages.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { admit } from '../api/v1/admission.ts';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { kindDefinition } from '../api/v1/kinds.ts';
import { errorMessage, InstanceError } from './errors.ts';

export function readClusterFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InstanceError(
      `cannot read the Cluster file ${path}: ${code === 'ENOENT' ? 'no such file' : errorMessage(err)}`,
    );
  }
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw new InstanceError(`cannot parse the Cluster file ${path}: ${errorMessage(err).split('\n')[0]}`);
  }
}

/**
 * `raw` admitted as the API server admits a Cluster (defaults, schema, CEL and webhook rules), or an
 * InstanceError naming `where` and listing every admission error on one line.
 */
export function admitCluster(raw: unknown, where: string, expectedName?: string): Cluster {
  const def = kindDefinition('Cluster');
  if (def === undefined) throw new Error('the Cluster kind is not registered');
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (kind !== 'Cluster') throw new InstanceError(`${where} does not hold a Cluster (kind: ${String(kind)})`);
  const result = admit(def, raw);
  if (result.errors.length > 0 || result.object === undefined) {
    throw new InstanceError(`invalid Cluster in ${where}: ${result.errors.map(String).join('; ')}`);
  }
  const cluster = result.object as unknown as Cluster;
  const name = cluster.metadata?.name;
  if (expectedName !== undefined && name !== expectedName) {
    throw new InstanceError(`${where} holds Cluster "${String(name)}", but this instance belongs to "${expectedName}"`);
  }
  return cluster;
}

/** The admitted (defaulted) Cluster of a file. */
export function loadCluster(path: string, expectedName?: string): Cluster {
  return admitCluster(readClusterFile(path), path, expectedName);
}
