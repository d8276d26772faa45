/**
 * A gateway whose access-log writer stopped for good (gateway/access-log/writer.ts, `failed`: here
 * a store that answers a commit with the wrong number of hashes): it refuses data at once with
 * AUDIT_UNAVAILABLE, is not ready, and says so on /healthz (503), so a liveness probe restarts it
 * rather than leave an instance that can never log again in the pool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainBatch } from '../../audit/chain.js';
import type { Checkpoint } from '../../audit/record.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const QUERY = 'query Writer($id: ID!) { client(clientId: $id) { id name } }';

describe('a gateway whose access-log writer has stopped for good', () => {
  let dir: string;
  let inner: Store;
  let sys: TestSystem;
  /** While true, the store answers every commit with one hash too few. */
  let wrong = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dsp-writer-failed-'));
    inner = await createStore(`sqlite:${join(dir, 'dsp.db')}`, { sqliteSync: 'normal' });
    const store = new Proxy(inner, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'appendToChain') {
          return async (batch: ChainBatch, checkpoints?: Checkpoint[]) => {
            const hashes = await inner.appendToChain(batch, checkpoints);
            return wrong ? hashes.slice(1) : hashes;
          };
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    sys = await startTestSystem({}, { store });
  });

  afterAll(async () => {
    await sys?.close();
    await inner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses data at once, is not ready, and answers /healthz 503', async () => {
    const base = sys.gateway.url.replace('/graphql', '');
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const ask = () => sys.gql(QUERY, { token, variables: { id: 'C-000001' } });
    expect((await ask()).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    wrong = true;
    const broken = await ask();
    expect([broken.status, broken.body.errors?.[0]?.extensions?.['code']]).toEqual([503, 'AUDIT_UNAVAILABLE']);
    wrong = false; // the store is right again: the writer stays stopped all the same

    const after = await ask();
    expect([after.status, after.body.errors?.[0]?.extensions?.['code']]).toEqual([503, 'AUDIT_UNAVAILABLE']);
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([503, { status: 'failed' }]);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, boolean> }).checks['accessLog']).toBe(false);
  });
});
