import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { type KekSet, parseKekSet } from '../../config/kek-set';
import { KEY_WRAPPER, type KeyWrapper } from './key-wrapper';
import { LocalKeyring } from './local-keyring';

/**
 * The KeyWrapper of this process. Today always the local keyring; a KMS or Vault wrapper would be chosen
 * here from configuration (docs/credentials.md, "Keys and the KMS seam").
 */
export const keyWrapperProvider: Provider = {
  provide: KEY_WRAPPER,
  inject: [APP_CONFIG],
  useFactory: async (config: AppConfig): Promise<KeyWrapper> =>
    new LocalKeyring(await kekSetOf(config.credentials.kekSource)),
};

export async function kekSetOf(source: AppConfig['credentials']['kekSource']): Promise<KekSet> {
  switch (source.kind) {
    case 'configured':
      return source.keks;
    case 'ephemeral':
      // Tests without configured keys: what one process seals, only that process opens.
      return parseKekSet('ALPHASWARM_CREDENTIALS_KEKS', `ephemeral:${randomBytes(32).toString('base64')}`);
    case 'development-file':
      return developmentKeys(source.path);
  }
}

/**
 * `npm start` on a fresh clone: a key made on first boot and kept beside the embedded database, so
 * credentials stored in development survive a restart. Never used in production (the boot refuses).
 */
async function developmentKeys(path: string): Promise<KekSet> {
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) return parseKekSet('ALPHASWARM_DATA_DIR', existing);
  const text = `dev-1:${randomBytes(32).toString('base64')}\n`;
  await mkdir(dirname(path), { recursive: true });
  // `wx`: two processes starting at once must not each write their own key.
  await writeFile(path, text, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return parseKekSet('ALPHASWARM_DATA_DIR', await readFile(path, 'utf8'));
}
