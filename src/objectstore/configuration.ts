// The object store a Cluster's barmanObjectStore stanza names: its destinationPath split into
// bucket and prefix, and an S3 client with the credentials, region and CA its Secrets hold.
// Azure Blob Storage and Google Cloud Storage destinations are refused by name until they exist.
import type { BarmanObjectStoreConfiguration } from '../api/v1/barman-types.ts';
import { S3ObjectStore } from './s3-client.ts';
import { defaultCredentialChain, staticCredentials } from './s3-credentials.ts';

/** Reads one key of a Secret the Cluster refers to (`field` names the reference, for messages). */
export type SecretReader = (name: string, key: string, field: string) => string;

export interface S3Destination {
  bucket: string;
  /** The path below the bucket, without leading or trailing slashes ('' for the bucket's root). */
  prefix: string;
}

const FIELD = 'spec.backup.barmanObjectStore';

export class ObjectStoreConfigError extends Error {
  override readonly name = 'ObjectStoreConfigError';
}

export function parseS3DestinationPath(destinationPath: string): S3Destination {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(destinationPath);
  if (match === null) {
    throw new ObjectStoreConfigError(
      `${FIELD}.destinationPath "${destinationPath}": an S3 destination is s3://<bucket>[/<path>]`,
    );
  }
  return { bucket: match[1] as string, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export interface StoreTuning {
  /** Parts of one multipart upload in flight at once (a base backup's data.jobs). */
  partConcurrency?: number;
  /** Where inheritFromIAMRole and the region's default look (process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface ConfiguredStore {
  store: S3ObjectStore;
  destination: S3Destination;
}

/** The S3 store of `config`; throws ObjectStoreConfigError naming the field that is wrong. */
export function objectStoreFromConfiguration(
  config: BarmanObjectStoreConfiguration,
  readSecret: SecretReader,
  { partConcurrency, env = process.env }: StoreTuning = {},
): ConfiguredStore {
  if (config.azureCredentials !== undefined || /^https?:\/\/[^/]+\.blob\./.test(config.destinationPath)) {
    throw new ObjectStoreConfigError(`${FIELD}: Azure Blob Storage is not supported yet (only S3)`);
  }
  if (config.googleCredentials !== undefined || config.destinationPath.startsWith('gs://')) {
    throw new ObjectStoreConfigError(`${FIELD}: Google Cloud Storage is not supported yet (only S3)`);
  }
  const s3 = config.s3Credentials;
  if (s3 === undefined) throw new ObjectStoreConfigError(`${FIELD}.s3Credentials is required for an S3 destination`);
  const destination = parseS3DestinationPath(config.destinationPath);
  const secret = (field: keyof typeof s3): string | undefined => {
    const ref = s3[field];
    if (ref === undefined || typeof ref === 'boolean') return undefined;
    return readSecret(ref.name, ref.key, `${FIELD}.s3Credentials.${field}`).trim();
  };
  let credentials: ReturnType<typeof staticCredentials>;
  if (s3.inheritFromIAMRole === true) {
    credentials = defaultCredentialChain(env);
  } else {
    const accessKeyId = secret('accessKeyId');
    const secretAccessKey = secret('secretAccessKey');
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw new ObjectStoreConfigError(
        `${FIELD}.s3Credentials: accessKeyId and secretAccessKey are required unless inheritFromIAMRole is true`,
      );
    }
    credentials = staticCredentials({ accessKeyId, secretAccessKey, sessionToken: secret('sessionToken') });
  }
  const region = secret('region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const ca =
    config.endpointCA === undefined
      ? undefined
      : readSecret(config.endpointCA.name, config.endpointCA.key, `${FIELD}.endpointCA`);
  try {
    const store = new S3ObjectStore({
      bucket: destination.bucket,
      region,
      credentials,
      endpointURL: config.endpointURL,
      ca,
      partConcurrency,
    });
    return { store, destination };
  } catch (err) {
    throw new ObjectStoreConfigError(`${FIELD}.${(err as Error).message}`);
  }
}
