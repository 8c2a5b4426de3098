import type { EntityManager } from 'typeorm';
import { SYSTEM_SCOPE, type TenantDb } from '../../database/tenant-db';
import { SealError } from '../envelope/aes-gcm';
import type { CredentialCipher, SealedSecret, SecretBinding } from '../envelope/credential-cipher';

/** A table of sealed secrets: where its rows are and what each one is bound to. */
export interface SealedTable {
  readonly table: string;
  /** The binding of a row, from the columns `columns` selects. */
  readonly bindingOf: (row: Record<string, string>) => SecretBinding;
  /** Columns besides id, kek_id, wrapped_key and ciphertext that the binding needs. */
  readonly columns: readonly string[];
}

export interface RotationReport {
  readonly activeKekId: string;
  /** Rows whose data key is now wrapped under the active key. */
  readonly rewrapped: number;
  /** Rows that did not open under any configured key (tampered, moved, or their key is gone). */
  readonly unreadable: readonly { table: string; id: string }[];
}

const BATCH = 100;

/**
 * Re-wraps every data key under the active key-encryption key (`npm run credentials:rotate-kek`), while
 * the service keeps serving: one short transaction per batch, rows locked with SKIP LOCKED so a
 * concurrent change is never waited on (a row a change holds is taken up by a later batch, or was
 * re-sealed under the active key by that change), and each update conditional on the wrapped key it
 * replaces. Ciphertexts are not touched. Instances keep opening rows under either key meanwhile.
 */
export class KekRotation {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly tables: readonly SealedTable[],
  ) {}

  async run(): Promise<RotationReport> {
    const activeKekId = this.cipher.activeKekId;
    let rewrapped = 0;
    const unreadable: { table: string; id: string }[] = [];
    for (const table of this.tables) {
      const skipped = new Set<string>();
      for (;;) {
        const done = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
          this.batch(db, table, activeKekId, skipped),
        );
        rewrapped += done.rewrapped;
        for (const id of done.unreadable) {
          skipped.add(id);
          unreadable.push({ table: table.table, id });
        }
        if (done.seen === 0) break;
      }
    }
    return { activeKekId, rewrapped, unreadable };
  }

  private async batch(
    db: EntityManager,
    table: SealedTable,
    activeKekId: string,
    skipped: ReadonlySet<string>,
  ): Promise<{ seen: number; rewrapped: number; unreadable: string[] }> {
    const columns = ['id', 'kek_id', 'wrapped_key', 'ciphertext', ...table.columns].join(', ');
    const rows = await db.query<
      (Record<string, string> & { id: string; kek_id: string; wrapped_key: Buffer; ciphertext: Buffer })[]
    >(
      `SELECT ${columns} FROM ${table.table}
        WHERE kek_id <> $1 AND NOT (id = ANY($2::uuid[]))
        ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      [activeKekId, [...skipped]],
    );
    let rewrapped = 0;
    const unreadable: string[] = [];
    for (const row of rows) {
      const sealed: SealedSecret = {
        kekId: row.kek_id,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      };
      let next: SealedSecret | undefined;
      try {
        next = await this.cipher.rewrap(table.bindingOf(row), sealed);
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        unreadable.push(row.id);
        continue;
      }
      if (!next) continue;
      await db.query(
        `UPDATE ${table.table} SET kek_id = $2, wrapped_key = $3 WHERE id = $1 AND wrapped_key = $4`,
        [row.id, next.kekId, next.wrappedKey, row.wrapped_key],
      );
      rewrapped += 1;
    }
    return { seen: rows.length, rewrapped, unreadable };
  }
}
