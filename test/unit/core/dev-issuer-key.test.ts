/**
 * The development issuer's private key exists only where it can be trusted (core/keys.ts
 * keysFor): a production gateway never creates it. Before, every start wrote
 * `keys/dev-issuer.private.json`, production included, where nothing trusts it: a signing key to
 * guard for nothing, and one a later misconfiguration could start trusting.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { keysFor } from '../../../core/keys.js';
import { freshDirs } from '../../helpers/temp-dirs.js';

const fresh = freshDirs('dev-issuer-key-');

/** What keysFor reads of a resolved configuration. */
function configFor(env: 'production' | 'development' | 'test', dataDir: string) {
  return {
    env,
    dataDir,
    audit: { hmacKey: randomBytes(32).toString('base64') },
    enforcement: { subgraphMacKey: randomBytes(32).toString('base64') },
    auth: { gatewayKeyFile: null },
  };
}

describe('keysFor', () => {
  it('in production loads the gateway key and the secrets, and creates no development issuer key', async () => {
    const dataDir = fresh();
    const keys = await keysFor(configFor('production', dataDir));
    expect(keys.issuer).toBeNull();
    expect(keys.gateway.alg).toBe('EdDSA');
    expect(readdirSync(join(dataDir, 'keys')).filter((f) => f.startsWith('dev-issuer'))).toEqual([]);
  });

  it.each(['development', 'test'] as const)('in %s creates the development issuer key, and loads the same one again', async (env) => {
    const dataDir = fresh();
    const first = await keysFor(configFor(env, dataDir));
    expect(first.issuer?.alg).toBe('ES256');
    expect(existsSync(join(dataDir, 'keys', 'dev-issuer.private.json'))).toBe(true);
    const again = await keysFor(configFor(env, dataDir));
    expect(again.issuer?.kid).toBe(first.issuer!.kid);
  });
});
