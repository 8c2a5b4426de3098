import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_REVOCATIONS, type TokenRevocations } from '../cache/token-revocations';
import { AuthError } from '../errors/auth-error';
import type { Principal } from '../principal';
import { AccessTokenRules } from './access-token-rules';
import { JwksKeyStore } from './jwks-key-store';
import { keySuits, signatureVerifies } from './jws-signature';

/**
 * Validates a token that arrives as a parameter rather than as the request's credentials: the subject
 * token of an RFC 8693 exchange, a token an IdP returned to the broker. The same parts as the
 * authentication guard, in the same order (parse once, issuer before key, signature, claim rules,
 * revocation), so such a token is never held to a lower standard than a bearer token.
 */
@Injectable()
export class TokenVerifier {
  constructor(
    private readonly rules: AccessTokenRules,
    private readonly keys: JwksKeyStore,
    @Inject(TOKEN_REVOCATIONS) private readonly revocations: TokenRevocations,
  ) {}

  /** The principal of `token`, or the AuthError that says why it is not acceptable. */
  async verify(token: string): Promise<Principal> {
    const inspected = this.rules.inspect(token);
    const keys = await this.keys.keysFor(inspected.kid, inspected.alg);
    const suitable = keys.filter((key) => keySuits(inspected.alg, key));
    if (suitable.length === 0) throw new AuthError('forbidden_algorithm');
    const verifies = suitable.some((key) => {
      try {
        return signatureVerifies(inspected.alg, key, inspected.signingInput, inspected.signature);
      } catch {
        return false;
      }
    });
    if (!verifies) throw new AuthError('invalid_signature');
    const principal = this.rules.toPrincipal(inspected.claims);
    if (this.revocations.isRevoked(principal)) throw new AuthError('token_revoked');
    return principal;
  }
}
