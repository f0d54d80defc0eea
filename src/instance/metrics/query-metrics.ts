// From the rows of a custom query to Prometheus metrics: one metric per non-label column, named
// `cnpg_<query>_<column>` (DURATION columns get `_milliseconds`), whose labels are the query's
// LABEL columns. Values arrive as PostgreSQL's text output and are converted by column type.
import { parseGoDuration } from '../../api/v1/cluster-validation-pods.ts';
import type { ColumnMapping, UserQuery } from './query-file.ts';

export const METRIC_PREFIX = 'cnpg';

/** What the conversion needs to know of a column's PostgreSQL type. */
export type ColumnKind = 'bool' | 'timestamp' | 'other';

export interface ResultSet {
  columns: { name: string; kind: ColumnKind }[];
  rows: (string | null)[][];
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

interface BuiltMetrics {
  families: MetricFamily[];
  /** Values that could not be converted (the sample is left out, as upstream does). */
  warnings: string[];
}

/** The query's result does not have the columns its metrics describe. */
export class QueryResultError extends Error {
  override readonly name = 'QueryResultError';
}

/** The names of the metrics a query exports, in the order of its metrics list. */
export function metricName(query: UserQuery, mapping: ColumnMapping): string {
  const base = `${METRIC_PREFIX}_${query.namespace}_${mapping.name ?? mapping.column}`;
  return mapping.usage === 'DURATION' ? `${base}_milliseconds` : base;
}

const POSTGRES_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;

function timestampSeconds(text: string): number {
  const m = POSTGRES_TIMESTAMP.exec(text);
  const iso = m === null ? text : `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`;
  return Date.parse(iso) / 1000;
}

const INTERVAL = /^(?:([+-]?\d+) days? ?)?([+-])?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/;

/** Milliseconds of a PostgreSQL interval (`1 day 02:03:04.5`) or a Go duration (`1m30s`). */
function durationMilliseconds(text: string): number | undefined {
  const m = INTERVAL.exec(text.trim());
  if (m !== null) {
    const sign = m[2] === '-' ? -1 : 1;
    const clock = sign * (Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5]));
    return (Number(m[1] ?? 0) * 86400 + clock) * 1000;
  }
  const ns = parseGoDuration(text.trim());
  return ns === undefined ? undefined : ns / 1e6;
}

function labelValue(kind: ColumnKind, text: string | null): string {
  if (text === null) return '';
  if (kind === 'bool') return text === 't' ? 'true' : text === 'f' ? 'false' : text;
  return text;
}

/** The number a value stands for; undefined when it stands for none (the sample is skipped). */
function numericValue(mapping: ColumnMapping, kind: ColumnKind, text: string | null): number | undefined {
  switch (mapping.usage) {
    case 'MAPPEDMETRIC':
      // Booleans are looked up as true/false, as they read in the metric_mapping YAML.
      return text === null ? undefined : mapping.valueMap?.[labelValue(kind, text)];
    case 'DURATION':
      // Upstream reads -1 as "no duration".
      return text === null || text === '-1' ? undefined : durationMilliseconds(text);
    default: {
      if (text === null) return Number.NaN;
      if (kind === 'bool') return text === 't' || text === 'true' ? 1 : 0;
      if (kind === 'timestamp') return timestampSeconds(text);
      const n = Number(text);
      return Number.isNaN(n) && text !== 'NaN' ? undefined : n;
    }
  }
}

/**
 * The metrics of one run of `query`. Throws QueryResultError when the result's columns are not
 * the ones the metrics list describes (upstream skips such a query; we report it as an error).
 */
export function buildMetrics(query: UserQuery, result: ResultSet): BuiltMetrics {
  const described = query.columns.map((c) => c.column);
  const returned = result.columns.map((c) => c.name);
  const missing = described.filter((c) => !returned.includes(c));
  const extra = returned.filter((c) => !described.includes(c));
  if (missing.length > 0 || extra.length > 0 || returned.length !== described.length) {
    throw new QueryResultError(
      `the query returns the columns [${returned.join(', ')}] but its metrics describe [${described.join(', ')}]`,
    );
  }
  const index = new Map(returned.map((name, i) => [name, i]));
  const kindOf = (column: string) => result.columns[index.get(column) ?? -1]?.kind ?? 'other';
  const labelColumns = query.columns.filter((c) => c.usage === 'LABEL');
  const valueColumns = query.columns.filter((c) => c.usage !== 'LABEL' && c.usage !== 'DISCARD');
  const families: MetricFamily[] = valueColumns.map((c) => ({
    name: metricName(query, c),
    help: c.description,
    type: c.usage === 'COUNTER' ? 'counter' : 'gauge',
    samples: [],
  }));
  const warnings: string[] = [];
  for (const row of result.rows) {
    const labels: Record<string, string> = {};
    for (const c of labelColumns)
      labels[c.column] = labelValue(kindOf(c.column), row[index.get(c.column) ?? -1] ?? null);
    valueColumns.forEach((c, i) => {
      const text = row[index.get(c.column) ?? -1] ?? null;
      const value = numericValue(c, kindOf(c.column), text);
      if (value === undefined) {
        warnings.push(`column ${c.column}: cannot use ${JSON.stringify(text)} as a ${c.usage} value`);
        return;
      }
      families[i]?.samples.push({ labels: { ...labels }, value });
    });
  }
  return { families, warnings };
}
