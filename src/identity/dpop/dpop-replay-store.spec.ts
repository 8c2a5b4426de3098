import { loadConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import { DpopReplayStore } from './dpop-replay-store';

/** Without REDIS_URL (development only): the in-process list of one process. Redis is tested end to end. */
describe(`${DpopReplayStore.name} without Redis`, () => {
  const htu = 'http://127.0.0.1:3000/auth/whoami';

  it('accepts a proof once and refuses it after that with dpop_replay', async () => {
    const sut = new DpopReplayStore(loadConfig({ ALPHASWARM_AUTH0_DPOP_ENABLED: 'true' }), null);
    await sut.claim(htu, 'jti-1');
    await expect(sut.claim(htu, 'jti-1')).rejects.toEqual(new AuthError('dpop_replay'));
  });

  it('treats the same jti for another URL as another proof', async () => {
    const sut = new DpopReplayStore(loadConfig({ ALPHASWARM_AUTH0_DPOP_ENABLED: 'true' }), null);
    await sut.claim(htu, 'jti-1');
    await expect(sut.claim('http://127.0.0.1:3000/auth/config', 'jti-1')).resolves.toBeUndefined();
  });

  it('remembers a proof for its max age plus the skew on both sides', () => {
    const sut = new DpopReplayStore(
      loadConfig({
        ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
        ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS: '30',
        ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS: '4',
      }),
      null,
    );
    expect(sut.windowSeconds).toBe(38);
  });
});
