/**
 * Suspension propagation: a client polls the enforced gateway every ~10 ms; the benchmark
 * suspends the product directly in the store (as an admin change on any instance would land) and
 * times from the commit of that change to the first refusal (PRODUCT_SUSPENDED) the client sees.
 * It then reinstates the product and waits until the client is served again (also timed). Each
 * change is made at a random offset so the trials sample every phase of the gateway's registry poll.
 */
import { performance } from 'node:perf_hooks';
import type { Product } from '../../registry/model.js';
import type { Store } from '../../store/port.js';
import { median } from '../stats.js';

export interface SuspensionResult {
  trials: number;
  pollIntervalMs: number;
  /** Change committed → first refusal seen, ms, per trial. */
  suspendMs: number[];
  /** Reinstatement committed → first success seen, ms, per trial. */
  reinstateMs: number[];
  /** How long the store commit of the change took, ms (not part of the figures above). */
  commitMs: number[];
  median: number;
  max: number;
  reinstateMedian: number;
  reinstateMax: number;
}

type Seen = { at: number; suspended: boolean; ok: boolean };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureSuspensionPropagation(options: {
  store: Store;
  url: string;
  token: string;
  productId: string;
  trials: number;
  /** Client poll interval, ms. Default 10. */
  pollIntervalMs?: number;
  /** Upper bound of the random offset before each change, ms. Default 250 (the default registry poll). */
  phaseSpreadMs?: number;
  /** Give up on a trial after this long, ms. Default 10000. */
  trialTimeoutMs?: number;
}): Promise<SuspensionResult> {
  const pollIntervalMs = options.pollIntervalMs ?? 10;
  const body = JSON.stringify({ query: 'query Poll { client(clientId: "C-000001") { id } }', operationName: 'Poll' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  // A holder, not a variable: the poller reads whichever waiter is current.
  const waiter: { listener: ((s: Seen) => void) | null } = { listener: null };
  let polling = true;

  const poller = (async () => {
    while (polling) {
      const res = await fetch(options.url, { method: 'POST', headers, body });
      const json = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      const at = performance.now();
      const codes = (json.errors ?? []).map((e) => e.extensions?.code);
      waiter.listener?.({ at, suspended: codes.includes('PRODUCT_SUSPENDED'), ok: res.status === 200 && codes.length === 0 });
      await sleep(pollIntervalMs);
    }
  })();

  const waitFor = (after: number, pred: (s: Seen) => boolean) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('suspension trial timed out')), options.trialTimeoutMs ?? 10_000);
      waiter.listener = (s) => {
        if (s.at > after && pred(s)) {
          clearTimeout(timer);
          waiter.listener = null;
          resolve(s.at);
        }
      };
    });

  async function change(next: (p: Product) => Product, action: string): Promise<{ committedAt: number; commitMs: number }> {
    const p = (await options.store.productById(options.productId))!;
    const at = new Date().toISOString();
    const t0 = performance.now();
    await options.store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: p.revision, next: next(p), note: { action, actor: 'bench', reason: 'suspension propagation benchmark', effectiveAt: at } });
    const committedAt = performance.now();
    return { committedAt, commitMs: committedAt - t0 };
  }

  const suspendMs: number[] = [];
  const reinstateMs: number[] = [];
  const commitMs: number[] = [];
  try {
    await waitFor(performance.now(), (s) => s.ok);
    for (let t = 0; t < options.trials; t++) {
      await sleep(Math.random() * (options.phaseSpreadMs ?? 250));
      const since = new Date().toISOString();
      const suspended = await change((p) => ({ ...p, status: 'SUSPENDED', suspension: { reason: 'bench', since, until: null, actor: 'bench', resumeStatus: p.status } }), 'SUSPEND');
      const refusedAt = await waitFor(suspended.committedAt, (s) => s.suspended);
      suspendMs.push(refusedAt - suspended.committedAt);
      commitMs.push(suspended.commitMs);
      // Again at a random phase: right after a refusal is seen the gateway has just polled, so
      // reinstating at once would always measure the longest wait.
      await sleep(Math.random() * (options.phaseSpreadMs ?? 250));
      const reinstated = await change((p) => ({ ...p, status: p.suspension?.resumeStatus ?? 'CERTIFIED', suspension: null }), 'REINSTATE');
      const servedAt = await waitFor(reinstated.committedAt, (s) => s.ok);
      reinstateMs.push(servedAt - reinstated.committedAt);
    }
  } finally {
    polling = false;
    waiter.listener = null;
    await poller.catch(() => {});
  }
  return {
    trials: suspendMs.length,
    pollIntervalMs,
    suspendMs,
    reinstateMs,
    commitMs,
    median: median(suspendMs),
    max: Math.max(...suspendMs),
    reinstateMedian: median(reinstateMs),
    reinstateMax: Math.max(...reinstateMs),
  };
}
