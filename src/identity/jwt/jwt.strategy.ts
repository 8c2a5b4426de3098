import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AuthError } from '../errors/auth-error';
import type { Principal } from '../principal';
import { AccessTokenRules, type InspectedToken } from './access-token-rules';
import { JwksKeyStore } from './jwks-key-store';
import { keySuits, signatureVerifies } from './jws-signature';

export const JWT_STRATEGY = 'jwt';

/** What the guard hands the strategy as its request: the token alone, never the Fastify request. */
export interface TokenCarrier {
  readonly bearerToken: string;
}

/**
 * What our key provider hands passport-jwt's verifier step: the token as parsed once, and the keys of
 * its kid (more than one during an IdP's key rollover, never more than `MAX_KEYS_PER_KID`).
 */
class VerificationInput {
  constructor(
    readonly token: InspectedToken,
    readonly keys: readonly KeyObject[],
  ) {}
}

type VerifierCallback = (error: AuthError | null, claims?: Record<string, unknown>) => void;

/**
 * passport-jwt's verifier step, replaced through the seam it exposes (`Strategy.JwtVerifier`): it
 * would hand the token to jsonwebtoken, a second parser that reads the header and claims its own way
 * (a payload behind a byte-order mark became a string whose `exp` was never checked). Ours checks the
 * signature over the exact signing input with the key object already imported, and passes on the
 * claims that `AccessTokenRules.inspect` parsed from those same bytes. It is pure (everything an
 * instance configures arrives in its arguments), so one process-wide assignment serves every app.
 */
function verifyParsedToken(_token: string, input: unknown, _options: unknown, done: VerifierCallback): void {
  if (!(input instanceof VerificationInput)) {
    done(new AuthError('malformed_token'));
    return;
  }
  const { token, keys } = input;
  let suitable = 0;
  for (const key of keys) {
    if (!keySuits(token.alg, key)) continue;
    suitable += 1;
    if (verifiesWith(token, key)) {
      done(null, token.claims);
      return;
    }
  }
  done(new AuthError(suitable === 0 ? 'forbidden_algorithm' : 'invalid_signature'));
}

function verifiesWith(token: InspectedToken, key: KeyObject): boolean {
  try {
    return signatureVerifies(token.alg, key, token.signingInput, token.signature);
  } catch {
    // OpenSSL refuses some signatures outright (e.g. a wrong length) rather than returning false.
    return false;
  }
}
(Strategy as unknown as { JwtVerifier: typeof verifyParsedToken }).JwtVerifier = verifyParsedToken;

/**
 * The passport-jwt strategy, as the design names it, around our own parts: `AccessTokenRules.inspect`
 * parses the token once and checks its header and issuer, `JwksKeyStore` supplies the key, the
 * verifier above checks the signature, and `AccessTokenRules.toPrincipal` applies the claim rules
 * (`exp`/`nbf` with the configured skew, audience, actor) and builds the principal. Every provider,
 * `local` included, takes this path.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    keys: JwksKeyStore,
    private readonly rules: AccessTokenRules,
  ) {
    super({
      jwtFromRequest: (carrier: TokenCarrier) => carrier.bearerToken,
      secretOrKeyProvider: (
        _request: unknown,
        raw: string,
        done: (error: unknown, key?: string | Buffer) => void,
      ) => {
        let token: InspectedToken;
        let known: readonly KeyObject[] | undefined;
        try {
          token = rules.inspect(raw);
          known = keys.knownKeys(token.kid, token.alg);
        } catch (error) {
          done(error);
          return;
        }
        // A key in hand is handed over at once: no promise and no extra turn of the event loop.
        // (passport-jwt types the key as a PEM; our verifier above is the only one that receives it.)
        if (known) {
          done(null, new VerificationInput(token, known) as unknown as Buffer);
          return;
        }
        keys.keysFor(token.kid, token.alg).then(
          (found) => done(null, new VerificationInput(token, found) as unknown as Buffer),
          (error: unknown) => done(error),
        );
      },
      // Algorithms, issuer, audience and dates are checked by `inspect` and `toPrincipal`, not by
      // options that passport-jwt would carry to a verifier that no longer reads them.
      passReqToCallback: true,
    });
  }

  validate(_request: unknown, claims: unknown): Principal {
    return this.rules.toPrincipal(claims);
  }
}

/** Why passport refused: our parts fail with an AuthError; anything else is a token we cannot read. */
export function reasonOfJwtFailure(info: unknown): AuthError {
  return info instanceof AuthError ? info : new AuthError('malformed_token');
}
