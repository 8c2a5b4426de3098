import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { tuneRuntime } from './runtime-tuning';

/** Boot failures print one line (what is wrong and how to fix it) and exit non-zero; never a stack. */
function fail(error: unknown): never {
  const line =
    error instanceof ConfigError
      ? `alphaswarm-identity: configuration error: ${error.message}`
      : `alphaswarm-identity: boot failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  tuneRuntime();
  // Validate the configuration before loading the framework: a bad value fails in milliseconds.
  const config = loadConfig(process.env);
  const [{ Logger }, { startApp }, { openDatabase }, { SCHEMA }] = await Promise.all([
    import('@nestjs/common'),
    import('./configure-app'),
    import('./database/database'),
    import('./schema'),
  ]);
  const database = await openDatabase(config, SCHEMA);
  await startApp(config, database).catch(async (error: unknown) => {
    await database.close().catch(() => undefined);
    throw error;
  });
  new Logger('boot').log(
    `listening on http://${config.http.host}:${config.http.port} provider=${config.auth.provider} ` +
      `issuer=${config.auth.issuer} database=${database.kind} (${database.location}) enforce=${config.auth.enforce} ` +
      `jobs=${config.redis.url ? 'bull' : 'in-process'}`,
  );
}

main().catch(fail);
