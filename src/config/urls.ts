/** https, or plain http to a loopback address (a sidecar or a local IdP cannot be intercepted on the wire). */
export function secureUrl(url: string): boolean {
  if (url.startsWith('https://')) return true;
  try {
    const { protocol, hostname } = new URL(url);
    return protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
  } catch {
    return false;
  }
}

/**
 * A URL without credentials (`https://user:pw@…`), a query or a fragment, even an empty one. An issuer
 * is compared byte for byte with every token's `iss`, and the public URL with every DPoP proof's `htu`:
 * any of the three would either never match or put a secret into logs and `/auth/config`.
 */
export function plainUrl(value: string): boolean {
  if (/[?#]/.test(value)) return false;
  try {
    const { username, password } = new URL(value);
    return username === '' && password === '';
  } catch {
    return false;
  }
}
