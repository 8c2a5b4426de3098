import { loadConfig } from './app-config';
import { DISPOSABLE_EMAIL_DOMAINS } from './disposable-email-domains';

describe('ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS', () => {
  const domains = (value?: string) =>
    [
      ...loadConfig({ ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS: value }).preregister.blockedEmailDomains,
    ].sort();

  it('defaults to the built-in list', () => {
    expect(domains()).toEqual([...DISPOSABLE_EMAIL_DOMAINS].sort());
    expect(domains()).toContain('mailinator.com');
  });

  it('replaces the list, lower-cased, or extends it through the word default', () => {
    expect(domains('Burner.Example, spam.test.')).toEqual(['burner.example', 'spam.test']);
    expect(domains('default,burner.example')).toEqual([...DISPOSABLE_EMAIL_DOMAINS, 'burner.example'].sort());
  });

  it('blocks nothing with none', () => {
    expect(domains('none')).toEqual([]);
  });

  it.each([['not a domain'], ['@mailinator.com'], ['localhost'], ['none,mailinator.com']])(
    'refuses %p at boot, naming the variable',
    (value) => {
      expect(() => domains(value)).toThrow(
        /^ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS: must be a CSV of email domains/,
      );
    },
  );
});
