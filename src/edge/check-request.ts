/**
 * One authorization check, whatever the transport brought it: the original request's headers as sent
 * (names in any case, repeated names kept), its method and path, and the client address when known.
 */
export interface EdgeRequest {
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly method: string;
  readonly path: string;
  readonly sourceIp?: string;
}

/** Why a check request could not be read: it is denied `invalid_check_request`, never allowed. */
export class InvalidCheckRequest extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'InvalidCheckRequest';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The proto field names read here with a JSON (lowerCamel) name of their own. */
const JSON_NAMES = {
  header_map: 'headerMap',
  socket_address: 'socketAddress',
  raw_value: 'rawValue',
} as const;

/**
 * A member under its proto field name or its JSON (lowerCamel) name, as protobuf JSON allows both. The
 * names are spelled out: deriving them with a regular expression on every check was 2 % of the JSON
 * form's CPU time.
 */
function member(object: Json, snake: keyof typeof JSON_NAMES): unknown {
  if (snake in object) return object[snake];
  return object[JSON_NAMES[snake]];
}

/**
 * An Envoy `CheckRequest` as JSON (the runbook's form), or a gRPC `CheckRequest` decoded with the
 * proto field names: `attributes.request.http` must be there, and its `headers`, when present, a map of
 * strings. Envoy's newer `header_map` (repeated `{key, value | raw_value}`) is read too.
 */
export function fromCheckRequest(body: unknown): EdgeRequest {
  if (!isObject(body)) throw new InvalidCheckRequest('the check request is not an object');
  const attributes = body.attributes;
  if (!isObject(attributes)) throw new InvalidCheckRequest('attributes is missing');
  const request = attributes.request;
  const http = isObject(request) ? request.http : undefined;
  if (!isObject(http)) throw new InvalidCheckRequest('attributes.request.http is missing');
  const headers: [string, string][] = [];
  const map = http.headers;
  const headerMap = member(http, 'header_map');
  if (map !== undefined && map !== null) {
    if (!isObject(map)) throw new InvalidCheckRequest('attributes.request.http.headers is not an object');
    for (const [name, value] of Object.entries(map)) {
      if (typeof value !== 'string') throw new InvalidCheckRequest('a header value is not a string');
      headers.push([name, value]);
    }
  }
  if (headerMap !== undefined && headerMap !== null) {
    // Like `headers`: a header_map that is there but cannot be read is a bad check, never "no headers"
    // (which would let a request through anonymously with whatever it carried unseen).
    const entries = isObject(headerMap) ? (headerMap.headers ?? []) : undefined;
    if (!Array.isArray(entries))
      throw new InvalidCheckRequest('attributes.request.http.header_map is not a list');
    for (const entry of entries as unknown[]) {
      if (!isObject(entry) || typeof entry.key !== 'string') {
        throw new InvalidCheckRequest('a header_map entry is not a header');
      }
      headers.push([entry.key, headerMapValue(entry)]);
    }
  }
  // proto3 leaves an empty map off the wire (and its JSON mapping omits it): no headers is a request
  // with no headers, which then has no credentials.
  const source = attributes.source;
  const address =
    isObject(source) && isObject(source.address) ? member(source.address, 'socket_address') : undefined;
  const sourceIp = isObject(address) && typeof address.address === 'string' ? address.address : undefined;
  return {
    headers,
    method: typeof http.method === 'string' ? http.method : '',
    path: typeof http.path === 'string' ? http.path : '',
    sourceIp,
  };
}

/**
 * A `HeaderValue`'s text: `value`, or `raw_value` (bytes; base64 in JSON) when `value` is empty, as
 * Envoy sends it with `encode_raw_headers`. A value of another type is a bad check.
 */
function headerMapValue(entry: Json): string {
  const value = entry.value ?? '';
  const raw = member(entry, 'raw_value') ?? '';
  if (typeof value !== 'string') throw new InvalidCheckRequest('a header_map value is not a string');
  if (value !== '') return value;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('latin1');
  if (typeof raw === 'string') return Buffer.from(raw, 'base64').toString('latin1');
  throw new InvalidCheckRequest('a header_map raw_value is not bytes');
}

/** The headers of a request Envoy forwarded in HTTP service mode, from Node's raw list (repeats kept). */
export function fromRawHeaders(
  raw: readonly string[],
  method: string,
  path: string,
  ip: string,
): EdgeRequest {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i], raw[i + 1]]);
  return { headers, method, path, sourceIp: ip };
}
