// PostgreSQL's csvlog records, parsed from a byte stream: quoted fields may hold commas, doubled
// quotes and newlines, so records are split by the CSV grammar, not by lines.

/** Field names of a csvlog record, in order (PostgreSQL 13+; 14 added backend_type's successors). */
export const CSV_FIELDS = [
  'log_time',
  'user_name',
  'database_name',
  'process_id',
  'connection_from',
  'session_id',
  'session_line_num',
  'command_tag',
  'session_start_time',
  'virtual_transaction_id',
  'transaction_id',
  'error_severity',
  'sql_state_code',
  'message',
  'detail',
  'hint',
  'internal_query',
  'internal_query_pos',
  'context',
  'query',
  'query_pos',
  'location',
  'application_name',
  'backend_type',
  'leader_pid',
  'query_id',
] as const;

export type CsvLogRecord = Partial<Record<(typeof CSV_FIELDS)[number], string>>;

/** Incremental parser: feed chunks, get the complete records they finish. */
export class CsvLogParser {
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  /** Inside quotes, a quote was just seen: either the closing one or the first of a doubled pair. */
  private quotePending = false;

  push(chunk: string): CsvLogRecord[] {
    const records: CsvLogRecord[] = [];
    for (const ch of chunk) {
      if (this.quoted) {
        if (this.quotePending) {
          this.quotePending = false;
          if (ch === '"') {
            this.field += '"';
            continue;
          }
          this.quoted = false;
        } else if (ch === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.field += ch;
          continue;
        }
      }
      if (ch === '"' && this.field === '') {
        this.quoted = true;
      } else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
      } else if (ch === '\n') {
        this.fields.push(this.field);
        records.push(toRecord(this.fields));
        this.fields = [];
        this.field = '';
      } else if (ch !== '\r') {
        this.field += ch;
      }
    }
    return records;
  }
}

function toRecord(values: readonly string[]): CsvLogRecord {
  const record: CsvLogRecord = {};
  CSV_FIELDS.forEach((name, i) => {
    const value = values[i];
    if (value !== undefined && value !== '') record[name] = value;
  });
  return record;
}
