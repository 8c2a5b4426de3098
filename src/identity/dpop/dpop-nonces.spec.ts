import { loadConfig } from '../../config/app-config';
import { DpopNonces } from './dpop-nonces';

const SECRET = 's'.repeat(40);
const WINDOW_MS = 300_000;

function nonces(secret = SECRET): DpopNonces {
  return new DpopNonces(
    loadConfig({
      ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
      ALPHASWARM_DPOP_NONCE_ENABLED: 'true',
      ALPHASWARM_DPOP_NONCE_SECRET: secret,
    }),
  );
}

describe(DpopNonces.name, () => {
  const t0 = 1_800_000_000_000;
  const sut = nonces();

  it('issues the same nonce on every instance with the same key, and accepts it there', () => {
    const other = nonces();
    expect(other.current(t0)).toBe(sut.current(t0));
    expect(other.accepts(sut.current(t0), t0)).toBe(true);
  });

  it('issues a new nonce in the next window, and accepts the previous one there', () => {
    const next = t0 + WINDOW_MS;
    expect(sut.current(next)).not.toBe(sut.current(t0));
    expect(sut.accepts(sut.current(t0), next)).toBe(true);
  });

  it('refuses a nonce two windows old', () => {
    expect(sut.accepts(sut.current(t0), t0 + 2 * WINDOW_MS)).toBe(false);
  });

  it('refuses a nonce of a window that has not begun', () => {
    expect(sut.accepts(sut.current(t0 + WINDOW_MS), t0)).toBe(false);
  });

  it('refuses a nonce made with another key', () => {
    expect(sut.accepts(nonces('o'.repeat(40)).current(t0), t0)).toBe(false);
  });

  it.each([undefined, '', 'abc', `${'z'.repeat(13)}.${'A'.repeat(43)}`])('refuses %p', (nonce) => {
    expect(sut.accepts(nonce, t0)).toBe(false);
  });

  it('refuses a current window number with a made-up MAC', () => {
    const [window] = sut.current(t0).split('.');
    expect(sut.accepts(`${window}.${'A'.repeat(43)}`, t0)).toBe(false);
  });
});
