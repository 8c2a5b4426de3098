import { JOB_QUEUE, type JobQueue } from '../src/jobs/job-queue';
import { eventually, startTestApp, type TestApp } from './support/app';
import { runRedisPrefix } from './support/redis-prefix';
import { REDIS } from './support/services';
import { TcpProxy } from './support/tcp-proxy';

const queueOf = (t: TestApp) => t.app.get<JobQueue>(JOB_QUEUE);

describe('jobs without Redis (in-process)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: '' });
  });
  afterAll(() => t.close());

  it('runs a queued job in this process, and says so in /readyz', async () => {
    const seen: string[] = [];
    queueOf(t).register<{ id: string }>('test.echo', async ({ id }) => {
      seen.push(id);
    });
    await queueOf(t).enqueue('test.echo', { id: 'one' });
    await eventually(async () => seen.includes('one'));
    expect((await t.http().get('/readyz')).body.checks.jobs).toEqual({ runner: 'in-process' });
  });

  it('retries a failing job up to three attempts', async () => {
    let calls = 0;
    queueOf(t).register('test.flaky', async () => {
      calls += 1;
      if (calls < 3) throw new Error('transient');
    });
    await queueOf(t).enqueue('test.flaky', {});
    await eventually(async () => calls === 3, 5000);
  });

  it('runs a scheduled job every period', async () => {
    let ticks = 0;
    queueOf(t).register('test.tick', async () => {
      ticks += 1;
    });
    await queueOf(t).schedule('test.tick', 100);
    await eventually(async () => ticks >= 3, 3000);
  });

  it('refuses a job nobody handles', async () => {
    await expect(queueOf(t).enqueue('test.unknown', {})).rejects.toThrow(
      'no handler registered for job test.unknown',
    );
  });

  it('lets a running job finish before shutdown completes', async () => {
    const other = await startTestApp({ REDIS_URL: '' });
    let finished = false;
    queueOf(other).register('test.slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    await queueOf(other).enqueue('test.slow', {});
    await other.close();
    expect(finished).toBe(true);
  });
});

describe('jobs on Redis (Bull), shared by instances', () => {
  const prefix = runRedisPrefix();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestApp({ ALPHASWARM_JOBS_QUEUE_PREFIX: prefix }),
      startTestApp({ ALPHASWARM_JOBS_QUEUE_PREFIX: prefix }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('runs each job exactly once across two instances', async () => {
    const runs: { id: number; by: string }[] = [];
    for (const [name, t] of [
      ['a', a],
      ['b', b],
    ] as const) {
      queueOf(t).register<{ id: number }>('test.count', async ({ id }) => {
        runs.push({ id, by: name });
      });
    }
    expect(queueOf(a).runner).toBe('bull');
    for (let id = 0; id < 20; id += 1) await queueOf(a).enqueue('test.count', { id });
    await eventually(async () => runs.length >= 20, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a duplicate would show up by now
    expect(runs.map((run) => run.id).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
  });

  it('runs a job scheduled by both instances once per period, not once per instance', async () => {
    let ticks = 0;
    for (const t of [a, b]) {
      queueOf(t).register('test.tick', async () => {
        ticks += 1;
      });
    }
    await Promise.all([queueOf(a).schedule('test.tick', 400), queueOf(b).schedule('test.tick', 400)]);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // Five periods: one schedule gives about 5 runs, a doubled one about 10.
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(ticks).toBeLessThanOrEqual(6);
  });

  it('retries a failing job on Redis too', async () => {
    let calls = 0;
    for (const t of [a, b]) {
      queueOf(t).register('test.flaky', async () => {
        calls += 1;
        if (calls < 2) throw new Error('transient');
      });
    }
    await queueOf(b).enqueue('test.flaky', {});
    await eventually(async () => calls === 2, 10_000);
  });
});

describe('jobs on Redis (Bull): shutdown', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start(REDIS);
  });
  afterAll(() => proxy.down());

  // Bull names the worker's connection in the background once it starts taking jobs; a close that
  // overtook that step left a rejection nobody handled (which fails whatever runs next, and ends a
  // Node process) or a connection opened after the close, which kept the process from exiting.
  it.each([0, 50, 150, 400])(
    'closes every Redis connection of an instance stopped while its worker is still starting (Redis answering after %i ms)',
    async (delayMs) => {
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown): void => void rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        proxy.connectDelayMs = delayMs;
        const t = await startTestApp({
          REDIS_URL: proxy.url,
          ALPHASWARM_JOBS_QUEUE_PREFIX: runRedisPrefix(),
        });
        queueOf(t).register('test.noop', async () => undefined);
        await t.close();
        await eventually(async () => proxy.openConnections === 0, 3000);
        await new Promise((resolve) => setTimeout(resolve, delayMs + 100)); // a late connection shows up by now
        expect(proxy.openConnections).toBe(0);
        expect(rejections).toEqual([]);
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    },
  );
});
