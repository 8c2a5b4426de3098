import { isUUID as matchesUuid } from 'class-validator';

/**
 * Whether `value` is a UUID in its textual form, any version (what a Postgres `uuid` column accepts
 * in canonical hyphenated form, the nil UUID included). The one UUID check outside DTOs, which use
 * `@IsUUID()` / `ParseUUIDPipe`.
 */
export function isUuid(value: unknown): boolean {
  return typeof value === 'string' && matchesUuid(value, 'loose');
}
