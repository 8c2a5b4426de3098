import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { RequestError } from '../common/errors/request-error';
import { UUID } from './tenancy-rows';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?limit=&cursor=` of every list. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a next_cursor this service returned' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

/** Where a page starts: after the row with this `(created_at, id)`, in that order. */
export interface Keyset {
  readonly createdAt: string;
  readonly id: string;
}

/*
 * Keyset pagination on (created_at, id): stable under concurrent inserts (a new row lands after the
 * last page or before the first, never shifts a page boundary), and each page is one index range scan.
 */
export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && UUID.test(id)) {
      if (!Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
    }
  } catch {
    // fall through: not one of ours
  }
  throw new RequestError('invalid_request', 400, 'cursor must be a next_cursor this service returned');
}

/**
 * The SQL of one page: `WHERE <filter> AND (created_at, id) > ($n, $n+1) ORDER BY created_at, id
 * LIMIT limit+1`; the extra row says whether a next page exists. `created_at` is compared as text of
 * microsecond precision, so no row is skipped or repeated by a millisecond-rounded timestamp.
 */
export function pageSql(
  table: string,
  columns: string,
  filter: string,
  params: unknown[],
  query: PageQuery,
): { sql: string; params: unknown[]; limit: number } {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = decodeCursor(query.cursor);
  const conditions = [filter];
  const values = [...params];
  if (after) {
    values.push(after.createdAt, after.id);
    conditions.push(`(created_at, id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  return {
    sql: `SELECT ${columns}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
            FROM ${table} WHERE ${conditions.join(' AND ')} ORDER BY created_at, id LIMIT ${limit + 1}`,
    params: values,
    limit,
  };
}

/** Turns the `limit + 1` rows of `pageSql` into a page, dropping the cursor column. */
export function toPage<T extends { id: string }>(
  rows: (T & { cursor_at: string })[],
  limit: number,
): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  const items = shown.map(({ cursor_at: _cursor, ...item }) => item as unknown as T);
  return {
    items,
    next_cursor:
      more && last
        ? Buffer.from(JSON.stringify([last.cursor_at, last.id]), 'utf8').toString('base64url')
        : null,
  };
}
