import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config/app-config';
import { routeTemplateOf } from '../common/http/route-template';

/**
 * The one pino logger of the process: Fastify's per-request child loggers (`request.log`, bound to the
 * request id) and Nest's application logger (nestjs-pino) both write through it, as JSON lines (pretty
 * printed on a development terminal). Nothing logs headers, bodies or query strings, so tokens and
 * secrets never reach the logs; the redaction below is a second guard for fields that should never
 * appear, and it runs before either output.
 */
export function createLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    // Named paths, not `*.token`: a wildcard makes pino walk every object of every line, which cost
    // 3.5 µs of each request's ~40 µs (measured), while these cost nothing on lines without them.
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination === undefined && prettyOnThisTerminal(config)) {
    // A person reads a terminal; machines (log shippers, tests, CI) read pipes, so they keep JSON.
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options, destination);
}

/** Readable lines for a developer at a terminal; never in production, where lines are shipped as JSON. */
function prettyOnThisTerminal(config: AppConfig): boolean {
  return config.nodeEnv !== 'production' && process.stdout.isTTY === true;
}

/** Bytes of log lines gathered before one write to stdout, and the longest a line waits for it. */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 200;

/**
 * Log lines gathered in memory and handed to sonic-boom (pino's own writer: partial writes, EAGAIN, the
 * flush at exit) as one string of about LOG_BATCH_BYTES. sonic-boom can batch by itself (`minLength`),
 * but it appends each line to its pending string and measures that string's UTF-8 length on every
 * write, which copies the whole batch once per line: profiled under load, that alone was 4 % of a public
 * route's CPU time. Here a line costs an array push; the join and the byte count happen once per batch.
 */
export class BatchedLogLines implements DestinationStream {
  private lines: string[] = [];
  /** UTF-16 code units pending: at most the UTF-8 byte count, so a batch is at least LOG_BATCH_BYTES. */
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: ReturnType<typeof pino.destination>) {}

  write(line: string): void {
    this.lines.push(line);
    this.pending += line.length;
    if (this.pending >= LOG_BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_MS).unref();
  }

  /**
   * Hands what is pending to the writer now. pino's `logger.flush(callback)` calls this with its callback,
   * answered once the lines are written (the writer is synchronous: at once, on the next tick).
   */
  flush(callback?: (error?: Error) => void): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length > 0) {
      const text = this.lines.join('');
      this.lines = [];
      this.pending = 0;
      this.out.write(text);
    }
    if (callback) process.nextTick(callback);
  }

  /** Everything pending, written before returning (at exit). */
  flushSync(): void {
    this.flush();
    this.out.flushSync();
  }
}

let stdoutBatches: BatchedLogLines | undefined;

/**
 * Where the log lines go when stdout is not a terminal: stdout, in batches, one stream per process
 * (every app instance of a test process writes to the same fd). Written one line at a time, the access
 * log cost a public route about a fifth of its CPU time (profiled under load, docs/benchmark.md);
 * gathered into ~4 KiB writes it is one write per twenty-odd requests. The writes are synchronous: an
 * asynchronous write hands each batch to libuv's thread pool, and on a service pinned to one core that
 * hop cost more than the write itself. A quiet service still shows its lines within LOG_FLUSH_MS, and
 * what is left is written when the process exits (not on SIGKILL). On a terminal, `undefined`:
 * `createLogger` then chooses the destination itself.
 */
export function logDestination(): DestinationStream | undefined {
  if (process.stdout.isTTY) return undefined;
  if (stdoutBatches === undefined) {
    const batches = new BatchedLogLines(pino.destination({ dest: 1, sync: true }));
    process.once('exit', () => {
      accessLines.write();
      batches.flushSync();
    });
    stdoutBatches = batches;
  }
  return stdoutBatches;
}

const SECRET_FIELDS = ['authorization', 'access_token', 'refresh_token', 'client_secret', 'token', 'headers'];
/** At the top of a line and on a logged error (`err`), the only object our log calls nest. */
const REDACTED_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `err.${field}`)];

/** The fields of a request's access line (after the request id, which its logger carries). */
interface AccessFields {
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly responseTime: number;
}

/**
 * The access lines of one event-loop turn, formatted and written together at its end. Formatted one at
 * a time, right after each response, a line cost a public route ~4.7 µs of its ~22 (the log level at
 * `warn` against `info`, in interleaved rounds), three to four times what the same pino call costs in a
 * loop: each line ran pino's code and touched its data cold, between two requests' work. Formatted back
 * to back, the turn's lines cost ~40 % less (docs/benchmark.md). A line waits for the rest of its turn
 * only; its `responseTime` is taken when the response ends, as before, and the pending lines are
 * written at exit like the batches.
 */
export class TurnAccessLines<Fields extends object = AccessFields> {
  private loggers: FastifyBaseLogger[] = [];
  private fields: Fields[] = [];

  add(logger: FastifyBaseLogger, fields: Fields): void {
    if (this.loggers.length === 0) setImmediate(this.write);
    this.loggers.push(logger);
    this.fields.push(fields);
  }

  readonly write = (): void => {
    const { loggers, fields } = this;
    if (loggers.length === 0) return;
    this.loggers = [];
    this.fields = [];
    for (let i = 0; i < loggers.length; i += 1) loggers[i].info(fields[i] as object, 'request completed');
  };
}

const accessLines = new TurnAccessLines();

/**
 * One line per request, when it completes: method, route template, path (no query string), status and
 * time, bound to `request_id`. Fastify's own logging writes this way, without the Express-style
 * middleware layer and async-local storage that request logging through Nest middleware costs on
 * every request (measured here: more than half of a public route's throughput). A request that failed
 * inside is logged at once, with its error.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
  }

  override incomingRequest(): void {
    // One line per request is enough: the completion line carries everything.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const url = request.url;
    const query = url.indexOf('?');
    const fields: AccessFields = {
      method: request.method,
      route: routeTemplateOf(request),
      path: query === -1 ? url : url.slice(0, query),
      status: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else accessLines.add(reply.log, fields);
  }
}

/**
 * nestjs-pino as Nest's application logger on the same pino instance. Its per-request middleware is
 * mounted on no route: lines written during a request go through `request.log`, which carries the id.
 */
export function loggingModule(logger: Logger) {
  return LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] });
}
