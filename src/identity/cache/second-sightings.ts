/** Slots of the table: 2^16 fingerprints, 256 KiB, allocated once. */
const SLOTS = 1 << 16;

/**
 * The keys of tokens verified once, as fingerprints in a fixed table: the admission filter of the
 * verified-token cache once it is full (the "doorkeeper" of TinyLFU). A token then enters the cache on
 * its second verification, so a stream of tokens each used once — short-lived clients, a flood of fresh
 * tokens — does not evict the tokens in use, and a never-seen token costs no insert and no eviction for
 * an entry that would never be read (1–2 % of its CPU time, docs/benchmark.md). A token used again
 * costs one more verification, once.
 *
 * Two keys may land in one slot; the later one takes it, and the earlier one, seen again, counts as a
 * first sighting again. Two keys with the same slot and fingerprint (about 1 in 2^31 per pair) would
 * admit the second one at once, as the cache did before the filter. Either way only admission changes:
 * nothing reaches the cache without passing full validation.
 */
export class SecondSightings {
  private readonly fingerprints = new Int32Array(SLOTS);

  /**
   * Whether `key` (random characters: the end of a token's signature) was noted before; it then leaves
   * the table. Otherwise it is noted, and the answer is false. Allocates nothing.
   */
  seenBefore(key: string): boolean {
    const half = key.length >> 1;
    const slot = mix(key, 0, half) & (SLOTS - 1);
    // Odd, so never 0, which marks an empty slot.
    const fingerprint = mix(key, half, key.length) | 1;
    if (this.fingerprints[slot] === fingerprint) {
      this.fingerprints[slot] = 0;
      return true;
    }
    this.fingerprints[slot] = fingerprint;
    return false;
  }
}

/**
 * FNV-1a over the characters `from` to `to` of a key. The key's characters are already as good as
 * random; this only folds them into 32 bits, not for any secrecy.
 */
function mix(key: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash;
}
