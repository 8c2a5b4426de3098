import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

const DOMAIN = 'alphaswarm-dpop-nonce';
/** `<window in base 36>.<HMAC-SHA256 in base64url>`: only RFC 9449 NQCHAR characters. */
const NONCE = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Server-issued DPoP nonces (RFC 9449 §8–9) that need no shared state: a nonce is the HMAC, under
 * ALPHASWARM_DPOP_NONCE_SECRET, of the number of the time window it was issued in. Every instance with
 * the same key issues and accepts the same values; nobody without the key can predict the next one, so
 * a stolen signing key cannot be used to pre-compute proofs for later. A nonce is accepted in its own
 * window and the next, so a client that just received one always has at least a full window to use it.
 * See docs/adr/0012-dpop-replay-and-nonces.md.
 */
@Injectable()
export class DpopNonces {
  private readonly key: KeyObject;
  private readonly windowMs: number;
  /** The current window's nonce, rebuilt when the window moves on (one HMAC per window, not per request). */
  private issued: { window: number; nonce: string } = { window: -1, nonce: '' };

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.auth.dpop.nonce.secret;
    this.windowMs = config.auth.dpop.nonce.windowSeconds * 1000;
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(now = Date.now()): string {
    const window = Math.floor(now / this.windowMs);
    if (this.issued.window !== window) this.issued = { window, nonce: this.nonceOf(window) };
    return this.issued.nonce;
  }

  /** Whether `nonce` was issued under this key in the current or the previous window. */
  accepts(nonce: string | undefined, now = Date.now()): boolean {
    const match = nonce === undefined ? null : NONCE.exec(nonce);
    if (!match) return false;
    const window = Number.parseInt(match[1], 36);
    const current = Math.floor(now / this.windowMs);
    if (window !== current && window !== current - 1) return false;
    const expected = Buffer.from(this.macOf(window), 'utf8');
    const presented = Buffer.from(match[2], 'utf8');
    return timingSafeEqual(expected, presented);
  }

  private nonceOf(window: number): string {
    return `${window.toString(36)}.${this.macOf(window)}`;
  }

  private macOf(window: number): string {
    return createHmac('sha256', this.key).update(`${DOMAIN}:${window}`).digest('base64url');
  }
}
