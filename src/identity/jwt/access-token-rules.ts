import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import type { Actor, ActorLink, ActorType, Principal } from '../principal';
import { decodeJsonSegment } from './strict-json';

/** `typ` values of access tokens (RFC 9068, with its optional `application/` prefix, and Auth0's `JWT`). */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);
const AGENT_PREFIX = 'agent|';
const MAX_DELEGATION_DEPTH = 8;

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

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.auth = config.auth;
  }

  /**
   * Checks the token's shape and header before any key is looked up; returns the `kid` and `alg`. Both
   * segments must be strict base64url of UTF-8 JSON objects without repeated member names; the claims
   * set is checked here because the verifier would treat a non-object payload as a string and report a
   * misleading audience error.
   */
  inspect(token: string): { kid?: string; alg: string } {
    const segments = token.split('.');
    if (segments.length !== 3) throw new AuthError('malformed_token');
    const header = decodeJsonSegment(segments[0]);
    if (!header || !decodeJsonSegment(segments[1])) throw new AuthError('malformed_token');
    const { alg, typ, kid, crit } = header;
    if (typeof alg !== 'string') throw new AuthError('malformed_token');
    if (!(this.auth.algorithms as readonly string[]).includes(alg))
      throw new AuthError('forbidden_algorithm');
    // RFC 7515 §4.1.11: a `crit` extension we do not implement (e.g. b64=false) must be refused.
    if (crit !== undefined) throw new AuthError('malformed_token');
    // SPEC §3.1: an access token says what it is; a header without `typ` is refused like an ID token's.
    if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
      throw new AuthError('malformed_token');
    }
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) {
      throw new AuthError('no_matching_key');
    }
    return { kid, alg };
  }

  /** Builds the frozen principal from a verified payload, or refuses the token. */
  toPrincipal(payload: unknown): Principal {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new AuthError('malformed_token');
    }
    const claims = payload as Claims;
    const nowSeconds = Date.now() / 1000;

    if (typeof claims.exp !== 'number') throw new AuthError('malformed_token');
    if (claims.iat !== undefined) {
      if (typeof claims.iat !== 'number') throw new AuthError('malformed_token');
      if (claims.iat > nowSeconds + this.auth.clockSkewSeconds) throw new AuthError('not_yet_valid');
    }
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
      actorType === 'm2m' ? [this.auth.audience, this.auth.m2mAudience] : [this.auth.audience];
    if (!audiences.some((aud) => typeof aud === 'string' && allowedAudiences.includes(aud))) {
      throw new AuthError('wrong_audience');
    }

    const dpopJkt = readConfirmation(claims.cnf);
    // A DPoP-bound token presented as a plain bearer token would defeat the binding; until proof
    // verification lands, such tokens are refused rather than downgraded.
    if (dpopJkt !== undefined) throw new AuthError('dpop_required');

    const principal: Principal = {
      actorType,
      sub,
      clientId,
      permissions: Object.freeze(new Set(readPermissions(claims))),
      orgId: this.customString(claims, 'org_id') ?? optionalString(claims.org_id),
      teamId: this.customString(claims, 'team_id'),
      workspaceId: this.customString(claims, 'workspace_id'),
      projectId: this.customString(claims, 'project_id'),
      labId: this.customString(claims, 'lab_id'),
      tenantId: this.customString(claims, 'tenant_id'),
      tier: this.customString(claims, 'tier'),
      connection: this.customString(claims, 'connection'),
      // Set by the post-login Action from the IdP profile; an IdP that says unverified is not believed.
      email:
        claims.email_verified === false
          ? undefined
          : (this.customString(claims, 'email') ?? optionalString(claims.email)),
      internalUserId: this.customString(claims, 'internal_user_id') ?? this.customString(claims, 'user_id'),
      roles: Object.freeze(stringList(this.custom(claims, 'roles'))),
      amr: Object.freeze(stringList(claims.amr)),
      acr: optionalString(claims.acr),
      authTime: optionalNumber(claims.auth_time),
      tokenId: optionalString(claims.jti),
      issuedAt: optionalNumber(claims.iat),
      notBefore: optionalNumber(claims.nbf),
      expiresAt: claims.exp,
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
  if (!chain[0].sub.startsWith(AGENT_PREFIX)) throw new AuthError('invalid_actor');
  return Object.freeze({
    sub: chain[0].sub,
    iss: chain[0].iss,
    chain: Object.freeze(chain),
    onBehalfOfSub: sub,
  });
}

function readPermissions(claims: Claims): string[] {
  const permissions: string[] = [];
  if (claims.permissions !== undefined) {
    if (!Array.isArray(claims.permissions) || !claims.permissions.every((p) => typeof p === 'string')) {
      throw new AuthError('malformed_token');
    }
    permissions.push(...claims.permissions);
  }
  if (claims.scope !== undefined) {
    if (typeof claims.scope !== 'string') throw new AuthError('malformed_token');
    permissions.push(...claims.scope.split(' ').filter((scope) => scope !== ''));
  }
  return permissions;
}

function readConfirmation(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null) throw new AuthError('malformed_token');
  const jkt = (cnf as Claims).jkt;
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string') throw new AuthError('malformed_token');
  return jkt;
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AuthError('malformed_token');
  }
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
