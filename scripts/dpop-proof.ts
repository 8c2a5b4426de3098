/**
 * A DPoP client for the shell (docs/dpop.md): keeps an ES256 key pair in a file and prints, for one
 * request, the key's thumbprint or a fresh proof.
 *
 *   node dist/scripts/dpop-proof.js --key .dpop-key.json --jkt
 *   node dist/scripts/dpop-proof.js --key .dpop-key.json --method GET --url http://127.0.0.1:3000/auth/whoami --token "$T"
 *
 * The key file is created on first use; it holds a private key, so keep it out of version control.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { accessTokenHash } from '../src/identity/dpop/dpop-proof-verifier';

const USAGE =
  'usage: node dist/scripts/dpop-proof.js --key FILE (--jkt | --method M --url URL [--token T] [--nonce N])';

function fail(message: string): never {
  process.stderr.write(`dpop-proof: ${message}\n${USAGE}\n`);
  process.exit(1);
}

async function loadKey(file: string): Promise<JWK> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  return jwk;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        key: { type: 'string' },
        jkt: { type: 'boolean' },
        method: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        nonce: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.key === undefined) fail('--key is required');
  const privateJwk = await loadKey(values.key);
  const { kty, crv, x, y } = privateJwk;
  const publicJwk: JWK = { kty, crv, x, y };
  if (values.jkt) {
    process.stdout.write(`${await calculateJwkThumbprint(publicJwk, 'sha256')}\n`);
    return;
  }
  if (values.method === undefined || values.url === undefined) fail('--method and --url are required');
  const target = new URL(values.url);
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    htm: values.method.toUpperCase(),
    htu: `${target.origin}${target.pathname}`,
    iat: Math.floor(Date.now() / 1000),
  };
  if (values.token !== undefined) claims.ath = accessTokenHash(values.token);
  if (values.nonce !== undefined) claims.nonce = values.nonce;
  const proof = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })
    .sign(await importJWK(privateJwk, 'ES256'));
  process.stdout.write(`${proof}\n`);
}

void main();
