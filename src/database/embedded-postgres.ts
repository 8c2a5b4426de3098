import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import * as lockfile from 'proper-lockfile';
import { ConfigError } from '../config/app-config';

export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts PGlite on `folder` and serves it on 127.0.0.1:<random port> so TypeORM uses its ordinary
 * `pg` driver path. A lock on the folder comes first: two processes on one PGlite folder lose the
 * second one's commits silently.
 */
export async function openEmbeddedPostgres(folder: string): Promise<EmbeddedPostgres> {
  mkdirSync(folder, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, { stale: 15_000, update: 5_000, lockfilePath: `${folder}.lock` });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new ConfigError(
        'ALPHASWARM_DATA_DIR',
        `the embedded database ${folder} is in use by another process; stop it, or point ALPHASWARM_DATA_DIR elsewhere, or set DATABASE_URL`,
      );
    }
    throw error;
  }

  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create({ dataDir: folder });
    // Two connections at most: the app's pool of one plus one operator tool (psql) at a time.
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
    await server.start();
  } catch (error) {
    await db?.close().catch(() => undefined);
    await release();
    throw error;
  }
  const [host, port] = server.getServerConn().split(':');
  const started = server;
  const database = db;
  return {
    host,
    port: Number(port),
    close: async () => {
      await started.stop();
      await database.close();
      await release();
    },
  };
}
