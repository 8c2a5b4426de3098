import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { microsecondTimestampSql } from '../common/database/timestamp-sql';
import { CursorCodec } from '../common/pagination/cursor-codec';
import { isUuid } from '../common/uuid';

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
  /** Microsecond UTC text (`microsecondTimestampSql`), never a millisecond Date. */
  readonly createdAt: string;
  readonly id: string;
}

/*
 * Keyset pagination on (created_at, id): stable under concurrent inserts (a new row lands after the
 * last page or before the first, never shifts a page boundary), and each page is one index range scan.
 * The cursor is `[created_at, id]`, as every cursor handed out so far.
 */
const KEYSET_CURSOR = new CursorCodec<Keyset>(
  (keyset) => [keyset.createdAt, keyset.id],
  (payload) => {
    if (!Array.isArray(payload)) return undefined;
    const [createdAt, id] = payload as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !isUuid(id)) return undefined;
    if (Number.isNaN(Date.parse(createdAt))) return undefined;
    return { createdAt, id };
  },
  'cursor must be a next_cursor this service returned',
);

/**
 * One page of the rows `rows` selects (a query builder over one entity, already filtered on its
 * organization): `ORDER BY created_at, id`, after the cursor's row, `limit + 1` rows, the extra one
 * saying whether a next page exists. Each row is answered as `respond` shapes it.
 */
export async function pageOf<E extends ObjectLiteral & { id: string }, R>(
  rows: SelectQueryBuilder<E>,
  query: PageQuery,
  respond: (entity: E) => R,
): Promise<Page<R>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.cursor === undefined ? undefined : KEYSET_CURSOR.decode(query.cursor);
  const createdAt = `${rows.escape(rows.alias)}.created_at`;
  const id = `${rows.escape(rows.alias)}.id`;
  // created_at is compared and handed out as microsecond text: the entity's Date keeps milliseconds
  // only, and a cursor rounded to them would skip or repeat rows created within the same millisecond.
  rows.addSelect(microsecondTimestampSql(createdAt), 'cursor_at');
  if (after) {
    rows.andWhere(`(${createdAt}, ${id}) > (:cursorCreatedAt::timestamptz, :cursorId::uuid)`, {
      cursorCreatedAt: after.createdAt,
      cursorId: after.id,
    });
  }
  rows
    .orderBy(createdAt, 'ASC')
    .addOrderBy(id, 'ASC')
    .limit(limit + 1);
  const { entities, raw } = await rows.getRawAndEntities<{ cursor_at: string }>();
  const more = entities.length > limit;
  const shown = more ? entities.slice(0, limit) : entities;
  const last = shown[shown.length - 1];
  return {
    items: shown.map(respond),
    next_cursor:
      more && last ? KEYSET_CURSOR.encode({ createdAt: raw[shown.length - 1].cursor_at, id: last.id }) : null,
  };
}

/**
 * The SQL of one page for the services still on hand-written SQL: `WHERE <filter> AND (created_at, id) >
 * ($n, $n+1) ORDER BY created_at, id LIMIT limit+1`, with the same cursor and microsecond comparison as
 * `pageOf`.
 */
export function pageSql(
  table: string,
  columns: string,
  filter: string,
  params: unknown[],
  query: PageQuery,
): { sql: string; params: unknown[]; limit: number } {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.cursor === undefined ? undefined : KEYSET_CURSOR.decode(query.cursor);
  const conditions = [filter];
  const values = [...params];
  if (after) {
    values.push(after.createdAt, after.id);
    conditions.push(`(created_at, id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  return {
    sql: `SELECT ${columns}, ${microsecondTimestampSql('created_at')} AS cursor_at
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
    next_cursor: more && last ? KEYSET_CURSOR.encode({ createdAt: last.cursor_at, id: last.id }) : null,
  };
}
