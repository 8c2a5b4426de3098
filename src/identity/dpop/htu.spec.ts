import { htuOf, normalizeHtu } from './htu';

describe(normalizeHtu.name, () => {
  it.each([
    ['HTTPS://API.Example.COM:443/a/b', 'https://api.example.com/a/b'],
    ['http://127.0.0.1:80/x', 'http://127.0.0.1/x'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/%7euser/%2f', 'https://api.example.com/~user/%2F'],
    ['https://api.example.com/p?q=1#f', 'https://api.example.com/p'],
    ['https://api.example.com', 'https://api.example.com/'],
  ])('normalises %s to %s', (input, normalised) => {
    expect(normalizeHtu(input)).toBe(normalised);
  });

  it.each(['/relative', 'ftp://api.example.com/x', 'https://user:pw@api.example.com/x', 'not a url'])(
    'refuses %s',
    (input) => {
      expect(normalizeHtu(input)).toBeUndefined();
    },
  );
});

describe(htuOf.name, () => {
  it('joins the configured public URL and the request path, without the query', () => {
    expect(htuOf('https://api.example.com/identity', '/auth/whoami?x=1')).toBe(
      'https://api.example.com/identity/auth/whoami',
    );
  });

  it('refuses an absolute-form request target, which names a host of its own', () => {
    expect(htuOf('https://api.example.com', 'http://evil.example/auth/whoami')).toBeUndefined();
  });
});
