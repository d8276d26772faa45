/**
 * DPoP proof verification (gateway/auth/dpop.ts): jose's jwtVerify with the embedded JWK, the
 * thumbprint and claim checks, and the jti replay cache — in memory (the verifier's own cost) and
 * on the SQLite store's counters (what the gateway does: one write through the write thread).
 * Proofs are signed ahead of the timed loop, so only verification is measured.
 */
import { join } from 'node:path';
import type { DemoDpopKey } from '../../core/keys.js';
import { accessTokenHash, signDpopProof } from '../../gateway/auth/dev-dpop.js';
import { createDpopVerifier, createStoreReplayCache, type ReplayCache } from '../../gateway/auth/dpop.js';
import { createStore } from '../../store/index.js';
import { timeOp, type OpCost } from './timing.js';

export interface DpopVerificationResult {
  algorithm: string;
  memory: OpCost;
  store: OpCost;
}

const HTU = 'http://localhost:4000/graphql';
const TOKEN = 'bench.token.value';

export async function measureDpopVerification(options: { key: DemoDpopKey; dir: string; budgetMs: number }): Promise<DpopVerificationResult> {
  // Enough distinct proofs for the budget (a proof is accepted once); a few ms of signing each.
  const count = Math.max(2000, Math.ceil(options.budgetMs * 40));
  const proofs = await Promise.all(Array.from({ length: count }, () => signDpopProof(options.key, { htm: 'POST', htu: HTU, accessToken: TOKEN })));
  const ath = accessTokenHash(TOKEN);
  const run = async (replay: ReplayCache) => {
    const verifier = createDpopVerifier({ algorithms: ['ES256'], windowS: 60, replay });
    let next = 0;
    const cost = await timeOp(async () => {
      const r = await verifier.verify({ header: proofs[next++ % count]!, method: 'POST', htu: HTU, ath, jkt: options.key.thumbprint });
      if (!r.ok && next <= count) throw new Error(`bench proof refused: ${JSON.stringify(r.denial.details)}`);
    }, options.budgetMs, 0);
    if (next > count) throw new Error('the budget outran the signed proofs: the figure would include refusals');
    return cost;
  };
  const seen = new Set<string>();
  const memory = await run({ firstUse: async (k) => !seen.has(k) && Boolean(seen.add(k)) });
  const store = await createStore(`sqlite:${join(options.dir, 'dpop-bench.db')}`);
  try {
    return { algorithm: options.key.alg, memory, store: await run(createStoreReplayCache({ createStoreLimiter: (spec) => store.createRateLimiter(spec), proofWindowS: 60 })) };
  } finally {
    await store.close();
  }
}
