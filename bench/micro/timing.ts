/** Runs an async operation repeatedly for a time budget and reports its cost. */
import { performance } from 'node:perf_hooks';

export interface OpCost {
  ops: number;
  /** Mean cost of one operation, µs. */
  usPerOp: number;
  opsPerS: number;
}

/** Calls `op` sequentially until `budgetMs` has passed (after `warmupOps` untimed calls). */
export async function timeOp(op: (i: number) => unknown, budgetMs: number, warmupOps = 200): Promise<OpCost> {
  for (let i = 0; i < warmupOps; i++) await op(i);
  let ops = 0;
  const started = performance.now();
  const deadline = started + budgetMs;
  // Check the clock every 16 calls: cheap operations would otherwise mostly measure performance.now().
  while (performance.now() < deadline) {
    for (let j = 0; j < 16; j++) await op(ops++);
  }
  const elapsed = performance.now() - started;
  return { ops, usPerOp: (elapsed * 1000) / ops, opsPerS: (ops * 1000) / elapsed };
}

/** The same for a synchronous operation (no await per call, so sub-microsecond costs stay visible). */
export function timeSync(op: (i: number) => unknown, budgetMs: number, warmupOps = 200): OpCost {
  for (let i = 0; i < warmupOps; i++) op(i);
  let ops = 0;
  const started = performance.now();
  const deadline = started + budgetMs;
  while (performance.now() < deadline) {
    for (let j = 0; j < 64; j++) op(ops++);
  }
  const elapsed = performance.now() - started;
  return { ops, usPerOp: (elapsed * 1000) / ops, opsPerS: (ops * 1000) / elapsed };
}
