/**
 * A closed loop of POST /graphql requests for the counting benchmarks (bench/instructions.ts,
 * bench/allocations.ts): what they measure is per request, not per second, so the pace is the
 * server's own.
 */

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
