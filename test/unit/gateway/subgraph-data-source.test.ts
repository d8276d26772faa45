import { sharedDeadline } from '../../../gateway/subgraph-data-source.js';

describe('sharedDeadline', () => {
  it('hands out one signal per granularity window and a new one after it', () => {
    let t = 1_000;
    const deadline = sharedDeadline(5_000, 1_000, () => t);
    const first = deadline();
    t += 999;
    expect(deadline()).toBe(first);
    t += 1;
    const second = deadline();
    expect(second).not.toBe(first);
    expect(second.aborted).toBe(false);
  });

  it('aborts a call that outlives its bound', async () => {
    const deadline = sharedDeadline(20, 10);
    const signal = deadline();
    await new Promise((r) => setTimeout(r, 80));
    expect(signal.aborted).toBe(true);
  });
});
