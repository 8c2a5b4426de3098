/**
 * A `timestamptz` column as UTC text with its full microsecond precision
 * (`2026-01-02T03:04:05.123456Z`). A JS Date keeps milliseconds only, so a value that must be compared
 * or hashed exactly (keyset cursors, the audit hash chain) is read through this, never through a Date.
 */
export function microsecondTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
