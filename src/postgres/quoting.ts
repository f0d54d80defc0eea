// Quoting for the three languages we write for PostgreSQL: SQL, configuration files and libpq
// connection strings. Every value that comes from a user or a secret goes through one of these.

/** An SQL identifier, always double-quoted so that case and reserved words survive. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** An SQL string literal; the E'' form keeps backslashes literal whatever standard_conforming_strings says. */
export function quoteLiteral(value: string): string {
  const escaped = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`;
}

/** A value in postgresql.conf, always single-quoted. */
export function quoteConfValue(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A value in a libpq keyword/value connection string. */
export function quoteConninfoValue(value: string): string {
  if (value !== '' && /^[^\s'\\]+$/.test(value)) return value;
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A libpq connection string from keyword/value pairs (undefined values are left out). */
export function buildConninfo(params: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${quoteConninfoValue(String(value))}`)
    .join(' ');
}
