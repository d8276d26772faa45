/**
 * What the counting benchmarks (bench/instructions.ts, bench/allocations.ts) share: their gateway
 * variants and options, starting a variant's server, and a closed loop of POST /graphql requests.
 * What they measure is per request, not per second, so the pace is the server's own.
 */
import { forkServer, type ForkOptions, type ServerChild } from './child/children.js';
import type { BenchHarness } from './harness.js';

/** bare-http, the enforced gateway with its durable access log, or the same with the log off. */
export type CountedVariant = 'bare' | 'durable' | 'off';

/** `--variants=a,b`: each one bare, durable or off; anything else is an error, so a typo does not count a default. */
export function countedVariants(value: string): CountedVariant[] {
  const variants = value.split(',');
  for (const v of variants) if (v !== 'bare' && v !== 'durable' && v !== 'off') throw new Error(`--variants: bare, durable or off, not ${JSON.stringify(v)}`);
  return variants as CountedVariant[];
}

/** A `--name=value` that must be a positive whole number. */
export function positiveCount(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name}: a positive whole number, not ${JSON.stringify(value)}`);
  return n;
}

/** Starts `variant`'s gateway on the harness's subgraphs (an enforced one as `instanceId`), with the headers its requests need. */
export async function forkVariant(h: BenchHarness, variant: CountedVariant, instanceId: string, options: ForkOptions = {}): Promise<{ server: ServerChild; headers: Record<string, string> }> {
  if (variant === 'bare') return { server: await forkServer('bare-http', h.bareHttpSpec(), options), headers: {} };
  const server = await forkServer(variant, { role: 'enforced', dataDir: h.env.dataDir, env: { ...h.gatewayEnv, INSTANCE_ID: instanceId }, accessLog: variant }, options);
  return { server, headers: h.auth };
}

/** Sends `n` requests, `concurrency` at a time, cycling the bodies; returns how many were answered 200 without errors. */
export async function drive(url: string, headers: Record<string, string>, bodies: readonly string[], n: number, concurrency: number): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const body = bodies[next++ % bodies.length]!;
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const text = await res.text();
        if (res.status === 200 && !text.includes('"errors"')) ok += 1;
      }
    }),
  );
  return ok;
}
