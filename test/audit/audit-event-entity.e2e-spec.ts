import { AuditEvent } from '../../src/audit/ledger/audit-event.entity';
import { schemaDataSource, scratchDatabase } from '../support/db';

/*
 * The audit event entity is left out of TypeORM's schema diff (its generated `chain_id` needs a
 * metadata table this schema does not have), so its columns are compared with the table here.
 */
describe(AuditEvent.name, () => {
  it('describes every column of security_audit_events with its type and nullability', async () => {
    const db = await scratchDatabase();
    const dataSource = schemaDataSource(db.url);
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      const table = await dataSource.query<{ column_name: string; udt_name: string; is_nullable: string }[]>(
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = 'security_audit_events' ORDER BY column_name`,
      );
      const sqlType: Record<string, string> = {
        uuid: 'uuid',
        bigint: 'int8',
        timestamptz: 'timestamptz',
        text: 'text',
        jsonb: 'jsonb',
      };
      const entity = dataSource
        .getMetadata(AuditEvent)
        .columns.map((column) => ({
          column_name: column.databaseName,
          udt_name: sqlType[String(column.type)],
          // chain_id is NOT NULL only through its generation expression, which information_schema reports as nullable
          is_nullable: column.isNullable || column.databaseName === 'chain_id' ? 'YES' : 'NO',
        }))
        .sort((a, b) => a.column_name.localeCompare(b.column_name));
      expect(entity).toEqual(table);
      // The entity is for reading: it never adds a metadata table of TypeORM's to the schema.
      const metadataTables = await dataSource.query<unknown[]>(
        `SELECT 1 FROM pg_tables WHERE tablename = 'typeorm_metadata'`,
      );
      expect(metadataTables).toEqual([]);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
