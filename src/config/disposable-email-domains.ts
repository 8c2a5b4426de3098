/**
 * The built-in block list of ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS (`default`): widely used
 * throwaway-mail services, the seed's five first. A domain blocks its subdomains too. Deliberately short:
 * operators with a fuller list (there are thousands of such domains) pass it in the variable.
 */
export const DISPOSABLE_EMAIL_DOMAINS: readonly string[] = [
  'mailinator.com',
  'guerrillamail.com',
  'tempmail.org',
  '10minutemail.com',
  'throwaway.email',
  'guerrillamail.net',
  'guerrillamail.org',
  'sharklasers.com',
  'grr.la',
  'temp-mail.org',
  'yopmail.com',
  'trashmail.com',
  'getnada.com',
  'dispostable.com',
  'maildrop.cc',
  'fakeinbox.com',
  'mailnesia.com',
  'tempail.com',
  'emailondeck.com',
  'burnermail.io',
];
