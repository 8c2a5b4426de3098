import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only PATH is inherited: the service sees exactly the variables a test gives it. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { out: () => stdout, err: () => stderr };
}

/** Runs a built script (default: the service) to its exit, killing it after `timeoutMs`. */
export function runToExit(
  env: Record<string, string>,
  options: { script?: string; args?: string[]; cwd?: string; timeoutMs?: number } = {},
): Promise<Exited> {
  const child = spawn(process.execPath, [options.script ?? MAIN, ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: output.out(), stderr: output.err() });
    });
  });
}

export interface RunningService {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit. */
  stop(): Promise<Exited>;
}

/** Starts the built service and resolves once it logged its listening line. */
export function startService(
  env: Record<string, string>,
  cwd = ROOT,
  timeoutMs = 60_000,
): Promise<RunningService> {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  const exited = new Promise<Exited>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: output.out(), stderr: output.err() })),
  );
  const service: RunningService = {
    child,
    stdout: output.out,
    stderr: output.err,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start within ${timeoutMs} ms:\n${output.out()}\n${output.err()}`));
    }, timeoutMs);
    const watch = setInterval(() => {
      if (output.out().includes('listening on http://')) {
        clearInterval(watch);
        clearTimeout(timer);
        resolve(service);
      }
    }, 50);
    void exited.then((result) => {
      clearInterval(watch);
      clearTimeout(timer);
      reject(new Error(`service exited with ${result.code}:\n${result.stdout}\n${result.stderr}`));
    });
  });
}
