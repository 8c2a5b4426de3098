import { base64urlBytes, decodeJsonSegment, parseJsonWithoutDuplicates } from './strict-json';

const encode = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

describe(base64urlBytes.name, () => {
  it('decodes canonical base64url of any length, the empty segment included', () => {
    for (let length = 0; length < 40; length += 1) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 53 + 251) % 256));
      expect(base64urlBytes(bytes.toString('base64url'))).toEqual(bytes);
    }
  });

  // Each of these decodes, leniently, to bytes: Node's own decoder accepts every one of them.
  it.each([
    ['standard base64 characters', Buffer.from([0xfb, 0xff]).toString('base64')],
    ['padding', 'YQ=='],
    ['a space', 'YW Jj'],
    ['a line break', 'YWJj\nZGVm'],
    ['a dot', 'YWJj.ZGVm'],
    ['a character beyond ASCII', 'YWJjé'],
    ['a character whose low byte is in the alphabet', 'YWJj\u0141'],
    ['a length that no bytes encode to', 'YWJjZ'],
  ])('refuses %s', (_name, segment) => {
    expect(Buffer.from(segment, 'base64url').length).toBeGreaterThan(0);
    expect(base64urlBytes(segment)).toBeUndefined();
  });

  it('refuses a last character with stray bits, which decodes to the same bytes as the canonical one', () => {
    // "a" is YQ; YR, YS … YV carry the same two bits of data and non-zero padding bits.
    for (const other of ['YR', 'YS', 'YT', 'YU', 'YV']) {
      expect(Buffer.from(other, 'base64url')).toEqual(Buffer.from('a'));
      expect(base64urlBytes(other)).toBeUndefined();
    }
    expect(base64urlBytes('YQ')).toEqual(Buffer.from('a'));
  });
});

describe(decodeJsonSegment.name, () => {
  it('decodes a base64url JSON object', () => {
    expect(decodeJsonSegment(encode('{"alg":"RS256","typ":"at+jwt"}'))).toEqual({
      alg: 'RS256',
      typ: 'at+jwt',
    });
  });

  it('decodes nested objects and arrays of objects with distinct member names', () => {
    const text = '{"a":{"b":1,"c":[{"d":2},{"d":3}]},"e":[1,[2,{"f":null}]]}';
    expect(decodeJsonSegment(encode(text))).toEqual(JSON.parse(text));
  });

  it('accepts whitespace around members', () => {
    expect(decodeJsonSegment(encode(' \n{"a" : 1 ,\t"b":2 }\r\n'))).toEqual({ a: 1, b: 2 });
  });

  it('counts a colon inside a string, an escaped quote or a key as no member', () => {
    const text = '{"url":"https://x:8443/a","q":"say \\":\\" twice","k:ey":"\\\\:"}';
    expect(decodeJsonSegment(encode(text))).toEqual(JSON.parse(text));
  });

  it('decodes the empty object', () => {
    expect(decodeJsonSegment('e30')).toEqual({});
  });

  it('keeps a __proto__ member as plain data', () => {
    const decoded = decodeJsonSegment(encode('{"__proto__":{"admin":true}}'));
    expect(Object.keys(decoded ?? {})).toEqual(['__proto__']);
    expect((decoded as { admin?: boolean }).admin).toBeUndefined();
  });

  describe('repeated member names', () => {
    it.each([
      ['at the top level', '{"sub":"alice","sub":"admin"}'],
      ['inside a nested object', '{"act":{"sub":"agent|a","sub":"agent|b"}}'],
      ['inside an object in an array', '{"list":[{"a":1},{"a":1,"a":2}]}'],
      ['spelled with an escape', '{"sub":"alice","\\u0073ub":"admin"}'],
      ['named __proto__', '{"__proto__":1,"__proto__":2}'],
      ['with the same value', '{"a":1,"a":1}'],
    ])('refuses a repeat %s', (_name, text) => {
      expect(decodeJsonSegment(encode(text))).toBeUndefined();
    });
  });

  describe('values that are not one JSON object', () => {
    it.each([
      ['an array', '[{"a":1}]'],
      ['a string', '"alice"'],
      ['a number', '42'],
      ['null', 'null'],
      ['true', 'true'],
      ['empty text', ''],
      ['text that is not JSON', '{alg:RS256}'],
      ['an object followed by more text', '{"a":1}{"b":2}'],
      ['an object with a trailing comma', '{"a":1,}'],
    ])('refuses %s', (_name, text) => {
      expect(decodeJsonSegment(encode(text))).toBeUndefined();
    });
  });

  describe('encoding', () => {
    it.each([
      ['standard base64 characters', Buffer.from('{"a":"??>"}').toString('base64')],
      ['padding', `${encode('{"a":1}')}=`],
      ['a dot', 'e30.e30'],
      ['a space', 'e3 0'],
    ])('refuses %s', (_name, segment) => {
      expect(decodeJsonSegment(segment)).toBeUndefined();
    });

    it('refuses the empty segment', () => {
      expect(decodeJsonSegment('')).toBeUndefined();
    });

    it.each([
      ['a lone continuation byte', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]],
      ['an overlong encoding of /', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]],
      ['a byte that never appears in UTF-8', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]],
      ['an encoded surrogate', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]],
      ['a truncated sequence', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d]],
    ])('refuses invalid UTF-8: %s', (_name, bytes) => {
      expect(decodeJsonSegment(encode(Buffer.from(bytes)))).toBeUndefined();
    });

    it('decodes multi-byte UTF-8', () => {
      expect(decodeJsonSegment(encode('{"name":"Zoë 東京 🚀"}'))).toEqual({ name: 'Zoë 東京 🚀' });
    });

    // Another parser reads a BOM-prefixed payload as a string (whose exp nobody checks): refused.
    it('refuses a leading byte-order mark, one or two', () => {
      expect(decodeJsonSegment(encode('\uFEFF{"a":1}'))).toBeUndefined();
      expect(decodeJsonSegment(encode('\uFEFF\uFEFF{"a":1}'))).toBeUndefined();
    });

    // Pinned as it is today: a JSON escape of a lone surrogate is valid JSON text and is kept.
    it('keeps an escaped lone surrogate', () => {
      expect(decodeJsonSegment(encode('{"a":"\\ud800"}'))).toEqual({ a: '\ud800' });
    });
  });

  describe('parseJsonWithoutDuplicates', () => {
    it('parses JSON of any shape whose objects name each member once', () => {
      expect(parseJsonWithoutDuplicates('{"a":{"b":"x:y"},"c":[{"a":1}]}')).toEqual({
        a: { b: 'x:y' },
        c: [{ a: 1 }],
      });
      expect(parseJsonWithoutDuplicates('[1,"2"]')).toEqual([1, '2']);
      expect(parseJsonWithoutDuplicates('null')).toBeNull();
    });

    it('refuses a repeated member at any depth, text that is not JSON, and nesting too deep to count', () => {
      expect(parseJsonWithoutDuplicates('{"a":1,"a":2}')).toBeUndefined();
      expect(parseJsonWithoutDuplicates('{"h":{"authorization":"x","authorization":"y"}}')).toBeUndefined();
      expect(parseJsonWithoutDuplicates('{"a":')).toBeUndefined();
      const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      expect(parseJsonWithoutDuplicates(deep)).toBeUndefined();
    });

    it('tells strings from structure whatever their quotes, backslashes and colons', () => {
      // Names and values built from the characters that end, escape or look like a member separator.
      const pieces = ['"', '\\', ':', 'a', '\\"', '::', '"\\', 'ü'];
      const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const next = random(7);
      const word = () =>
        Array.from(
          { length: 1 + Math.floor(next() * 5) },
          () => pieces[Math.floor(next() * pieces.length)],
        ).join('');
      for (let round = 0; round < 200; round += 1) {
        const object: Record<string, unknown> = {};
        for (let member = 0; member < 4; member += 1)
          object[word()] = next() < 0.5 ? word() : { [word()]: [word()] };
        const text = JSON.stringify(object);
        expect(parseJsonWithoutDuplicates(text)).toEqual(object);
        // The first member again, written out a second time: always refused.
        const [first] = Object.keys(object);
        const repeated = `{${JSON.stringify(first)}:0,${text.slice(1)}`;
        expect(parseJsonWithoutDuplicates(repeated)).toBeUndefined();
      }
    });
  });
});
