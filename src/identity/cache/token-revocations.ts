import type { Principal } from '../principal';

/**
 * The revocation port: asked on every authenticated request, cache hit or not. Identity defines it and
 * never implements it: the revocation registry of src/internal does (tokens of a user issued before a
 * logout, password change, block or deletion; docs/revocation.md) and AppModule binds it, as
 * DECISION_SINK is bound. The registry also calls `VerifiedTokenCache.forgetSubjects` when it records
 * one. Must answer from memory: it sits on the hot path.
 */
export interface TokenRevocations {
  isRevoked(principal: Principal): boolean;
}

export const TOKEN_REVOCATIONS = Symbol('TOKEN_REVOCATIONS');

/** Without a binding (identity alone, e.g. in a fixture), nothing is revoked. */
export const NO_REVOCATIONS: TokenRevocations = Object.freeze({ isRevoked: () => false });
