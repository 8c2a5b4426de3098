import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/app-config';
import { createLogger } from '../../src/observability/logging';

/** The service's logger writing into memory: one parsed object per line. */
function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ NODE_ENV: 'test', ALPHASWARM_LOG_LEVEL: 'info' });
  return { lines, logger: createLogger(config, sink) };
}

describe('log redaction', () => {
  it('censors secrets at the top of a line', () => {
    const { lines, logger } = capture();
    logger.info({
      token: 'eyJ.secret.sig',
      authorization: 'Bearer eyJ.secret.sig',
      client_secret: 's3cret',
      headers: { authorization: 'Bearer x' },
    });
    expect(lines[0]).toMatchObject({
      token: '[redacted]',
      authorization: '[redacted]',
      client_secret: '[redacted]',
      headers: '[redacted]',
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret.sig');
  });

  it('censors secrets an error carries', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error('upstream refused'), {
      token: 'eyJ.secret.sig',
      headers: { authorization: 'Bearer eyJ.secret.sig' },
    });
    logger.warn({ event: 'job_failed', err: error });
    expect(lines[0]).toMatchObject({ event: 'job_failed', err: { message: 'upstream refused' } });
    expect(JSON.stringify(lines[0])).not.toContain('secret.sig');
  });

  it('leaves a request line as it was written', () => {
    const { lines, logger } = capture();
    const fields = { method: 'GET', route: '/bench/scoped', path: '/bench/scoped', status: 200 };
    logger.child({ request_id: 'r-1' }).info(fields, 'request completed');
    expect(lines[0]).toMatchObject({ ...fields, request_id: 'r-1', msg: 'request completed' });
  });
});
