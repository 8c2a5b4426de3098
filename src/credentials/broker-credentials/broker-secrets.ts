import { RequestError } from '../../common/errors/request-error';
import type { SecretFields } from '../envelope/credential-cipher';
import type { AlpacaEnvironment, BrokerKind } from './broker-credential.entity';

/** One secret field of a kind: its bounds, and whether people see its last four characters. */
interface FieldRule {
  readonly required: boolean;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  readonly describe: string;
}

const PRINTABLE = /^[\x21-\x7e]+$/;
const ALNUM = /^[A-Za-z0-9]+$/;

/**
 * The secret fields each broker kind takes. The first field is the one whose last four characters are
 * shown (the key id people recognise in their broker's console); it is long enough that four
 * characters give nothing useful away. Bounds refuse oversized secrets before anything is sealed.
 */
export const SECRET_FIELDS: Readonly<Record<BrokerKind, Readonly<Record<string, FieldRule>>>> = {
  alpaca: {
    key_id: { required: true, min: 16, max: 64, pattern: ALNUM, describe: '16-64 letters or digits' },
    secret_key: {
      required: true,
      min: 20,
      max: 128,
      pattern: PRINTABLE,
      describe: '20-128 printable characters',
    },
  },
  generic: {
    api_key: {
      required: true,
      min: 12,
      max: 2048,
      pattern: PRINTABLE,
      describe: '12-2048 printable characters',
    },
    api_secret: {
      required: false,
      min: 1,
      max: 4096,
      pattern: PRINTABLE,
      describe: '1-4096 printable characters',
    },
    passphrase: {
      required: false,
      min: 1,
      max: 1024,
      pattern: PRINTABLE,
      describe: '1-1024 printable characters',
    },
  },
};

/**
 * The secret fields of `kind`, checked; a 400 otherwise. Messages name our fields and their rules, never
 * a value sent, nor a field name the caller made up.
 */
export function secretFieldsOf(kind: BrokerKind, secret: Record<string, unknown>): SecretFields {
  const rules = SECRET_FIELDS[kind];
  const names = Object.keys(secret);
  if (names.some((name) => !Object.hasOwn(rules, name))) {
    throw new RequestError(
      'invalid_request',
      400,
      `secret has a field ${kind} does not take; it takes ${Object.keys(rules).join(', ')}`,
    );
  }
  const fields: Record<string, string> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const value = secret[name];
    if (value === undefined) {
      if (rule.required)
        throw new RequestError('invalid_request', 400, `secret.${name} is required for ${kind}`);
      continue;
    }
    if (
      typeof value !== 'string' ||
      value.length < rule.min ||
      value.length > rule.max ||
      !rule.pattern.test(value)
    ) {
      throw new RequestError('invalid_request', 400, `secret.${name} must be ${rule.describe}`);
    }
    fields[name] = value;
  }
  return fields;
}

/** The last four characters of the field people recognise (the first field of the kind). */
export function lastFourOf(kind: BrokerKind, fields: SecretFields): string {
  const shown = Object.keys(SECRET_FIELDS[kind])[0];
  return fields[shown].slice(-4);
}

/** Alpaca needs `paper` or `live`; other kinds take no environment. */
export function environmentOf(
  kind: BrokerKind,
  environment: AlpacaEnvironment | undefined,
): AlpacaEnvironment | null {
  if (kind === 'alpaca') {
    if (environment === undefined) {
      throw new RequestError('invalid_request', 400, 'environment is required for alpaca: paper or live');
    }
    return environment;
  }
  if (environment !== undefined) {
    throw new RequestError('invalid_request', 400, `environment applies to alpaca only, not ${kind}`);
  }
  return null;
}

const LABEL = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_LABELS = 16;

/** Metadata: at most 16 labels, names of 1-64 safe characters, string values up to 256 characters. */
export function metadataOf(metadata: Record<string, unknown> | undefined): Record<string, string> {
  if (metadata === undefined) return {};
  const entries = Object.entries(metadata);
  if (entries.length > MAX_LABELS) {
    throw new RequestError('invalid_request', 400, `metadata takes at most ${MAX_LABELS} labels`);
  }
  for (const [name, value] of entries) {
    if (!LABEL.test(name) || typeof value !== 'string' || value.length > 256) {
      throw new RequestError(
        'invalid_request',
        400,
        'metadata labels must be named with 1-64 letters, digits, dots, dashes or underscores and hold strings of up to 256 characters',
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
