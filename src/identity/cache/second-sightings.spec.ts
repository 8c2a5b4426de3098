import { hash } from 'node:crypto';
import { SecondSightings } from './second-sightings';

/** Like the verified-token cache's lookup keys: the last 12 characters of something random. */
const keyOf = (token: string) => hash('sha256', token, 'base64url').slice(-12);

describe(SecondSightings.name, () => {
  it('answers no on the first sighting of a key, yes on the second, and no again after', () => {
    const sightings = new SecondSightings();
    const key = keyOf('token-a');
    expect([sightings.seenBefore(key), sightings.seenBefore(key), sightings.seenBefore(key)]).toEqual([
      false,
      true,
      false,
    ]);
  });

  it('tells keys apart: a key seen once does not admit another', () => {
    const sightings = new SecondSightings();
    const keys = Array.from({ length: 1000 }, (_, i) => keyOf(`token-${i}`));
    expect(keys.filter((key) => sightings.seenBefore(key))).toEqual([]);
  });

  // Not all: a key forgotten because a later one took its slot is noted again when asked, in turn taking
  // a slot. 10,000 keys in 65,536 slots keep about 85 %.
  it('recognises most of 10,000 keys seen once each', () => {
    const sightings = new SecondSightings();
    const keys = Array.from({ length: 10_000 }, (_, i) => keyOf(`token-${i}`));
    for (const key of keys) sightings.seenBefore(key);
    const recognised = keys.filter((key) => sightings.seenBefore(key)).length;
    expect(recognised).toBeGreaterThan(8000);
    expect(recognised).toBeLessThan(10_000);
  });
});
