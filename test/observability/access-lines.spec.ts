import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fastify from 'fastify';
import { loadConfig } from '../../src/config/app-config';
import { createLogger, RequestLogController } from '../../src/observability/logging';
import { ROOT, runToExit } from '../support/process';

/** A Fastify app with the service's logger and access lines, writing into memory. */
function capturedApp() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger(loadConfig({ NODE_ENV: 'test', ALPHASWARM_LOG_LEVEL: 'info' }), sink);
  const app = fastify({
    loggerInstance: logger,
    logController: new RequestLogController(),
    requestIdHeader: 'x-request-id',
  });
  app.get('/items/:id', async () => ({ ok: true }));
  return { app, lines };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('access lines', () => {
  it('writes one line per request, with its id, route template, path and status, when many end in one turn', async () => {
    const { app, lines } = capturedApp();
    await app.ready();
    try {
      const ids = Array.from({ length: 25 }, (_, i) => `req-${i}`);
      const replies = await Promise.all(
        ids.map((id, i) =>
          app.inject({ method: 'GET', url: `/items/${i}?secret=q${i}`, headers: { 'x-request-id': id } }),
        ),
      );
      expect(replies.map((reply) => reply.statusCode)).toEqual(ids.map(() => 200));
      await nextTurn();
      const access = lines.filter((line) => line.msg === 'request completed');
      expect(access.map((line) => line.request_id).sort()).toEqual([...ids].sort());
      for (const line of access) {
        const i = Number(String(line.request_id).slice('req-'.length));
        expect(line).toMatchObject({ method: 'GET', route: '/items/:id', path: `/items/${i}`, status: 200 });
        expect(typeof line.responseTime).toBe('number');
        expect(JSON.stringify(line)).not.toContain('secret=');
      }
    } finally {
      await app.close();
    }
  });

  it('writes the lines still waiting for the end of their turn when the process exits', async () => {
    // A process that answers one request and exits in the same turn, before the lines' turn ends.
    const dir = mkdtempSync(join(tmpdir(), 'access-lines-'));
    const script = join(dir, 'exit-now.js');
    const from = (name: string) => JSON.stringify(require.resolve(name, { paths: [ROOT] }));
    writeFileSync(
      script,
      `const fastify = require(${from('fastify')});
const logging = require(${JSON.stringify(join(ROOT, 'dist', 'src', 'observability', 'logging.js'))});
const logger = logging.createLogger({ logLevel: 'info', nodeEnv: 'production' }, logging.logDestination());
const app = fastify({ loggerInstance: logger, logController: new logging.RequestLogController(), requestIdHeader: 'x-request-id' });
app.get('/bye', async () => ({ ok: true }));
app.inject({ method: 'GET', url: '/bye', headers: { 'x-request-id': 'last-words' } }).then((reply) => {
  process.stderr.write('status ' + reply.statusCode + '\\n');
  process.exit(0);
});
`,
    );
    try {
      const exited = await runToExit({}, { script, timeoutMs: 15_000 });
      expect([exited.code, exited.stderr.trim()]).toEqual([0, 'status 200']);
      const access = exited.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'request completed');
      expect(access).toEqual([
        expect.objectContaining({ request_id: 'last-words', route: '/bye', status: 200 }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
