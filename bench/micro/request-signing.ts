/**
 * Gateway CPU per subgraph fetch for the request signature (core/request-signature.ts): one
 * HMAC-SHA256 over the assertion and the body, with a nonce from the pool. Measured on the bodies
 * the benchmark workloads really send to subgraphs (a small query and a larger one), and the
 * subgraph's verification beside it. The target is under 10 µs per fetch.
 */
import { randomBytes } from 'node:crypto';
import { createRequestSigner, createRequestVerifier } from '../../core/request-signature.js';
import { timeSync, type OpCost } from './timing.js';

export interface RequestSigningResult {
  bodyBytes: number;
  sign: OpCost;
  verify: OpCost;
}

export function measureRequestSigning(options: { budgetMs: number }): RequestSigningResult[] {
  const key = randomBytes(32);
  // An EdDSA assertion as the gateway sends it is about 600 bytes.
  const authorization = `Bearer ${'a'.repeat(600)}`;
  const bodies = [
    JSON.stringify({ query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Client{id name}}}', variables: { representations: [{ __typename: 'Client', id: 'C-000001' }] } }),
    JSON.stringify({ query: `{ ${Array.from({ length: 40 }, (_, i) => `f${i}: client(clientId: "C-${String(i).padStart(6, '0')}") { id name tfnMasked }`).join(' ')} }` }),
  ];
  return bodies.map((body) => {
    const signer = createRequestSigner({ key });
    const sign = timeSync(() => signer.sign({ audience: 'clients', method: 'POST', authorization, body }), options.budgetMs);
    // Every verification needs a fresh signature (a repeated nonce is refused), made outside the timing.
    const headers = Array.from({ length: 20_000 }, () => signer.sign({ audience: 'clients', method: 'POST', authorization, body }));
    const raw = Buffer.from(body);
    const verifier = createRequestVerifier({ key, maxNonces: 1_000_000 });
    const verify = timeSync((i) => verifier.verify(headers[i % headers.length], { audience: 'clients', method: 'POST', authorization, body: raw }), Math.min(options.budgetMs, 200), 0);
    return { bodyBytes: Buffer.byteLength(body), sign, verify };
  });
}
