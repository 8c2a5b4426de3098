import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { GrpcLoadParams } from './grpc-load';
import type { LoadParams, LoadResult } from './load';

/** Thrown when a child process does not come up: the bench then exits 1. */
export class StartError extends Error {}

/**
 * Whether `taskset` can pin to CPUs 0 and 1: it exists and this machine lets us use both. Pinning keeps
 * the server and the load generator on separate cores, so they never steal time from each other.
 */
export function canPin(): boolean {
  return spawnSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' }).status === 0;
}

/** Whether `chrt` can run a process under SCHED_IDLE here (util-linux; Linux only). */
let idlePolicy: boolean | undefined;
function canPollIdle(): boolean {
  idlePolicy ??= spawnSync('chrt', ['--idle', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return idlePolicy;
}

/** `node <dist/bench/script>`, behind `taskset -c <cpu>` when pinning (taskset execs: same pid). */
function nodeCommand(script: string, cpu: number | undefined): [string, string[]] {
  const path = join(__dirname, script);
  return cpu === undefined
    ? [process.execPath, [path]]
    : ['taskset', ['-c', String(cpu), process.execPath, path]];
}

/** A long-running child (the service or the baseline), with the tail of its stderr for error messages. */
export class Server {
  private stderr = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  /** stdout is discarded (the service logs every request there: the cost is paid, the text not kept). */
  static start(name: string, script: string, env: Record<string, string>, cpu: number | undefined): Server {
    const [command, args] = nodeCommand(script, cpu);
    return new Server(name, spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Polls `url` until it answers 200; fails if the process exits first or the time runs out. */
  async waitFor(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new StartError(`${this.name} exited with ${this.exitCode} before it was ready: ${this.tail()}`);
      }
      const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new StartError(`${this.name} was not ready at ${url} within ${timeoutMs / 1000} s: ${this.tail()}`);
  }

  /** Resident memory from /proc (Linux), in MiB; undefined elsewhere. */
  rssMiB(): number | undefined {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * CPU seconds the process has used so far, in user space and in the kernel (utime and stime from /proc,
   * USER_HZ = 100 on Linux). Sampled around a run, the sum shows whether the server had its core to
   * itself (well under one core-second per second under full load means something else ran on that
   * core), and the kernel's part what its system calls cost (reading requests, writing responses).
   */
  cpuSeconds(): { user: number; system: number } | undefined {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat(5), counted from after the command name (which starts at field 3).
      return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
    } catch {
      return undefined;
    }
  }

  /** SIGTERM (graceful shutdown hooks run), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private tail(): string {
    return this.stderr.trim().split('\n').slice(-5).join(' | ') || '(no stderr)';
  }
}

/** Runs one autocannon run in its own process (load.js) and returns what it measured. */
export function runLoad(params: LoadParams, cpu: number | undefined): Promise<LoadResult> {
  return runLoadScript('load.js', params, cpu, params.sleeps !== true);
}

/** Runs one gRPC Check load run in its own process (grpc-load.js). */
export function runGrpcLoad(params: GrpcLoadParams, cpu: number | undefined): Promise<LoadResult> {
  return runLoadScript('grpc-load.js', params, cpu, true);
}

function runLoadScript(
  script: string,
  params: unknown,
  cpu: number | undefined,
  mayPoll: boolean,
): Promise<LoadResult> {
  const [command, args] = nodeCommand(script, cpu);
  // Pinned to its own core, the generator polls instead of sleeping while it measures (keep-awake.ts),
  // under SCHED_IDLE: Redis, which runs unpinned, still finds that core free whenever it wakes, and
  // takes it at once, as it would from a generator that slept.
  const polling = mayPoll && cpu !== undefined && canPollIdle();
  const child = polling
    ? spawn('chrt', ['--idle', '0', command, ...args], {
        env: { ...process.env, BENCH_LOAD_POLL: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(JSON.stringify(params));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as LoadResult);
      else
        reject(new StartError(`the load generator exited with ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on host:port within 1.5 s. */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
