import { isBlockedDomain } from './blocked-domain';

describe(isBlockedDomain.name, () => {
  const blocked = new Set(['mailinator.com', 'throwaway.email']);

  it('blocks a listed domain whatever its case', () => {
    expect(isBlockedDomain('ada@mailinator.com', blocked)).toBe(true);
    expect(isBlockedDomain('Ada@MailInator.COM', blocked)).toBe(true);
  });

  it('blocks subdomains of a listed domain, at any depth', () => {
    expect(isBlockedDomain('ada@eu.mailinator.com', blocked)).toBe(true);
    expect(isBlockedDomain('ada@a.b.c.throwaway.email', blocked)).toBe(true);
  });

  it('compares whole labels: a domain that merely ends with the same letters passes', () => {
    expect(isBlockedDomain('ada@notmailinator.com', blocked)).toBe(false);
    expect(isBlockedDomain('ada@mailinator.com.example.org', blocked)).toBe(false);
  });

  it('ignores a trailing dot and reads the domain after the last @', () => {
    expect(isBlockedDomain('ada@mailinator.com.', blocked)).toBe(true);
    expect(isBlockedDomain('"a@example.org"@mailinator.com', blocked)).toBe(true);
  });

  it('blocks nothing with an empty list', () => {
    expect(isBlockedDomain('ada@mailinator.com', new Set())).toBe(false);
  });
});
