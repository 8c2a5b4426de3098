import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig, type SigningAlgorithm } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import type { Actor, ActorLink, ActorType, Principal } from '../principal';
import { base64urlBytes, decodeJsonSegment } from './strict-json';

/** `typ` values of access tokens (RFC 9068, with its optional `application/` prefix, and Auth0's `JWT`). */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);
const AGENT_PREFIX = 'agent|';
/** The name after `agent|`: a letter or digit, then letters, digits, `_ . : -`; 128 characters at most. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const MAX_DELEGATION_DEPTH = 8;
/**
 * Decoded JWS headers kept by their base64url text. An issuer signs every token of a key under the same
 * header, so a never-seen token almost always repeats a header decoded before; a flood of distinct
 * headers only cycles this small cache.
 */
const DECODED_HEADERS_KEPT = 64;
/** 2100-01-01T00:00:00Z: no token of this service's era expires, or was issued, later. */
export const MAX_NUMERIC_DATE = 4_102_444_800;

/** The issuer as configured and with one trailing slash added or removed (custom domains differ). */
export function issuerVariants(issuer: string): [string, string] {
  return issuer.endsWith('/') ? [issuer, issuer.slice(0, -1)] : [issuer, `${issuer}/`];
}

/** A token parsed once by `inspect`: what the key lookup and the signature check need, and the claims. */
export interface InspectedToken {
  readonly kid?: string;
  readonly alg: SigningAlgorithm;
  readonly claims: Claims;
  /** `<header>.<payload>` exactly as sent: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

type Claims = Record<string, unknown>;

/**
 * What makes a signed JWT an acceptable access token here, beyond what the verifier checks (signature,
 * algorithm, `iss`, `aud`, `exp`, `nbf`): the header, the claims that must be present, ID-token
 * detection, the actor kind, and the custom claims under the configured namespaces.
 */
@Injectable()
export class AccessTokenRules {
  private readonly auth: AppConfig['auth'];

  /** Per custom claim, its full names under each namespace, primary first (built once, not per token). */
  private readonly claimNames = new Map<string, readonly string[]>();

  /**
   * `decodeJsonSegment` of recent header segments. Only the decoding is kept, never a verdict: the
   * header rules below run on every token, in the same order, so a cached header is refused exactly
   * as a fresh one would be. The objects are frozen: every token that repeats the segment shares one.
   */
  private readonly decodedHeaders = new LRUCache<string, Readonly<Claims>>({ max: DECODED_HEADERS_KEPT });

  /** The `iss` values accepted: see `issuerVariants`. */
  private readonly issuers: readonly string[];

  /**
   * Delegated agent tokens may be addressed to an MCP server's canonical URI (RFC 8707) instead of the
   * API: agents are refused everywhere but on the MCP routes, which check the audience against their
   * own URI (docs/agents-and-mcp.md).
   */
  private readonly agentAudiences: readonly string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.auth = config.auth;
    this.issuers = issuerVariants(config.auth.issuer);
    this.agentAudiences = [
      config.auth.audience,
      ...[config.mcp.dataCanonicalUri, config.mcp.codebaseCanonicalUri].filter(
        (uri): uri is string => uri !== undefined,
      ),
    ];
  }

  /**
   * Parses the token once and checks everything that needs no key: the shape, the header, and the
   * issuer (read from the claims, which are not trusted for anything else until the signature holds).
   * A foreign issuer is refused here, so its unknown `kid` never makes us fetch our JWKS. Both segments
   * must be strict base64url of UTF-8 JSON objects (see `decodeJsonSegment`); the claims returned are
   * the ones the verifier later trusts, read from the very bytes whose signature it checks.
   */
  inspect(token: string): InspectedToken {
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
      throw new AuthError('malformed_token');
    }
    const header = this.decodedHeader(token.slice(0, firstDot));
    const claims = decodeJsonSegment(token.slice(firstDot + 1, secondDot));
    const signature = base64urlBytes(token.slice(secondDot + 1));
    if (!header || !claims || !signature) throw new AuthError('malformed_token');
    const { alg, typ, kid, crit, zip } = header;
    if (typeof alg !== 'string') throw new AuthError('malformed_token');
    if (!(this.auth.algorithms as readonly string[]).includes(alg))
      throw new AuthError('forbidden_algorithm');
    // RFC 7515 §4.1.11: a `crit` extension we do not implement (e.g. b64=false) must be refused.
    if (crit !== undefined) throw new AuthError('malformed_token');
    // RFC 7516 §4.1.3: `zip` belongs to JWE; a JWS that carries it is not something we can read.
    if (zip !== undefined) throw new AuthError('malformed_token');
    // docs/authentication.md: an access token says what it is; a header without `typ` is refused.
    if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
      throw new AuthError('malformed_token');
    }
    if (kid !== undefined && typeof kid !== 'string') throw new AuthError('malformed_token');
    if (kid !== undefined && (kid.length === 0 || kid.length > 256)) throw new AuthError('no_matching_key');
    if (typeof claims.iss !== 'string' || !this.issuers.includes(claims.iss)) {
      throw new AuthError('wrong_issuer');
    }
    return {
      kid,
      alg: alg as SigningAlgorithm,
      claims,
      signingInput: token.slice(0, secondDot),
      signature,
    };
  }

  /** The header segment decoded as `decodeJsonSegment` would, from the cache when it was seen lately. */
  private decodedHeader(segment: string): Readonly<Claims> | undefined {
    const known = this.decodedHeaders.get(segment);
    if (known !== undefined) return known;
    const decoded = decodeJsonSegment(segment);
    // A segment that does not decode is not kept: it is refused anyway, and costs its decoding each time.
    // The key is a copy: V8 may keep a slice as a view of the whole token, which would keep the bearer
    // token itself alive in the cache. (A kept segment is base64url, so latin1 copies it exactly.)
    if (decoded !== undefined) {
      this.decodedHeaders.set(Buffer.from(segment, 'latin1').toString('latin1'), Object.freeze(decoded));
    }
    return decoded;
  }

  /** Builds the frozen principal from a verified payload, or refuses the token. */
  toPrincipal(payload: unknown): Principal {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new AuthError('malformed_token');
    }
    const claims = payload as Claims;
    const nowSeconds = Date.now() / 1000;
    const skew = this.auth.clockSkewSeconds;

    const exp = numericDate(claims.exp);
    const nbf = numericDate(claims.nbf);
    const iat = numericDate(claims.iat);
    if (exp === undefined) throw new AuthError('malformed_token');
    if (nbf !== undefined && nbf > nowSeconds + skew) throw new AuthError('not_yet_valid');
    if (exp <= nowSeconds - skew) throw new AuthError('expired_token');
    if (iat !== undefined && iat > nowSeconds + skew) throw new AuthError('not_yet_valid');
    // ID tokens carry a nonce, or are addressed to the SPA client alone: they are not access tokens.
    if (claims.nonce !== undefined) throw new AuthError('malformed_token');
    const audiences = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
    if (this.auth.spaClientId !== undefined && audiences.every((aud) => aud === this.auth.spaClientId)) {
      throw new AuthError('wrong_audience');
    }

    const sub = claims.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 512)
      throw new AuthError('malformed_token');
    const clientId = optionalString(claims.azp) ?? optionalString(claims.client_id);
    const actor = readActor(claims.act, sub);
    const actorType = this.actorTypeOf(claims, sub, clientId, actor);

    // The M2M audience is for M2M tokens only; people and agents must address the API itself.
    const allowedAudiences =
      actorType === 'm2m'
        ? [this.auth.audience, this.auth.m2mAudience]
        : actorType === 'agent'
          ? this.agentAudiences
          : [this.auth.audience];
    if (!audiences.some((aud) => typeof aud === 'string' && allowedAudiences.includes(aud))) {
      throw new AuthError('wrong_audience');
    }

    // A bound token is admitted only with a proof of its key: the authentication guard checks that.
    const dpopJkt = readConfirmation(claims.cnf);

    const principal: Principal = {
      actorType,
      sub,
      clientId,
      audiences: stringsOf(audiences),
      permissions: readPermissions(claims),
      orgId: this.customString(claims, 'org_id') ?? optionalString(claims.org_id),
      teamId: this.customString(claims, 'team_id'),
      workspaceId: this.customString(claims, 'workspace_id'),
      projectId: this.customString(claims, 'project_id'),
      labId: this.customString(claims, 'lab_id'),
      tenantId: this.customString(claims, 'tenant_id'),
      tier: this.tierOf(claims),
      connection: this.customString(claims, 'connection'),
      // Set by the post-login Action from the IdP profile; an IdP that says unverified is not believed.
      email:
        claims.email_verified === false
          ? undefined
          : (this.customString(claims, 'email') ?? optionalString(claims.email)),
      internalUserId: this.customString(claims, 'internal_user_id') ?? this.customString(claims, 'user_id'),
      roles: stringList(this.custom(claims, 'roles')),
      amr: stringList(claims.amr),
      acr: optionalString(claims.acr),
      authTime: numericDate(claims.auth_time),
      tokenId: optionalString(claims.jti),
      issuedAt: iat,
      notBefore: nbf,
      expiresAt: exp,
      actor,
      dpopJkt,
    };
    return Object.freeze(principal);
  }

  private actorTypeOf(claims: Claims, sub: string, clientId: string | undefined, actor?: Actor): ActorType {
    if (actor) return 'agent';
    const clientsSuffix = sub.endsWith('@clients');
    if (claims.gty === 'client-credentials' || clientsSuffix) {
      // Auth0 M2M subjects are `<client_id>@clients`; a prefix naming another client is forged or broken.
      if (clientsSuffix && sub.slice(0, -'@clients'.length) !== clientId)
        throw new AuthError('invalid_actor');
      if (!this.auth.m2mEnabled) throw new AuthError('invalid_actor');
      return 'm2m';
    }
    return 'user';
  }

  /** A custom claim under the first namespace that carries it (the primary namespace wins). */
  private custom(claims: Claims, name: string): unknown {
    let names = this.claimNames.get(name);
    if (!names) {
      names = this.auth.claimNamespaces.map((namespace) => `${namespace}${name}`);
      this.claimNames.set(name, names);
    }
    for (const claim of names) {
      const value = claims[claim];
      if (value !== undefined && value !== null) return value;
    }
    return undefined;
  }

  private customString(claims: Claims, name: string): string | undefined {
    return optionalString(this.custom(claims, name));
  }

  /**
   * The `tier` claim. Unlike the other custom strings, a tier claim that is there but unusable (empty,
   * a number, a list) is kept as `''`, a tier nothing serves: whoever routes by tier must not mistake a
   * broken claim for an absent one and fall back to a default tier (a downgrade).
   */
  private tierOf(claims: Claims): string | undefined {
    const value = this.custom(claims, 'tier');
    return value === undefined ? undefined : (optionalString(value) ?? '');
  }
}

function readActor(act: unknown, sub: string): Actor | undefined {
  if (act === undefined) return undefined;
  const chain: ActorLink[] = [];
  let link: unknown = act;
  while (link !== undefined) {
    if (typeof link !== 'object' || link === null || Array.isArray(link))
      throw new AuthError('invalid_actor');
    const { sub: actorSub, iss, act: next } = link as Claims;
    if (typeof actorSub !== 'string' || actorSub.length === 0) throw new AuthError('invalid_actor');
    if (iss !== undefined && typeof iss !== 'string') throw new AuthError('invalid_actor');
    chain.push(Object.freeze({ sub: actorSub, iss }));
    if (chain.length > MAX_DELEGATION_DEPTH) throw new AuthError('invalid_actor');
    link = next;
  }
  // Only agents act on a user's behalf here; any other actor shape is refused, not ignored.
  const agent = chain[0].sub;
  if (!agent.startsWith(AGENT_PREFIX) || !AGENT_NAME.test(agent.slice(AGENT_PREFIX.length))) {
    throw new AuthError('invalid_actor');
  }
  return Object.freeze({
    sub: chain[0].sub,
    iss: chain[0].iss,
    chain: Object.freeze(chain),
    onBehalfOfSub: sub,
  });
}

/** `permissions` and the words of `scope`, in one set built without intermediate lists. */
function readPermissions(claims: Claims): ReadonlySet<string> {
  const permissions = new Set<string>();
  const listed = claims.permissions;
  if (listed !== undefined) {
    if (!Array.isArray(listed)) throw new AuthError('malformed_token');
    for (const permission of listed as unknown[]) {
      if (typeof permission !== 'string') throw new AuthError('malformed_token');
      permissions.add(permission);
    }
  }
  if (claims.scope !== undefined) {
    if (typeof claims.scope !== 'string') throw new AuthError('malformed_token');
    for (const scope of claims.scope.split(' ')) if (scope !== '') permissions.add(scope);
  }
  return Object.freeze(permissions);
}

function readConfirmation(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null) throw new AuthError('malformed_token');
  const jkt = (cnf as Claims).jkt;
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string') throw new AuthError('malformed_token');
  return jkt;
}

/**
 * An absent list claim (`roles`, `amr`): one shared empty list. A verified token's principal stays in
 * the verified-token cache, so whatever it holds is kept, and copied by the collector, once per token.
 */
const NO_STRINGS: readonly string[] = Object.freeze([]);

function stringList(value: unknown): readonly string[] {
  if (value === undefined || value === null) return NO_STRINGS;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AuthError('malformed_token');
  }
  return Object.freeze(value);
}

/** The string members of `values`, frozen (the audiences of a principal: non-strings never match one). */
function stringsOf(values: readonly unknown[]): readonly string[] {
  if (values.length === 1 && typeof values[0] === 'string') return Object.freeze([values[0]]);
  return Object.freeze(values.filter((value): value is string => typeof value === 'string'));
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A NumericDate claim (RFC 7519 §2) as this service accepts it: absent, or seconds (fractions allowed,
 * as the RFC allows them) from 0 up to `MAX_NUMERIC_DATE`. Anything else (a string, a negative or an
 * absurd number such as 1e300) makes the token malformed rather than valid forever or since forever.
 */
function numericDate(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_NUMERIC_DATE)) {
    throw new AuthError('malformed_token');
  }
  return value;
}
