import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { generateSigningKeyPem, publicKeyFromPem, publishedKey, type PublishedKeys, type SigningKey, signingKeyFromPem } from '@signal-mesh/delisting-domain';
import type { Logger } from '@signal-mesh/util-logging';

export interface SigningKeys {
  readonly signing: SigningKey;
  /** The signing key's public half first, then the extra published ones (rotation). */
  readonly published: PublishedKeys;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/**
 * The manifest signing key from its PEM file. When the file does not exist and `generate` is set (dev), a new key is
 * written there with mode 0600, so `npm start` needs no setup. Key material is never logged, only the key id.
 */
export async function loadSigningKeys(options: { keyFile: string; generate: boolean; publishedKeyFiles: readonly string[]; logger: Logger }): Promise<SigningKeys> {
  const { keyFile, logger } = options;
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (err) {
    if (!isMissing(err) || !options.generate) throw new Error(`cannot read the delisting signing key file ${keyFile} (DELISTING_SIGNING_KEY_FILE): ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    pem = await createKeyFile(keyFile, logger);
  }
  const signing = signingKeyFromPem(pem);
  const mode = (await stat(keyFile)).mode & 0o777;
  if ((mode & 0o077) !== 0) logger.warn({ file: keyFile, mode: mode.toString(8) }, 'the delisting signing key file is readable by others: chmod 600 it');
  const keys = [publishedKey(signing.publicKey)];
  for (const file of options.publishedKeyFiles) {
    const key = publishedKey(publicKeyFromPem(await readFile(file, 'utf8')));
    if (!keys.some((k) => k.kid === key.kid)) keys.push(key);
  }
  logger.info({ keyId: signing.keyId, published: keys.map((k) => k.kid) }, 'delisting signing key loaded');
  return { signing, published: { keys } };
}

async function createKeyFile(keyFile: string, logger: Logger): Promise<string> {
  await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a key another instance created meanwhile; read that one instead.
    await writeFile(keyFile, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
    logger.warn({ file: keyFile }, 'no delisting signing key: generated a new one (dev only; set DELISTING_SIGNING_KEY_FILE in production)');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFile(keyFile, 'utf8');
}
