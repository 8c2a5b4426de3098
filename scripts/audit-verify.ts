/**
 * `npm run audit:verify [-- --org <id>] [-- --json]`
 *
 * Re-computes the security audit ledger's hash chains straight from the database the service uses
 * (DATABASE_URL, else the embedded database under ALPHASWARM_DATA_DIR, which the running service holds
 * locked: stop it first, or use GET /audit/verify). Every chain, or one organization's with --org.
 * Prints one line per chain; exit 0 when every chain verifies, 1 when one is broken, 2 when it could
 * not verify (configuration, database, usage). Runs no migrations and writes nothing.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AuditVerifier, type ChainReport, type VerifyReport } from '../src/audit/ledger/audit-verifier';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { openDatabase, type DatabaseHandle } from '../src/database/database';
import { TenantDb } from '../src/database/tenant-db';
import { SCHEMA } from '../src/schema';

const USAGE = 'usage: npm run audit:verify [-- --org <organization id>] [-- --json]';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(message: string): never {
  process.stderr.write(`npm run audit:verify: ${message}\n`);
  process.exit(2);
}

function describe(chain: ChainReport): string {
  const name = chain.org_id ?? '(no organization)';
  if (chain.broken) {
    const { id, seq, kind, description } = chain.broken;
    const where = id ? `row ${id} (seq ${seq})` : seq ? `seq ${seq}` : 'its head';
    return `chain ${name}: BROKEN at ${where}: ${kind}: ${description}`;
  }
  const span = chain.rows > 0 ? ` (seq ${chain.first_seq}..${chain.last_seq})` : '';
  const checkpoint = chain.checkpoint
    ? `, after the retention checkpoint at seq ${chain.checkpoint.seq}`
    : '';
  return `chain ${name}: ok, ${chain.rows} rows${span}${checkpoint}`;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { org: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.org !== undefined && !UUID.test(values.org))
    fail(`--org must be an organization UUID\n${USAGE}`);

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? `configuration error: ${error.message}` : String(error));
  }
  let database: DatabaseHandle;
  try {
    // Verification only reads: never migrate from here.
    database = await openDatabase({ ...config, database: { ...config.database, migrate: false } }, SCHEMA);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  let report: VerifyReport;
  try {
    const verifier = new AuditVerifier(new TenantDb(config, database.dataSource));
    report = await verifier.verify(values.org === undefined ? 'all' : { orgId: values.org.toLowerCase() });
  } catch (error) {
    await database.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    fail(
      code === '42P01' || code === '42704'
        ? 'this database has no audit ledger yet; start the service once (it runs the migrations)'
        : `could not read the ledger: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  await database.close();

  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const chain of report.chains) process.stdout.write(`${describe(chain)}\n`);
    const broken = report.chains.filter((chain) => !chain.ok).length;
    process.stdout.write(
      `audit ledger: ${report.chains.length} chain(s) verified, ${broken === 0 ? 'all ok' : `${broken} BROKEN`}\n`,
    );
  }
  process.exit(report.ok ? 0 : 1);
}

void main();
