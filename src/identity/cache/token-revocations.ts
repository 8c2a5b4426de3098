import { Injectable } from '@nestjs/common';
import type { Principal } from '../principal';

/**
 * The revocation port: asked on every authenticated request, cache hit or not. The Auth0 log-stream
 * work implements it (tokens of a user issued before a session revocation, logout-everywhere, password
 * change, block or deletion) and calls `VerifiedTokenCache.forgetSubject` when it records one.
 * Must answer from memory: it sits on the hot path.
 */
export interface TokenRevocations {
  isRevoked(principal: Principal): boolean;
}

export const TOKEN_REVOCATIONS = Symbol('TOKEN_REVOCATIONS');

/** Until revocation lands, nothing is revoked. */
@Injectable()
export class NoTokenRevocations implements TokenRevocations {
  isRevoked(): boolean {
    return false;
  }
}
