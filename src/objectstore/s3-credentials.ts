// Where S3 credentials come from: explicit keys (the Cluster's s3Credentials Secrets), or, with
// inheritFromIAMRole, AWS's standard chain as far as it needs no SDK: environment variables, a web
// identity token (EKS's IRSA: AssumeRoleWithWebIdentity, an unsigned STS call), then the EC2
// instance metadata service (IMDSv2). Temporary credentials are cached until shortly before
// they expire.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AwsCredentials } from './sigv4.ts';
import { xmlText } from './xml.ts';

export type CredentialSource = () => Promise<AwsCredentials>;

export const staticCredentials =
  (credentials: AwsCredentials): CredentialSource =>
  () =>
    Promise.resolve(credentials);

/** Renew temporary credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const TIMEOUT_MS = 5_000;

function call(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, { method, headers, timeout: TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

function fromEnvironment(env: NodeJS.ProcessEnv): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

async function fromWebIdentity(env: NodeJS.ProcessEnv): Promise<AwsCredentials | undefined> {
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = env.AWS_ROLE_ARN;
  if (!tokenFile || !roleArn) return undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const host = region ? `sts.${region}.amazonaws.com` : 'sts.amazonaws.com';
  const query = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: env.AWS_ROLE_SESSION_NAME || `cnpg-${Date.now()}`,
    WebIdentityToken: readFileSync(tokenFile, 'utf8').trim(),
  });
  const { status, text } = await call(`https://${host}/?${query}`, 'GET', {});
  if (status !== 200) {
    throw new Error(
      `AssumeRoleWithWebIdentity for ${roleArn}: ${xmlText(text, 'Code') ?? status}: ${xmlText(text, 'Message') ?? text.trim()}`,
    );
  }
  const accessKeyId = xmlText(text, 'AccessKeyId');
  const secretAccessKey = xmlText(text, 'SecretAccessKey');
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new Error(`AssumeRoleWithWebIdentity for ${roleArn}: no credentials in the answer`);
  }
  const expiration = xmlText(text, 'Expiration');
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: xmlText(text, 'SessionToken'),
    expiration: expiration === undefined ? undefined : new Date(expiration),
  };
}

async function fromInstanceMetadata(env: NodeJS.ProcessEnv): Promise<AwsCredentials> {
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254').replace(/\/$/, '');
  const token = await call(`${base}/latest/api/token`, 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' });
  if (token.status !== 200) throw new Error(`instance metadata token: HTTP ${token.status}`);
  const headers = { 'x-aws-ec2-metadata-token': token.text };
  const roles = await call(`${base}/latest/meta-data/iam/security-credentials/`, 'GET', headers);
  const role = roles.text.split('\n')[0]?.trim();
  if (roles.status !== 200 || !role) throw new Error('the instance metadata service names no IAM role');
  const creds = await call(`${base}/latest/meta-data/iam/security-credentials/${role}`, 'GET', headers);
  if (creds.status !== 200) throw new Error(`instance metadata credentials of role ${role}: HTTP ${creds.status}`);
  const doc = JSON.parse(creds.text) as {
    AccessKeyId: string;
    SecretAccessKey: string;
    Token?: string;
    Expiration?: string;
  };
  return {
    accessKeyId: doc.AccessKeyId,
    secretAccessKey: doc.SecretAccessKey,
    sessionToken: doc.Token,
    expiration: doc.Expiration === undefined ? undefined : new Date(doc.Expiration),
  };
}

/** The pod's own AWS identity (inheritFromIAMRole): environment, web identity, then IMDSv2. */
export function defaultCredentialChain(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  let cached: AwsCredentials | undefined;
  return async () => {
    if (
      cached !== undefined &&
      (cached.expiration === undefined || cached.expiration.getTime() - REFRESH_MARGIN_MS > Date.now())
    ) {
      return cached;
    }
    const errors: string[] = [];
    const fromEnv = fromEnvironment(env);
    if (fromEnv !== undefined) return fromEnv;
    try {
      cached = await fromWebIdentity(env);
      if (cached !== undefined) return cached;
    } catch (err) {
      errors.push(`web identity: ${(err as Error).message}`);
    }
    try {
      cached = await fromInstanceMetadata(env);
      return cached;
    } catch (err) {
      errors.push(`instance metadata: ${(err as Error).message}`);
    }
    throw new Error(
      `no AWS credentials for inheritFromIAMRole: none in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; ${errors.join('; ')}`,
    );
  };
}
