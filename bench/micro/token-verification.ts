/**
 * Token verification (gateway/auth/authenticator.ts) with the verified-token cache and without it
 * (`tokenCacheSize: 0` creates no cache, so every call runs jose's signature check).
 */
import { loadConfig } from '../../core/config.js';
import type { DevKeyMaterial } from '../../core/keys.js';
import { createAuthenticator } from '../../gateway/auth/authenticator.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { timeOp, type OpCost } from './timing.js';

export interface TokenVerificationResult {
  algorithm: string;
  cached: OpCost & { hits: number; misses: number };
  uncached: OpCost & { hits: number; misses: number };
}

export async function measureTokenVerification(options: { keys: DevKeyMaterial; budgetMs: number }): Promise<TokenVerificationResult> {
  const config = loadConfig({ NODE_ENV: 'test' });
  const token = await signDevToken(options.keys.issuer, { ttlS: 3000 }, config);
  const header = `Bearer ${token}`;
  const run = async (tokenCacheSize: number) => {
    const authenticator = createAuthenticator({ auth: { ...config.auth, tokenCacheSize }, jwks: options.keys.issuer.publicJwks });
    const first = await authenticator.authenticate(header);
    if (!first.ok) throw new Error(`bench token refused: ${first.denial.code}`);
    const cost = await timeOp(() => authenticator.authenticate(header), options.budgetMs);
    const { hits, misses } = authenticator.stats();
    return { ...cost, hits, misses };
  };
  const cached = await run(config.auth.tokenCacheSize);
  const uncached = await run(0);
  // The "without cache" figure is only honest if the cache really was off.
  if (uncached.hits !== 0) throw new Error('tokenCacheSize 0 still served cache hits');
  return { algorithm: options.keys.issuer.alg, cached, uncached };
}
