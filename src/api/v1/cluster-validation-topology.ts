// Cluster admission rules about where a cluster sits among others: its name, its certificates,
// the external clusters it refers to, replica-cluster mode and the promotion token (upstream
// internal/webhook/v1/cluster_webhook.go). Messages and field paths are upstream's, including
// its quirks (replica errors are reported under `spec.replicaCluster`, certificate paths are
// lower-cased) because users match on them.
import type { Cluster, ExternalCluster } from './cluster-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';

// ---------------------------------------------------------------------------------------------
// Helpers shared with the other cluster-validation modules

/** The first external cluster with this name, as Cluster.ExternalCluster() finds it. */
export function findExternalCluster(cluster: Cluster, name: string | undefined): ExternalCluster | undefined {
  return cluster.spec.externalClusters?.find((c) => c.name === (name ?? ''));
}

/**
 * Whether the cluster runs as a replica cluster. `enabled`, when given, decides (legacy switch);
 * otherwise the cluster is a replica unless it is the declared primary of the distributed topology.
 */
export function isReplica(cluster: Cluster): boolean {
  const replica = cluster.spec.replica;
  if (replica === undefined) return false;
  if (replica.enabled !== undefined) return replica.enabled;
  const self = replica.self || cluster.metadata?.name || '';
  return self !== (replica.primary ?? '');
}

// ---------------------------------------------------------------------------------------------
// Certificates (rules 8, 9)

export function validateCerts(cluster: Cluster): FieldError[] {
  const certs = cluster.spec.certificates;
  if (certs === undefined) return [];
  const result: FieldError[] = [];
  if (certs.serverTLSSecret) {
    const altNames = certs.serverAltDNSNames ?? [];
    if (altNames.length !== 0) {
      result.push(
        fieldErr.invalid(
          'spec.certificates.serveraltdnsnames',
          `[${altNames.join(' ')}]`,
          "Server alternative DNS names can't be defined when server TLS secret is provided",
        ),
      );
    }
    if (!certs.serverCASecret) {
      result.push(
        fieldErr.invalid(
          'spec.certificates.servercasecret',
          '',
          "Server CA secret can't be empty when server TLS secret is provided",
        ),
      );
    }
  }
  if (certs.replicationTLSSecret && !certs.clientCASecret) {
    result.push(
      fieldErr.invalid(
        'spec.certificates.clientcasecret',
        '',
        "Client CA secret can't be empty when client replication secret is provided",
      ),
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Cluster name (rule 23)

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The name ends up in Service names, which refuse dots, hence DNS-1035 and a margin for suffixes. */
export function validateName(cluster: Cluster): FieldError[] {
  const name = cluster.metadata?.name ?? '';
  const result: FieldError[] = [];
  if (name.length > 63 || !DNS1035_LABEL.test(name)) {
    result.push(fieldErr.invalid('metadata.name', name, 'cluster name must be a valid DNS label'));
  }
  if (name.length > 50) {
    result.push(fieldErr.invalid('metadata.name', name, 'the maximum length of a cluster name is 50 characters'));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// External clusters (rules 30, 31)

// The instance manager writes an external cluster's TLS material under a directory named after
// it, in files named after the secret selectors: none of them may climb out of that directory.
const PATH_COMPONENT_DETAIL = "must not be '.' or '..' and must not contain '/' or '\\'";
const isUnsafePathComponent = (s: string): boolean => s === '.' || s === '..' || /[/\\]/.test(s);

export function validateExternalClusters(cluster: Cluster): FieldError[] {
  const externalClusters = cluster.spec.externalClusters ?? [];
  const result: FieldError[] = [];
  externalClusters.forEach((externalCluster, idx) => {
    result.push(...validateExternalCluster(externalCluster, path('spec', 'externalClusters').index(idx).text));
  });
  if (new Set(externalClusters.map((c) => c.name)).size !== externalClusters.length) {
    result.push(
      fieldErr.invalid(
        'spec.externalClusters',
        externalClusters,
        'the list of external clusters contains duplicate values',
      ),
    );
  }
  return result;
}

function validateExternalCluster(externalCluster: ExternalCluster, base: string): FieldError[] {
  const result: FieldError[] = [];
  if (
    externalCluster.connectionParameters === undefined &&
    externalCluster.barmanObjectStore === undefined &&
    externalCluster.plugin === undefined
  ) {
    result.push(
      fieldErr.invalid(base, externalCluster, 'one of connectionParameters, plugin and barmanObjectStore is required'),
    );
  }
  if (isUnsafePathComponent(externalCluster.name)) {
    result.push(fieldErr.invalid(`${base}.name`, externalCluster.name, PATH_COMPONENT_DETAIL));
  }
  for (const field of ['sslCert', 'sslKey', 'sslRootCert'] as const) {
    const selector = externalCluster[field];
    if (selector === undefined) continue;
    for (const part of ['name', 'key'] as const) {
      const value = selector[part] ?? '';
      if (isUnsafePathComponent(value)) {
        result.push(fieldErr.invalid(`${base}.${field}.${part}`, value, PATH_COMPONENT_DETAIL));
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Replica clusters (rules 34, 35, 36; update rule U9)

export function validateReplicaMode(cluster: Cluster): FieldError[] {
  const conf = cluster.spec.replica;
  if (conf === undefined) return [];
  const result: FieldError[] = [];

  // `enabled` is the legacy manual switch; `primary` drives the automatic mode: never both.
  if (conf.primary && conf.enabled !== undefined) {
    result.push(
      fieldErr.invalid(
        'spec.replicaCluster.enabled',
        conf,
        'replica mode enabled is not compatible with the primary field',
      ),
    );
  }

  if (isReplica(cluster)) {
    const bootstrap = cluster.spec.bootstrap;
    if (bootstrap === undefined) {
      result.push(fieldErr.invalid('spec.bootstrap', conf, 'bootstrap configuration is required for replica mode'));
    } else if (
      bootstrap.pg_basebackup === undefined &&
      bootstrap.recovery === undefined &&
      // Only at creation: an existing primary may be turned into a replica whatever it booted from.
      !cluster.metadata?.resourceVersion
    ) {
      result.push(
        fieldErr.invalid(
          'spec.replicaCluster',
          conf,
          'replica mode bootstrap is compatible only with pg_basebackup or recovery',
        ),
      );
    }
  }

  result.push(...validateReplicaClusterExternalClusters(cluster));
  return result;
}

export function validateReplicaClusterExternalClusters(cluster: Cluster): FieldError[] {
  const conf = cluster.spec.replica;
  if (conf === undefined) return [];
  const result: FieldError[] = [];
  const notFound = (field: string, name: string) =>
    fieldErr.invalid(`spec.replicaCluster.${field}`, name, `External cluster ${name} not found`);

  if (findExternalCluster(cluster, conf.source) === undefined) {
    result.push(notFound('primaryServerName', conf.source ?? ''));
  }
  if (conf.self && findExternalCluster(cluster, conf.self) === undefined) {
    result.push(notFound('self', conf.self));
  }
  if (conf.primary && findExternalCluster(cluster, conf.primary) === undefined) {
    result.push(notFound('primary', conf.primary));
  }
  return result;
}

/** Replica mode cannot be toggled while a switch of the replica-cluster role is in progress. */
export function validateReplicaClusterChange(cluster: Cluster, old: Cluster): FieldError[] {
  if (isReplica(cluster) === isReplica(old)) return [];
  if (cluster.status?.switchReplicaClusterStatus?.inProgress) {
    return [
      fieldErr.forbidden(
        'spec.replica.enabled',
        'cannot modify the field while there is an ongoing operation to enable the replica cluster',
      ),
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Promotion token (rule 65)

export function validatePromotionToken(cluster: Cluster): FieldError[] {
  const conf = cluster.spec.replica;
  const token = conf?.promotionToken ?? '';
  if (conf === undefined || token === '') return [];

  if (conf.minApplyDelay !== undefined) {
    return [
      fieldErr.invalid(
        'spec.replicaCluster.minApplyDelay',
        token,
        'minApplyDelay cannot be applied with a promotion token',
      ),
    ];
  }
  if (isReplica(cluster)) {
    return [
      fieldErr.invalid('spec.replicaCluster.token', token, 'promotionToken is only allowed for primary clusters'),
    ];
  }

  let content: PromotionTokenContent;
  try {
    content = parsePromotionToken(token);
  } catch (e) {
    if (!(e instanceof InvalidPromotionTokenError)) throw e;
    return [fieldErr.invalid('spec.replicaCluster.token', token, `Invalid promotionToken format: ${e.message}`)];
  }
  const invalid = promotionTokenProblem(content);
  if (invalid !== undefined) {
    return [fieldErr.invalid('spec.replicaCluster.token', token, `Invalid promotionToken content: ${invalid.message}`)];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Node maintenance window warning

export function maintenanceWindowWarnings(cluster: Cluster): string[] {
  return cluster.spec.nodeMaintenanceWindow === undefined
    ? []
    : ['Consider using `.spec.enablePDB` instead of the node maintenance window feature'];
}

// =============================================================================================
// Promotion tokens: base64 (standard alphabet, padded) of a JSON object with the pg_controldata
// facts of the demoted primary. Decoding follows Go's encoding/base64 and encoding/json, so a
// malformed token is refused with the same explanation upstream gives.

export interface PromotionTokenContent {
  latestCheckpointTimelineID: string;
  redoWalFile: string;
  databaseSystemIdentifier: string;
  latestCheckpointREDOLocation: string;
  timeOfLatestCheckpoint: string;
  operatorVersion: string;
}

/** Why a token is unusable, worded as upstream's ErrInvalidPromotionToken. */
export class InvalidPromotionTokenError extends Error {
  override readonly name = 'InvalidPromotionTokenError';
  constructor(reason: string, cause?: string) {
    super(`invalid promotion token (${reason})${cause === undefined ? '' : `: ${cause}`}`);
  }
}

const TOKEN_FIELDS: readonly (keyof PromotionTokenContent)[] = [
  'latestCheckpointTimelineID',
  'redoWalFile',
  'databaseSystemIdentifier',
  'latestCheckpointREDOLocation',
  'timeOfLatestCheckpoint',
  'operatorVersion',
];

/** Decodes a promotion token; throws InvalidPromotionTokenError when it is not base64 JSON. */
export function parsePromotionToken(token: string): PromotionTokenContent {
  const bytes = decodeStdBase64(Buffer.from(token, 'utf8'));
  if (typeof bytes === 'number') {
    throw new InvalidPromotionTokenError('Base64 decoding failed', `illegal base64 data at input byte ${bytes}`);
  }
  const text = new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = new GoJsonScanner(text).parseDocument();
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) throw new InvalidPromotionTokenError('JSON decoding failed', e.message);
    throw e;
  }
  const content: PromotionTokenContent = {
    latestCheckpointTimelineID: '',
    redoWalFile: '',
    databaseSystemIdentifier: '',
    latestCheckpointREDOLocation: '',
    timeOfLatestCheckpoint: '',
    operatorVersion: '',
  };
  if (value === null) return content;
  const typeError = (kind: string, field?: string) =>
    new InvalidPromotionTokenError(
      'JSON decoding failed',
      field === undefined
        ? `json: cannot unmarshal ${kind} into Go value of type utils.PgControldataTokenContent`
        : `json: cannot unmarshal ${kind} into Go struct field PgControldataTokenContent.${field} of type string`,
    );
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(goJsonKind(value));

  // Go matches keys exactly, then case-insensitively; it reports the first type mismatch.
  let firstError: InvalidPromotionTokenError | undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field =
      TOKEN_FIELDS.find((f) => f === key) ?? TOKEN_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
    if (field === undefined || v === null) continue;
    if (typeof v === 'string') content[field] = v;
    else firstError ??= typeError(goJsonKind(v), field);
  }
  if (firstError !== undefined) throw firstError;
  return content;
}

/** The first missing fact of a decoded token, or undefined when it is complete. */
export function promotionTokenProblem(content: PromotionTokenContent): InvalidPromotionTokenError | undefined {
  const names: Record<keyof PromotionTokenContent, string> = {
    latestCheckpointTimelineID: 'LatestCheckpointTimelineID',
    redoWalFile: 'REDOWALFile',
    databaseSystemIdentifier: 'DatabaseSystemIdentifier',
    latestCheckpointREDOLocation: 'LatestCheckpointREDOLocation',
    timeOfLatestCheckpoint: 'TimeOfLatestCheckpoint',
    operatorVersion: 'OperatorVersion',
  };
  const missing = TOKEN_FIELDS.find((f) => content[f] === '');
  return missing === undefined ? undefined : new InvalidPromotionTokenError(`${names[missing]} is empty`);
}

const goJsonKind = (v: unknown): string =>
  Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const CR = 13;
const LF = 10;
const PAD = 61;

/**
 * Go's StdEncoding.DecodeString: padding required, CR/LF ignored, non-zero trailing bits
 * tolerated. Returns the decoded bytes, or the input offset Go reports as illegal.
 */
function decodeStdBase64(src: Uint8Array): Uint8Array | number {
  const out: number[] = [];
  let si = 0;
  const skipNewlines = () => {
    while (si < src.length && (src[si] === CR || src[si] === LF)) si++;
  };
  for (;;) {
    const buf = [0, 0, 0, 0];
    let dlen = 4;
    let finished = false;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        return si - j;
      }
      const c = src[si] as number;
      si++;
      const v = BASE64_VALUES.get(c);
      if (v !== undefined) {
        buf[j] = v;
        continue;
      }
      if (c === CR || c === LF) {
        j--;
        continue;
      }
      if (c !== PAD || j < 2) return si - 1;
      if (j === 2) {
        skipNewlines();
        if (si === src.length) return src.length;
        if (src[si] !== PAD) return si - 1;
        si++;
      }
      skipNewlines();
      if (si < src.length) return si;
      dlen = j;
      finished = true;
      break;
    }
    const [a, b, c, d] = buf as [number, number, number, number];
    const val = (a << 18) | (b << 12) | (c << 6) | d;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (finished) return Uint8Array.from(out);
  }
}

class GoJsonSyntaxError extends Error {
  override readonly name = 'GoJsonSyntaxError';
}

/** A JSON reader that fails where Go's encoding/json scanner fails, with the same message. */
class GoJsonScanner {
  private pos = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  parseDocument(): unknown {
    this.skipSpace();
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) throw this.invalid('after top-level value');
    return value;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private invalid(context: string): GoJsonSyntaxError {
    const c = this.text[this.pos];
    if (c === undefined) return new GoJsonSyntaxError('unexpected end of JSON input');
    const quoted = c === "'" ? "'\\''" : c === '"' ? "'\"'" : `'${JSON.stringify(c).slice(1, -1)}'`;
    return new GoJsonSyntaxError(`invalid character ${quoted} ${context}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos] as string)) this.pos++;
  }

  private value(): unknown {
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    throw this.invalid('looking for beginning of value');
  }

  private object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.pos++;
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.peek() !== '"') throw this.invalid('looking for beginning of object key string');
      const key = this.string();
      this.skipSpace();
      if (this.peek() !== ':') throw this.invalid('after object key');
      this.pos++;
      this.skipSpace();
      result[key] = this.value();
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === '}') return result;
      if (next !== ',') {
        this.pos--;
        throw this.invalid('after object key:value pair');
      }
      this.skipSpace();
    }
  }

  private array(): unknown[] {
    const result: unknown[] = [];
    this.pos++;
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value());
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === ']') return result;
      if (next !== ',') {
        this.pos--;
        throw this.invalid('after array element');
      }
      this.skipSpace();
    }
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw this.invalid('in string literal');
      if (c === '"') break;
      if (c === '\\') {
        this.pos++;
        const e = this.peek();
        if (e === 'u') {
          for (let i = 0; i < 4; i++) {
            this.pos++;
            if (!/^[0-9a-fA-F]$/.test(this.peek() ?? '')) throw this.invalid('in \\u hexadecimal character escape');
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          throw this.invalid('in string escape code');
        }
      } else if (c < ' ') {
        throw this.invalid('in string literal');
      }
      this.pos++;
    }
    this.pos++;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private number(): number {
    const start = this.pos;
    const digit = () => /^[0-9]$/.test(this.peek() ?? '');
    if (this.peek() === '-') {
      this.pos++;
      if (!digit()) throw this.invalid('in numeric literal');
    }
    if (this.peek() === '0') this.pos++;
    else while (digit()) this.pos++;
    if (this.peek() === '.') {
      this.pos++;
      if (!digit()) throw this.invalid('after decimal point in numeric literal');
      while (digit()) this.pos++;
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.pos++;
      if (this.peek() === '+' || this.peek() === '-') this.pos++;
      if (!digit()) throw this.invalid('in exponent of numeric literal');
      while (digit()) this.pos++;
    }
    return Number(this.text.slice(start, this.pos));
  }

  private literal<T>(word: string, value: T): T {
    for (let i = 1; i < word.length; i++) {
      this.pos++;
      if (this.peek() !== word[i]) throw this.invalid(`in literal ${word} (expecting '${word[i]}')`);
    }
    this.pos++;
    return value;
  }
}
