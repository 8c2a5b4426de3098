import { AuthError } from '../errors/auth-error';
import { bearerCandidate, MAX_BEARER_LENGTH, readBearer } from './bearer';

function reasonOf(header: string | string[] | undefined): string {
  try {
    readBearer(header);
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  throw new Error(`accepted ${String(header)}`);
}

describe(readBearer.name, () => {
  const token = (header: string) => {
    const presented = readBearer(header);
    return presented.scheme === 'bearer' ? presented.token : undefined;
  };

  it('reads no header as no credentials', () => {
    expect(readBearer(undefined)).toEqual({ scheme: 'none' });
  });

  it('reads the token after Bearer', () => {
    expect(readBearer('Bearer eyJ.eyJ.sig')).toEqual({ scheme: 'bearer', token: 'eyJ.eyJ.sig' });
  });

  it('reads the scheme in any case and any number of spaces after it', () => {
    expect(token('bearer abc')).toBe('abc');
    expect(token('BEARER    abc')).toBe('abc');
  });

  it('accepts every b64token character and trailing =', () => {
    expect(token('Bearer aZ09-._~+/==')).toBe('aZ09-._~+/==');
  });

  it('accepts a token of MAX_BEARER_LENGTH characters', () => {
    expect(token(`Bearer ${'a'.repeat(MAX_BEARER_LENGTH)}`)?.length).toBe(MAX_BEARER_LENGTH);
  });

  // RFC 6750 §3.1: credentials of another scheme carry no Bearer credentials; the guard answers
  // missing_token and never serves them anonymously.
  it.each([
    ['an empty header', ''],
    ['another scheme', 'Basic YWxpY2U6cHc='],
    ['a bare token without a scheme', 'eyJ.eyJ.sig'],
    ['the scheme run into the token', 'Bearerabcdef'],
    ['a tab after the scheme', 'Bearer\tabc'],
    ['a list (Node never makes one for Authorization; the guard refuses repeats first)', ['Bearer abc']],
  ])('reads %s as credentials of another scheme', (_name, header) => {
    expect(readBearer(header)).toEqual({ scheme: 'other' });
  });

  it.each([
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['only spaces after the scheme', 'Bearer    '],
    ['two tokens', 'Bearer abc def'],
    ['a trailing space', 'Bearer abc '],
    ['= inside the token', 'Bearer a=b'],
    ['a comma', 'Bearer abc,def'],
    ['a non-ASCII character', 'Bearer abcé'],
    ['a header longer than the limit', `Bearer ${'a'.repeat(MAX_BEARER_LENGTH + 10)}`],
  ])('refuses %s as malformed_token', (_name, header) => {
    expect(reasonOf(header)).toBe('malformed_token');
  });
});

describe(bearerCandidate.name, () => {
  it('returns what follows the scheme without checking its characters', () => {
    expect(bearerCandidate('Bearer abc def')).toBe('abc def');
  });

  it('returns nothing for another scheme, a list or a short header', () => {
    expect(bearerCandidate('Basic abcdef')).toBeUndefined();
    expect(bearerCandidate(['Bearer abc'])).toBeUndefined();
    expect(bearerCandidate('Bearer')).toBeUndefined();
    expect(bearerCandidate(undefined)).toBeUndefined();
  });

  // The limit leaves room for the scheme and a few spaces: the whole header may be MAX_BEARER_LENGTH + 16.
  it('returns nothing for a header longer than MAX_BEARER_LENGTH + 16', () => {
    const limit = MAX_BEARER_LENGTH + 16;
    expect(bearerCandidate(`Bearer ${'a'.repeat(limit - 7)}`)?.length).toBe(limit - 7);
    expect(bearerCandidate(`Bearer ${'a'.repeat(limit - 6)}`)?.length).toBeUndefined();
  });
});
