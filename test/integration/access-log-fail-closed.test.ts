/**
 * Issue 4: when the access log cannot be written, the gateway fails closed. The store is wrapped
 * so its access-log writes reject on demand; the writer's buffer holds 20 records. While the
 * store is down, buffered requests hang (their responses wait for their records), and once the
 * buffer is full further data requests get 503 AUDIT_UNAVAILABLE. After recovery every buffered
 * record is committed, the hung requests complete, and the chain verifies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { AUDITOR, verifyAccessLogVia } from './support/access-log-auditor.js';
import { createSwitchableStore, type SwitchableStore } from './support/access-log-failing-store.js';

const BUFFER_MAX = 20;
const QUERY = 'query FailClosed($id: ID!) { client(clientId: $id) { id name } }';

interface Arrival {
  label: string;
  status: number;
  codes: string[];
  requestId: string | null;
  clientId: string | null;
  /** Whether the store was still failing when the response arrived. */
  whileFailing: boolean;
  at: number;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('access log fails closed when the store is unwritable', () => {
  let storeDir: string;
  let inner: Store;
  let switchable: SwitchableStore;
  let sys: TestSystem;

  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'dsp-fail-closed-'));
    inner = await createStore(`sqlite:${join(storeDir, 'dsp.db')}`, { sqliteSync: 'normal' });
    switchable = createSwitchableStore(inner);
    sys = await startTestSystem({ audit: { bufferMax: BUFFER_MAX, retryMaxMs: 50 } }, { store: switchable.store });
  });

  afterAll(async () => {
    if (switchable) switchable.failing = false;
    await sys?.close();
    await inner?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('refuses data once the buffer is full, releases nothing unlogged, and commits every buffered record after recovery', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const arrivals: Arrival[] = [];
    const request = async (label: string, clientId: string): Promise<Arrival> => {
      // Generous timeout: buffered requests are meant to hang until the store recovers.
      const res = await fetch(sys.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY, variables: { id: clientId } }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json()) as { data?: { client?: { id?: string } | null } | null; errors?: Array<{ extensions?: { code?: string } }> };
      const arrival: Arrival = {
        label,
        status: res.status,
        codes: (body.errors ?? []).map((e) => String(e.extensions?.code)),
        requestId: res.headers.get('x-request-id'),
        clientId: body.data?.client?.id ?? null,
        whileFailing: switchable.failing,
        at: Date.now(),
      };
      arrivals.push(arrival);
      return arrival;
    };
    const clientN = (n: number) => `C-${String(n).padStart(6, '0')}`;

    const healthy = await request('healthy', clientN(1));
    expect([healthy.status, healthy.clientId]).toEqual([200, clientN(1)]);
    const chainId = sys.gateway.chainId;

    switchable.failing = true;
    // Sent without awaiting (from C-000004: C-000003 is restricted): each is served by the subgraphs, then waits for its record.
    const buffered = Array.from({ length: BUFFER_MAX }, (_, i) => request('buffered', clientN(i + 4)));
    await waitFor('the buffer to fill', () => sys.gateway.writer.depth() >= BUFFER_MAX);
    expect(sys.gateway.writer.accepting()).toBe(false);

    const refused: Arrival[] = [];
    for (let i = 0; i < 5; i++) refused.push(await request('refused', clientN(30 + i)));
    for (const r of refused) {
      expect({ status: r.status, codes: r.codes, data: r.clientId }).toEqual({ status: 503, codes: ['AUDIT_UNAVAILABLE'], data: null });
      expect(r.requestId).toEqual(expect.any(String));
    }

    // The writer keeps retrying the same batch; meanwhile no buffered response is released.
    const refusedBefore = switchable.refusedWrites;
    await waitFor('the writer to retry', () => switchable.refusedWrites >= refusedBefore + 3);
    expect(arrivals.filter((a) => a.label === 'buffered')).toEqual([]);
    expect(sys.gateway.writer.depth()).toBe(BUFFER_MAX);

    switchable.failing = false;
    const completed = await Promise.all(buffered);
    for (const a of completed) {
      expect({ status: a.status, codes: a.codes, served: a.clientId !== null, whileFailing: a.whileFailing }).toEqual({ status: 200, codes: [], served: true, whileFailing: false });
      // Released only after its record's transaction committed.
      expect(switchable.committedAt.get(a.requestId!)).toBeLessThanOrEqual(a.at);
    }
    // Nothing but AUDIT_UNAVAILABLE refusals left the gateway while the log was unwritable.
    for (const a of arrivals.filter((x) => x.whileFailing)) expect([a.label, a.status, a.codes]).toEqual(['refused', 503, ['AUDIT_UNAVAILABLE']]);

    // Every buffered record is in the store, once, as served.
    const records = await inner.readChain(chainId, 1, 1e9);
    for (const a of completed) {
      const mine = records.filter((r) => r.requestId === a.requestId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ decision: 'ALLOWED', httpStatus: 200, errorCodes: [] });
    }
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));

    // Accepting again, and the chain verifies end to end.
    const after = await request('after recovery', clientN(40));
    expect([after.status, after.clientId]).toEqual([200, clientN(40)]);
    const report = await verifyAccessLogVia(sys, await sys.token(AUDITOR), chainId);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.checked).toBeGreaterThanOrEqual(1 + BUFFER_MAX + 1);
  });
});
