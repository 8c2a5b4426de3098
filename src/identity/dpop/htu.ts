/** RFC 3986 §2.3 unreserved characters: a percent-encoded one means the character itself. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/g;

/**
 * An `htu` as compared (RFC 9449 §4.3 check 9): scheme, host and path, without query and fragment,
 * after RFC 3986 normalisation — lower-case scheme and host, no default port, dot segments removed
 * (the WHATWG URL parser does these), percent-escapes of unreserved characters decoded and the others
 * upper-cased (§6.2.2.1–2). Undefined for anything that is not an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(PERCENT_ESCAPE, (escape) => {
    const character = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(character) ? character : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * The URL a client called, as a proof must name it: the configured public URL (ALPHASWARM_PUBLIC_URL)
 * followed by the request's path. Never built from `Host` or `X-Forwarded-*`, which the caller can
 * forge to make a proof for another host pass here. Undefined for a request target that is not a path
 * (the absolute form, `GET http://other/… HTTP/1.1`, names a host too).
 */
export function htuOf(publicUrl: string, requestTarget: string | undefined): string | undefined {
  if (requestTarget === undefined || !requestTarget.startsWith('/')) return undefined;
  let end = requestTarget.length;
  for (const separator of ['?', '#']) {
    const at = requestTarget.indexOf(separator);
    if (at >= 0 && at < end) end = at;
  }
  return normalizeHtu(`${publicUrl}${requestTarget.slice(0, end)}`);
}
