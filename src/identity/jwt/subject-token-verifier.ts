import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_REVOCATIONS, type TokenRevocations } from '../cache/token-revocations';
import { AuthError } from '../errors/auth-error';
import type { Principal } from '../principal';
import { AccessTokenRules } from './access-token-rules';
import { JwksKeyStore } from './jwks-key-store';
import { TokenVerifier } from './token-verifier';

/**
 * Validates a token of this API's own issuer that arrives as a parameter rather than as the request's
 * credentials: the subject token of an RFC 8693 exchange, a token the IdP returned to the agent broker.
 * The API's own rules and key store (the same parse, issuer-before-key, signature and claim checks as a
 * bearer token), then the revocation port, so such a token is never held to a lower standard.
 */
@Injectable()
export class SubjectTokenVerifier {
  private readonly verifier: TokenVerifier;

  constructor(
    rules: AccessTokenRules,
    keys: JwksKeyStore,
    @Inject(TOKEN_REVOCATIONS) private readonly revocations: TokenRevocations,
  ) {
    this.verifier = new TokenVerifier(rules, keys);
  }

  /** The principal of `token`, or the AuthError that says why it is not acceptable. */
  async verify(token: string): Promise<Principal> {
    const principal = await this.verifier.verify(token);
    if (this.revocations.isRevoked(principal)) throw new AuthError('token_revoked');
    return principal;
  }
}
