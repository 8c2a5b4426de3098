import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BatchedLogLines } from '../../src/observability/logging';

/** A real sonic-boom writer on a file, behind the batches, and what the file holds so far. */
function batchesOnFile(): { batches: BatchedLogLines; written: () => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'log-batches-'));
  const path = join(dir, 'out.log');
  const out = pino.destination({ dest: path, sync: true, mkdir: true });
  const batches = new BatchedLogLines(out);
  return {
    batches,
    written: () => readFileSync(path, 'utf8'),
    done: () => {
      batches.flushSync();
      out.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const line = (i: number): string =>
  `${JSON.stringify({ i, msg: 'request completed', pad: 'x'.repeat(80) })}\n`;

describe('log lines written in batches', () => {
  it('holds short lines back, then writes them all, in order, once a batch is full', () => {
    const { batches, written, done } = batchesOnFile();
    try {
      batches.write(line(0));
      batches.write(line(1));
      expect(written()).toBe('');
      const lines = Array.from({ length: 60 }, (_, i) => line(i));
      for (const text of lines.slice(2)) batches.write(text);
      const out = written();
      // Some whole prefix of the lines, never a line cut in two or out of order.
      expect(out.length).toBeGreaterThanOrEqual(4096);
      expect(lines.join('').startsWith(out)).toBe(true);
      expect(out.endsWith('\n')).toBe(true);
    } finally {
      done();
    }
  });

  it('writes a lone line within the flush interval, without more lines to fill a batch', async () => {
    const { batches, written, done } = batchesOnFile();
    try {
      batches.write(line(7));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(written()).toBe(line(7));
    } finally {
      done();
    }
  });

  it("answers pino's logger.flush(callback) once the pending lines are written", async () => {
    const { batches, written, done } = batchesOnFile();
    try {
      const logger = pino({ base: undefined, timestamp: false }, batches);
      logger.info('one');
      logger.info('two');
      expect(written()).toBe('');
      await new Promise<void>((resolve, reject) =>
        logger.flush((error?: Error) => (error ? reject(error) : resolve())),
      );
      expect(written()).toBe('{"level":30,"msg":"one"}\n{"level":30,"msg":"two"}\n');
    } finally {
      done();
    }
  });

  it('writes everything pending when flushed synchronously (at exit)', () => {
    const { batches, written, done } = batchesOnFile();
    try {
      for (let i = 0; i < 5; i += 1) batches.write(line(i));
      batches.flushSync();
      expect(written()).toBe([0, 1, 2, 3, 4].map(line).join(''));
    } finally {
      done();
    }
  });
});
