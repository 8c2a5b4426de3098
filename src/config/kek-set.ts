import { createSecretKey, type KeyObject } from 'node:crypto';
import { ConfigError } from './app-config';

/** One key-encryption key: its id (stored beside every data key it wraps) and the AES-256 key. */
export interface Kek {
  readonly id: string;
  readonly key: KeyObject;
}

/** The key-encryption keys of the credential store: the active one wraps new data keys, the others only unwrap. */
export interface KekSet {
  readonly active: Kek;
  /** Every key, the active one first. */
  readonly keys: readonly Kek[];
}

const KEK_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Parses `<id>:<base64 of 32 bytes>` entries separated by commas or new lines, the active key first
 * (e.g. `k2:…,k1:…` while k1's data keys are re-wrapped under k2). Throws a one-line ConfigError naming
 * `variable` for anything else: an empty list, a malformed entry, a key that is not 32 bytes, a
 * repeated id. Never puts key material in the message.
 */
export function parseKekSet(variable: string, text: string): KekSet {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  const malformed = (problem: string) =>
    new ConfigError(
      variable,
      `${problem}; give <id>:<base64 of 32 random bytes>, active key first, e.g. k1:$(openssl rand -base64 32)`,
    );
  if (entries.length === 0) throw malformed('holds no key');
  const keys = entries.map((entry, index): Kek => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? '' : entry.slice(colon + 1);
    if (!KEK_ID.test(id))
      throw malformed(`entry ${index + 1} has no valid key id (1-64 of A-Z a-z 0-9 . _ -)`);
    const bytes = BASE64.test(material) ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) throw malformed(`key ${id} is not 32 bytes of base64`);
    return { id, key: createSecretKey(bytes) };
  });
  const ids = keys.map((key) => key.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw malformed(`key id ${repeated} appears twice`);
  return { active: keys[0], keys };
}
