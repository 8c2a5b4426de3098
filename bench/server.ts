import 'reflect-metadata';
import { loadConfig } from '../src/config/app-config';
import { startApp } from '../src/configure-app';
import { openDatabase } from '../src/database/database';
import { tuneRuntime } from '../src/runtime-tuning';
import { SCHEMA } from '../src/schema';
import { BenchModule } from './bench.module';

/**
 * The service under test, exactly as `main.ts` boots it (same config, database, bootstrap), plus the
 * bench routes. The orchestrator (run.ts) starts it as its own process and pins it to one CPU.
 */
export async function startBenchService(): Promise<void> {
  tuneRuntime();
  const config = loadConfig(process.env);
  const database = await openDatabase(config, SCHEMA);
  await startApp(config, database, [BenchModule]).catch(async (error: unknown) => {
    await database.close().catch(() => undefined);
    throw error;
  });
}

if (require.main === module) {
  startBenchService().catch((error: unknown) => {
    // One line on stderr, which the orchestrator shows when the service fails to start.
    process.stderr.write(`bench server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
