/**
 * Whether the domain of `email` is on `blocked` or under a domain that is: `a.b.mailinator.com` and
 * `MAILINATOR.COM` are both blocked by `mailinator.com`, `notmailinator.com` is not (labels, not
 * suffixes, are compared). `blocked` holds lower-cased domains without a trailing dot.
 */
export function isBlockedDomain(email: string, blocked: ReadonlySet<string>): boolean {
  if (blocked.size === 0) return false;
  const at = email.lastIndexOf('@');
  let domain = email
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  for (;;) {
    if (blocked.has(domain)) return true;
    const dot = domain.indexOf('.');
    if (dot === -1) return false;
    domain = domain.slice(dot + 1);
  }
}

/** The domain of an email address, lower-cased: what the ledger keeps of it. */
export function domainOf(email: string): string {
  return email
    .slice(email.lastIndexOf('@') + 1)
    .toLowerCase()
    .replace(/\.$/, '');
}
