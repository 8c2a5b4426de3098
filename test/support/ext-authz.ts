import { request as httpRequest } from 'node:http';
import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { authorizationService } from '../../src/edge/grpc/edge-grpc-server';

/** Headers of the original request as sent: repeated names and any case allowed. */
export type HeaderList = readonly (readonly [string, string])[];

/** What a transport answered, brought to one shape so one table of cases runs through all three. */
export interface CheckOutcome {
  /** The HTTP status Envoy would act on (gRPC: 200 for OK, else denied_response's status). */
  readonly status: number;
  readonly reason?: string;
  /** Identity headers Envoy sets upstream (lower-case names). */
  readonly set: Readonly<Record<string, string>>;
  /** Request headers Envoy removes. */
  readonly remove: readonly string[];
  readonly wwwAuthenticate?: string;
  /** gRPC only: the CheckResponse's status code. */
  readonly grpcCode?: number;
}

export type Transport = 'json' | 'http' | 'grpc';

function identityHeaders(headers: Record<string, unknown>): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-alphaswarm-') && typeof value === 'string') set[name] = value;
  }
  return set;
}

function removal(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split(',') : [];
}

/** POSTs a raw body to the JSON form; returns status, headers and the parsed body. */
export function postRaw(
  baseUrl: string,
  path: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  return send(baseUrl, 'POST', path, [...Object.entries(headers)], body);
}

function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: HeaderList,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const url = new URL(path, baseUrl);
  // A raw header list replaces Node's defaults, Host included (which an HTTP/1.1 server requires).
  const flat = ['host', url.host, ...headers.flatMap(([name, value]) => [name, value])];
  if (body !== undefined) flat.push('content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: flat },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The edge check over the runbook's JSON form. A repeated name is only possible in another case. */
export async function checkJson(baseUrl: string, headers: HeaderList): Promise<CheckOutcome> {
  const map: Record<string, string> = {};
  for (const [name, value] of headers) map[name] = value;
  const res = await postRaw(
    baseUrl,
    '/ext_authz/v3/check',
    JSON.stringify({
      attributes: { request: { http: { method: 'GET', path: '/api/items', headers: map } } },
    }),
  );
  return {
    status: res.status,
    reason: res.body.reason as string | undefined,
    set: identityHeaders(res.headers),
    remove: removal(res.headers['x-envoy-auth-headers-to-remove']),
    wwwAuthenticate: res.headers['www-authenticate'] as string | undefined,
  };
}

/** The edge check as Envoy's HTTP service mode sends it: the original request under the prefix. */
export async function checkHttp(
  baseUrl: string,
  headers: HeaderList,
  prefix = '/ext_authz/http',
  method = 'GET',
): Promise<CheckOutcome> {
  const res = await send(baseUrl, method, `${prefix}/api/items?page=2`, headers);
  return {
    status: res.status,
    reason:
      (res.body.reason as string | undefined) ??
      (res.status === 200 ? (res.headers['x-alphaswarm-auth'] as string) : undefined),
    set: identityHeaders(res.headers),
    remove: removal(res.headers['x-envoy-auth-headers-to-remove']),
    wwwAuthenticate: res.headers['www-authenticate'] as string | undefined,
  };
}

type CheckClient = Client & {
  Check(request: unknown, callback: (error: ServiceError | null, response: GrpcCheckResponse) => void): void;
};

interface GrpcHeader {
  header: { key: string; value: string };
  append?: { value: boolean };
}

export interface GrpcCheckResponse {
  status?: { code?: number; message?: string };
  ok_response?: { headers?: GrpcHeader[]; headers_to_remove?: string[] };
  denied_response?: { status?: { code?: number | string }; headers?: GrpcHeader[]; body?: string };
}

/** A real gRPC client of `envoy.service.auth.v3.Authorization`, built from the vendored protos. */
export function grpcClient(port: number): CheckClient {
  const Authorization = authorizationService();
  return new Authorization(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as CheckClient;
}

export function grpcCheckRaw(client: CheckClient, request: unknown): Promise<GrpcCheckResponse> {
  return new Promise((resolve, reject) => {
    client.Check(request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The edge check over gRPC, as Envoy sends it. */
export async function checkGrpc(client: CheckClient, headers: HeaderList): Promise<CheckOutcome> {
  const map: Record<string, string> = {};
  for (const [name, value] of headers) map[name] = value;
  const response = await grpcCheckRaw(client, {
    attributes: { request: { http: { method: 'GET', path: '/api/items', headers: map } } },
  });
  const code = response.status?.code ?? 0;
  if (code === 0) {
    const set: Record<string, string> = {};
    for (const { header, append } of response.ok_response?.headers ?? []) {
      // Envoy must overwrite, never append, so that a client value cannot survive beside ours.
      if (append?.value !== false) throw new Error(`header ${header.key} is not set to overwrite`);
      set[header.key] = header.value;
    }
    return {
      status: 200,
      reason: set['x-alphaswarm-auth'],
      set,
      remove: response.ok_response?.headers_to_remove ?? [],
      grpcCode: 0,
    };
  }
  const denied = response.denied_response;
  const body = JSON.parse(denied?.body ?? '{}') as { reason?: string };
  const headers_ = Object.fromEntries(
    (denied?.headers ?? []).map(({ header }) => [header.key, header.value]),
  );
  return {
    status: Number(denied?.status?.code),
    reason: body.reason,
    set: {},
    remove: [],
    wwwAuthenticate: headers_['www-authenticate'],
    grpcCode: code,
  };
}
