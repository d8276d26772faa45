import { describe, expect, it } from '@jest/globals';
import { parseAllocationOptions, summarise, type ProfileNode } from '../../../bench/allocations.js';

const node = (functionName: string, url: string, selfSize: number, children: ProfileNode[] = []): ProfileNode => ({ callFrame: { functionName, url, lineNumber: 0, columnNumber: 9 }, selfSize, children });

describe('bench/allocations.ts', () => {
  it('reads the options, and refuses what it does not know', () => {
    expect(parseAllocationOptions([])).toEqual({ workload: 'one', requests: 3000, warmup: 3000, interval: 8192, concurrency: 10, variants: ['bare', 'durable'], keep: false, promoted: false });
    expect(parseAllocationOptions(['three', '--requests=10', '--interval=1024', '--variants=off', '--keep', '--promoted'])).toMatchObject({ workload: 'three', requests: 10, interval: 1024, variants: ['off'], keep: true, promoted: true });
    expect(() => parseAllocationOptions(['--interval=0'])).toThrow(/--interval: a positive whole number/);
    expect(() => parseAllocationOptions(['--variants=bare,enforced'])).toThrow(/not "enforced"/);
    expect(() => parseAllocationOptions(['--promote'])).toThrow(/unknown argument "--promote"/);
  });

  it("sums the sampled bytes by source, by function and by the nearest project function above a library's allocation", () => {
    const head = node('(root)', '', 0, [
      node('serve', 'file:///app/gateway/pipeline.ts', 100, [node('parse', 'file:///app/node_modules/graphql/language/parser.js', 40, [node('Map', '', 8)])]),
      node('processTicks', 'node:internal/process/task_queues', 30, [node('execute', 'file:///app/node_modules/@apollo/server/dist/esm/x.js', 20)]),
    ]);
    const { total, bySource, byFunction, byProjectCaller } = summarise(head);
    expect(total).toBe(198);
    expect(bySource).toEqual(new Map([['gateway/pipeline.ts', 100], ['graphql', 40], ['(Map)', 8], ['node:internal/process', 30], ['@apollo/server', 20]]));
    expect(byFunction.get('serve gateway/pipeline.ts:1:10')).toBe(100);
    expect(byFunction.get('Map (native)')).toBe(8);
    // Below our code: charged to it; with none of ours above: the source's own name, in parentheses.
    expect(byProjectCaller).toEqual(new Map([['serve gateway/pipeline.ts:1:10', 148], ['(node:internal/process)', 30], ['(@apollo/server)', 20]]));
  });
});
