import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import type { Principal } from '../principal';
import { AccessTokenRules } from './access-token-rules';
import { JwksKeyStore } from './jwks-key-store';

export const JWT_STRATEGY = 'jwt';

/** What the guard hands passport: the token alone, never the Fastify request (see the guard). */
export interface TokenCarrier {
  readonly bearerToken: string;
}

/** The issuer as configured and with one trailing slash added or removed (custom domains differ). */
export function issuerVariants(issuer: string): [string, string] {
  return issuer.endsWith('/') ? [issuer, issuer.slice(0, -1)] : [issuer, `${issuer}/`];
}

/**
 * passport-jwt verifies signature, algorithm (the configured asymmetric list only), `iss`, `aud`, `exp`
 * and `nbf` with the configured skew; the key comes from the issuer's JWKS through `JwksKeyStore`;
 * `AccessTokenRules` checks the header first and builds the principal last. Every provider, `local`
 * included, takes this path.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    keys: JwksKeyStore,
    private readonly rules: AccessTokenRules,
  ) {
    super({
      jwtFromRequest: (carrier: TokenCarrier) => carrier.bearerToken,
      secretOrKeyProvider: (
        _request: unknown,
        token: string,
        done: (error: unknown, key?: string | Buffer) => void,
      ) => {
        let header: { kid?: string; alg: string };
        let known: KeyObject | undefined;
        try {
          header = rules.inspect(token);
          known = keys.knownKey(header.kid, header.alg);
        } catch (error) {
          done(error);
          return;
        }
        // A key in hand is handed over at once: no promise and no extra turn of the event loop.
        if (known) {
          done(null, known as unknown as Buffer);
          return;
        }
        keys.keyFor(header.kid, header.alg).then(
          // jsonwebtoken takes a parsed KeyObject (typed here as PEM): no key parsing per request.
          (key) => done(null, key as unknown as Buffer),
          (error: unknown) => done(error),
        );
      },
      algorithms: [...config.auth.algorithms],
      issuer: issuerVariants(config.auth.issuer),
      audience: [...new Set([config.auth.audience, config.auth.m2mAudience])],
      jsonWebTokenOptions: { clockTolerance: config.auth.clockSkewSeconds },
      passReqToCallback: true,
    });
  }

  validate(_request: unknown, payload: unknown): Principal {
    return this.rules.toPrincipal(payload);
  }
}

/** The reason code for a verification failure reported by jsonwebtoken (passport-jwt's verifier). */
export function reasonOfJwtFailure(info: unknown): AuthError {
  if (info instanceof AuthError) return info;
  if (info instanceof TokenExpiredError) return new AuthError('expired_token');
  if (info instanceof NotBeforeError) return new AuthError('not_yet_valid');
  if (info instanceof JsonWebTokenError) {
    const message = info.message;
    // `alg: none` never gets here (the header check refuses it), so a missing signature is a bad one.
    if (message === 'invalid signature' || message === 'jwt signature is required') {
      return new AuthError('invalid_signature');
    }
    if (message.startsWith('jwt audience invalid')) return new AuthError('wrong_audience');
    if (message.startsWith('jwt issuer invalid')) return new AuthError('wrong_issuer');
    if (message === 'invalid algorithm' || message.startsWith('"alg"')) {
      return new AuthError('forbidden_algorithm');
    }
  }
  return new AuthError('malformed_token');
}
