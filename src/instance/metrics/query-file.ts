// The custom-query format of CloudNativePG's monitoring ConfigMaps and Secrets (and of our default
// queries): a YAML map from query name to {query, metrics, primary, target_databases,
// predicate_query, runonserver, cache_seconds, name}. Each entry of `metrics` maps one result column
// to its use: a LABEL of every metric of the query, a COUNTER or GAUGE, a MAPPEDMETRIC (text mapped
// to numbers through metric_mapping), a DURATION (exported in milliseconds), or DISCARD.
import { parse } from 'yaml';
import { metricName } from './query-metrics.ts';
import { parseVersionRange, type VersionRange, VersionRangeError } from './version-range.ts';

const COLUMN_USAGES = ['DISCARD', 'LABEL', 'COUNTER', 'GAUGE', 'MAPPEDMETRIC', 'DURATION'] as const;
export type ColumnUsage = (typeof COLUMN_USAGES)[number];

export interface ColumnMapping {
  column: string;
  usage: ColumnUsage;
  description: string;
  /** Overrides the column in the metric name. */
  name?: string;
  /** MAPPEDMETRIC: the number each text value stands for. */
  valueMap?: Record<string, number>;
}

export interface UserQuery {
  /** The key of the query in its file: what errors and logs name. */
  key: string;
  /** The metric name prefix after `cnpg_`: the `name` field, else the key. */
  namespace: string;
  query: string;
  predicateQuery?: string;
  columns: ColumnMapping[];
  primaryOnly: boolean;
  /** Undefined: the cluster's metricsQueriesTTL. */
  cacheSeconds?: number;
  runOnServer?: VersionRange;
  /** Undefined: the application database. Entries may be glob patterns (`*`, `?`, `[...]`). */
  targetDatabases?: string[];
}

interface ParsedQueries {
  queries: UserQuery[];
  /** One line per query left out, naming it and what is wrong. */
  errors: string[];
}

export class QueryFileError extends Error {
  override readonly name = 'QueryFileError';
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(entry: Record<string, unknown>, field: string): string | undefined {
  const v = entry[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new QueryFileError(`${field} must be a string`);
  return v;
}

function parseColumn(item: unknown, index: number): ColumnMapping {
  const where = `metrics[${index}]`;
  if (!isRecord(item) || Object.keys(item).length !== 1) {
    throw new QueryFileError(`${where} must map exactly one column name to its usage`);
  }
  const [column, raw] = Object.entries(item)[0] as [string, unknown];
  if (!isRecord(raw)) throw new QueryFileError(`${where} (${column}) must be an object with a usage`);
  const usage = typeof raw.usage === 'string' ? raw.usage.toUpperCase() : raw.usage;
  if (usage === 'HISTOGRAM') {
    throw new QueryFileError(`${where} (${column}): usage HISTOGRAM is not supported by this exporter`);
  }
  if (!COLUMN_USAGES.includes(usage as ColumnUsage)) {
    throw new QueryFileError(
      `${where} (${column}): usage ${JSON.stringify(raw.usage)} is not one of ${COLUMN_USAGES.join(', ')}`,
    );
  }
  const mapping: ColumnMapping = {
    column,
    usage: usage as ColumnUsage,
    description: typeof raw.description === 'string' ? raw.description : '',
  };
  const name = optionalString(raw, 'name');
  if (name !== undefined) mapping.name = name;
  if (mapping.usage === 'MAPPEDMETRIC') {
    const map = raw.metric_mapping;
    if (!isRecord(map)) throw new QueryFileError(`${where} (${column}): MAPPEDMETRIC needs a metric_mapping`);
    const valueMap: Record<string, number> = {};
    for (const [text, value] of Object.entries(map)) {
      if (typeof value !== 'number') {
        throw new QueryFileError(`${where} (${column}): metric_mapping value of "${text}" must be a number`);
      }
      valueMap[text] = value;
    }
    mapping.valueMap = valueMap;
  }
  return mapping;
}

function parseQuery(key: string, raw: unknown): UserQuery {
  if (!isRecord(raw)) throw new QueryFileError('must be an object with a query and its metrics');
  const query = optionalString(raw, 'query');
  if (query === undefined) throw new QueryFileError('query is required');
  if (!Array.isArray(raw.metrics) || raw.metrics.length === 0) {
    throw new QueryFileError('metrics must list at least one column');
  }
  const columns = raw.metrics.map(parseColumn);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.column)) throw new QueryFileError(`column ${c.column} is described twice`);
    seen.add(c.column);
  }
  const result: UserQuery = {
    key,
    namespace: optionalString(raw, 'name') ?? key,
    query,
    columns,
    // `master` is the older spelling upstream still accepts.
    primaryOnly: raw.primary === true || raw.master === true,
  };
  for (const c of columns) {
    const name = c.usage === 'LABEL' ? c.column : metricName(result, c);
    if (c.usage !== 'DISCARD' && !(c.usage === 'LABEL' ? LABEL_NAME : METRIC_NAME).test(name)) {
      throw new QueryFileError(
        `column ${c.column} gives the invalid ${c.usage === 'LABEL' ? 'label' : 'metric'} name "${name}"`,
      );
    }
  }
  const predicate = optionalString(raw, 'predicate_query');
  if (predicate !== undefined) result.predicateQuery = predicate;
  if (raw.cache_seconds !== undefined && raw.cache_seconds !== null) {
    const seconds = raw.cache_seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new QueryFileError('cache_seconds must be a non-negative integer');
    }
    result.cacheSeconds = seconds;
  }
  const range = optionalString(raw, 'runonserver');
  if (range !== undefined) {
    try {
      result.runOnServer = parseVersionRange(range);
    } catch (err) {
      throw err instanceof VersionRangeError ? new QueryFileError(err.message) : err;
    }
  }
  const targets = raw.target_databases;
  if (targets !== undefined && targets !== null) {
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t !== '')) {
      throw new QueryFileError('target_databases must be a list of database names or patterns');
    }
    if (targets.length > 0) result.targetDatabases = targets as string[];
  }
  return result;
}

/**
 * Parses a queries file. A file that is not a YAML map throws QueryFileError; a query that is
 * wrong is left out and reported in `errors`, so that one bad entry does not hide the others.
 */
export function parseQueries(text: string): ParsedQueries {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new QueryFileError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { queries: [], errors: [] };
  if (!isRecord(doc)) throw new QueryFileError('must be a YAML map from query names to queries');
  const queries: UserQuery[] = [];
  const errors: string[] = [];
  for (const [key, raw] of Object.entries(doc)) {
    try {
      queries.push(parseQuery(key, raw));
    } catch (err) {
      if (!(err instanceof QueryFileError)) throw err;
      errors.push(`query "${key}": ${err.message}`);
    }
  }
  return { queries, errors };
}
