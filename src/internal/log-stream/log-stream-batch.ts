import { meaningOf } from './auth0-event-types';

/** One event as it is stored. */
export interface LogStreamEvent {
  readonly logId: string;
  readonly type: string;
  readonly subject: string | null;
  readonly occurredAt: Date;
  readonly revokes: boolean;
}

/** Why an element of a batch was not stored (each is counted in metrics and in the response). */
export type DropReason = 'invalid' | 'undated' | 'too_old' | 'future' | 'duplicate';

export interface BatchWindow {
  /** Now, in epoch milliseconds. */
  readonly now: number;
  /** Events dated before `now - maxAgeMs` are dropped. */
  readonly maxAgeMs: number;
  /** Events dated after `now + skewMs` are dropped. */
  readonly skewMs: number;
}

export interface SortedBatch {
  /** Distinct by `logId`, in the order sent. */
  readonly events: LogStreamEvent[];
  readonly dropped: Record<DropReason, number>;
}

const LOG_ID = /^[\x21-\x7e]{1,256}$/;
const TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_USER_ID = 512;
/** ISO 8601 with a time and a zone, as Auth0 dates its events; anything looser is "undated". */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The elements of a log-stream body in each format Auth0's Custom Webhook sends: a JSON array, one JSON
 * object, or JSON lines (LF or CRLF; blank lines ignored). Undefined when the body is not one of them:
 * a line that does not parse makes the whole body malformed (400, Auth0 retries), while an element
 * that parses but is not an event is only skipped (see `sortBatch`).
 */
export function elementsOf(body: string): unknown[] | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  const whole = parsed(text);
  if (whole.ok) {
    if (Array.isArray(whole.value)) return whole.value as unknown[];
    return isObject(whole.value) ? [whole.value] : undefined;
  }
  const elements: unknown[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const element = parsed(line);
    if (!element.ok) return undefined;
    elements.push(element.value);
  }
  return elements.length > 1 ? elements : undefined;
}

/** Keeps the events that can be stored, once each, and counts the rest by reason. */
export function sortBatch(elements: readonly unknown[], window: BatchWindow): SortedBatch {
  const dropped: Record<DropReason, number> = { invalid: 0, undated: 0, too_old: 0, future: 0, duplicate: 0 };
  const seen = new Set<string>();
  const events: LogStreamEvent[] = [];
  for (const element of elements) {
    const event = eventOf(element, window);
    if (typeof event === 'string') {
      dropped[event] += 1;
    } else if (seen.has(event.logId)) {
      dropped.duplicate += 1;
    } else {
      seen.add(event.logId);
      events.push(event);
    }
  }
  return { events, dropped };
}

/**
 * One element: `{ log_id, data: { date, type, user_id, details } }` as the webhook sends it, or the
 * same members at the top level. `log_id` may sit at either level (the top one wins).
 */
function eventOf(element: unknown, window: BatchWindow): LogStreamEvent | DropReason {
  if (!isObject(element)) return 'invalid';
  const data = isObject(element.data) ? element.data : element;
  const logId = typeof element.log_id === 'string' ? element.log_id : data.log_id;
  const type = data.type;
  if (typeof logId !== 'string' || !LOG_ID.test(logId)) return 'invalid';
  if (typeof type !== 'string' || !TYPE.test(type)) return 'invalid';
  const userId = data.user_id;
  if (
    userId !== undefined &&
    userId !== null &&
    (typeof userId !== 'string' || userId.length > MAX_USER_ID)
  ) {
    return 'invalid';
  }
  const date = typeof data.date === 'string' && ISO_DATE.test(data.date) ? Date.parse(data.date) : Number.NaN;
  if (Number.isNaN(date)) return 'undated';
  if (date < window.now - window.maxAgeMs) return 'too_old';
  if (date > window.now + window.skewMs) return 'future';
  const meaning = meaningOf(type, typeof userId === 'string' && userId !== '' ? userId : null, data.details);
  return { logId, type, subject: meaning.subject, occurredAt: new Date(date), revokes: meaning.revokes };
}

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
