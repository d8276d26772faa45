/**
 * An evenly paced, open-loop load generator: request i is due at start + i / rate, sent then
 * whatever the earlier ones are doing (over a keep-alive pool of `connections`), and its latency is
 * measured from the instant it was DUE, not sent, so a server that falls behind is charged for the
 * wait it causes (no coordinated omission). autocannon's `overallRate` releases each second's quota
 * at the start of the second, which measures bursts, not a steady rate.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import type { LoadRun, LoadSpec } from './load.js';

export async function runPaced(spec: LoadSpec & { overallRate: number }): Promise<LoadRun> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: spec.connections, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const total = Math.max(1, Math.round(spec.overallRate * spec.durationS));
  const intervalMs = 1000 / spec.overallRate;
  const latencies = new Float64Array(total);
  let n = 0;
  let ok = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();

  async function send(i: number, due: number): Promise<void> {
    try {
      const res = await pool.request({ path: url.pathname, method: 'POST', headers, body: spec.bodies[i % spec.bodies.length], headersTimeout: 10_000, bodyTimeout: 10_000 });
      const text = await res.body.text();
      const latency = performance.now() - due;
      if (res.statusCode >= 200 && res.statusCode < 300 && !text.includes('"errors"')) {
        ok++;
        latencies[n++] = latency;
      } else failed++;
    } catch {
      failed++;
    }
  }

  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    const p = send(i, due);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  await pool.close();
  return { ok, failed, durationS: (performance.now() - start) / 1000, latenciesMs: latencies.subarray(0, n) };
}
