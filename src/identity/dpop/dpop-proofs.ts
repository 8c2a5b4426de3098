import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import { DpopNonces } from './dpop-nonces';
import { DpopProofVerifier, type VerifiedProof } from './dpop-proof-verifier';
import { DpopReplayStore } from './dpop-replay-store';
import { htuOf } from './htu';

/** `use_dpop_nonce` (RFC 9449 §9): the `DPoP-Nonce` of the same response is the one to use. */
const USE_NONCE = {
  error: 'use_dpop_nonce',
  error_description: 'The DPoP proof must carry the nonce this response provides in DPoP-Nonce',
};

/**
 * One request's DPoP proof, checked in full: exactly one `DPoP` header, every stateless check of the
 * verifier, the binding to the token's `cnf.jkt`, the server nonce when nonces are on, and last the
 * replay claim (last, so a proof refused for any other reason does not use up its `jti`). Runs on every
 * DPoP request, whether or not the verified-token cache knew the token: the proof is per request.
 */
@Injectable()
export class DpopProofs {
  private readonly publicUrl: string;
  private readonly noncesOn: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly verifier: DpopProofVerifier,
    private readonly nonces: DpopNonces,
    private readonly replays: DpopReplayStore,
  ) {
    // Always set under local, and loadConfig refuses DPoP elsewhere without it.
    this.publicUrl = config.http.publicUrl ?? '';
    this.noncesOn = config.auth.dpop.nonce.enabled;
  }

  /** Checks the proof that accompanies `accessToken`, bound to `jkt` (the token's `cnf.jkt`). */
  async checkBound(
    request: FastifyRequest,
    reply: FastifyReply,
    accessToken: string,
    jkt: string | undefined,
  ): Promise<void> {
    // Every DPoP response carries a fresh nonce: the refusal that asks for one, and each success.
    if (this.noncesOn) void reply.header('dpop-nonce', this.nonces.current());
    const proof = singleProof(request);
    // A token without `cnf.jkt` is a bearer token: no proof can show possession of a key it names.
    if (jkt === undefined) throw new AuthError('invalid_dpop_proof');
    const { htu, verified } = await this.verify(request, proof, accessToken);
    if (verified.jkt !== jkt) throw new AuthError('invalid_dpop_proof');
    if (this.noncesOn && !this.nonces.accepts(verified.nonce)) {
      throw new AuthError('invalid_dpop_proof', USE_NONCE);
    }
    await this.replays.claim(htu, verified.jti);
  }

  /**
   * The thumbprint a token endpoint binds its token to, from a proof sent without an access token
   * (RFC 9449 §5); undefined when the request carries no `DPoP` header. Server nonces are asked of
   * resource requests only.
   */
  async bindingOf(request: FastifyRequest): Promise<string | undefined> {
    if (request.headers.dpop === undefined) return undefined;
    const { htu, verified } = await this.verify(request, singleProof(request));
    await this.replays.claim(htu, verified.jti);
    return verified.jkt;
  }

  private async verify(
    request: FastifyRequest,
    proof: string,
    accessToken?: string,
  ): Promise<{ htu: string; verified: VerifiedProof }> {
    const htu = htuOf(this.publicUrl, request.raw.url);
    if (htu === undefined) throw new AuthError('invalid_dpop_proof');
    const verified = await this.verifier.verify(proof, { method: request.method, htu, accessToken });
    return { htu, verified };
  }
}

/**
 * The one `DPoP` header of the request (RFC 9449 §4.3 check 1). Node joins repeated headers of unknown
 * names with a comma, so the raw list is counted, as for `Authorization`.
 */
function singleProof(request: FastifyRequest): string {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && name.toLowerCase() === 'dpop') count += 1;
  }
  const proof = request.headers.dpop;
  if (count !== 1 || typeof proof !== 'string') throw new AuthError('invalid_dpop_proof');
  return proof;
}
