import { edgeUnavailable, invalidCheckRequest, type EdgeDecision } from '../edge-authorizer';
import { checkResponseOf } from './edge-grpc-server';

type Response = {
  status: { code: number; message?: string };
  ok_response?: {
    headers: { header: { key: string; value: string }; append: { value: boolean } }[];
    headers_to_remove: string[];
  };
  denied_response?: {
    status: { code: number };
    headers: { header: { key: string; value: string } }[];
    body: string;
  };
};

const deny = (status: 401 | 403, reason: 'expired_token' | 'cba_expired'): EdgeDecision => ({
  allowed: false,
  reason,
  status,
  description: 'why',
  challenge: 'Bearer error="invalid_token"',
});

describe(checkResponseOf.name, () => {
  it('allows with status 0, every identity header set to overwrite, and the spoofed ones to remove', () => {
    const sut = checkResponseOf(
      {
        allowed: true,
        reason: 'verified',
        set: [
          ['x-alphaswarm-auth', 'verified'],
          ['x-alphaswarm-sub', 'auth0|a'],
        ],
        remove: ['x-alphaswarm-admin'],
      },
      'req-1',
    ) as Response;
    expect(sut.status.code).toBe(0);
    expect(sut.denied_response).toBeUndefined();
    expect(sut.ok_response?.headers.every(({ append }) => append.value === false)).toBe(true);
    expect(sut.ok_response?.headers.map(({ header }) => header.key)).toEqual([
      'x-alphaswarm-auth',
      'x-alphaswarm-sub',
    ]);
    expect(sut.ok_response?.headers_to_remove).toEqual(['x-alphaswarm-admin']);
  });

  it.each([
    ['a 401', deny(401, 'expired_token'), 16, 401],
    ['a 403', deny(403, 'cba_expired'), 7, 403],
    ['an unreadable check (400)', invalidCheckRequest(), 7, 400],
    ['a failure inside (503)', edgeUnavailable(), 14, 503],
  ])('denies %s with the gRPC code Envoy maps and the same HTTP status', (_what, decision, code, http) => {
    const sut = checkResponseOf(decision, 'req-2') as Response;
    expect(sut.status.code).toBe(code);
    expect(sut.ok_response).toBeUndefined();
    expect(sut.denied_response?.status.code).toBe(http);
    expect(JSON.parse(sut.denied_response?.body ?? '{}')).toMatchObject({
      reason: decision.reason,
      request_id: 'req-2',
    });
    const challenge = sut.denied_response?.headers.find(({ header }) => header.key === 'www-authenticate');
    expect(challenge === undefined).toBe(http === 503);
  });
});
