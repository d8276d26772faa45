import { BEGIN, END, fallBack, renderReadmeTable, replaceBlock } from '../../../bench/readme-table.js';
import type { BenchReport } from '../../../bench/report.js';

/** A run with the figures the table reads; `over` changes them. */
function report(over: { enforcedCpu?: number; ratio?: number; addedP50?: number; bareP99?: number; addedP99?: number; ingest?: number; bareRoundsCpu?: number[] } = {}): BenchReport {
  const cell = (variant: string, cpu: number, rounds: number[] = [cpu]) => ({ workload: 'one', variant, serverCpuUsPerReq: cpu, rounds: rounds.map((c) => ({ serverCpuUsPerReq: c })) });
  const ratio = over.ratio ?? 0.97;
  return {
    machine: { date: '2026-12-04T09:00:00.000Z', nproc: 2, cpuModel: 'AMD EPYC', memory: '23.5 GiB', node: 'v20.20.2', loadAverageAtStart: [0.5, 0.5, 0.5] },
    options: { pin: true, connections: 50, rounds: 3, durationS: 10 },
    cells: [cell('enforced', over.enforcedCpu ?? 400), cell('bare-http', 360, over.bareRoundsCpu)],
    headline: [{ workload: 'one', bareRps: 800, enforcedRps: 1600, ratio: 2, roundRatios: [2], addedP50Ms: 0, addedP99Ms: 0, addedCpuUsPerReq: 0 }],
    headlineSameTransport: [{ workload: 'one', bareRps: 1650, enforcedRps: 1650 * ratio, ratio, roundRatios: [ratio], addedP50Ms: 0, addedP99Ms: 0, addedCpuUsPerReq: 0 }],
    fixedRate: [
      {
        workload: 'one',
        rate: 200,
        connections: 50,
        bare: { p50: 1, p99: over.bareP99 ?? 4, n: 4000, failed: 0 },
        enforced: { p50: 1 + (over.addedP50 ?? 0.5), p99: (over.bareP99 ?? 4) + (over.addedP99 ?? 2), n: 4000, failed: 0 },
        addedP50Ms: over.addedP50 ?? 0.5,
        addedP99Ms: over.addedP99 ?? 2,
        roundsAddedP50Ms: [-0.1, 0, 0.1].map((d) => (over.addedP50 ?? 0.5) + d),
      },
    ],
    micro: { ingest: [{ cpus: 'CPUs 0-1', sync: 'full', checkpoints: 'window', concurrency: 1000, recordsPerS: over.ingest ?? 52_000 }] },
  } as unknown as BenchReport;
}

describe('README performance block', () => {
  it('marks every target met when the figures reach it', () => {
    const text = renderReadmeTable(report(), null);
    expect(text).toContain('| one subgraph | 800 | 1650 | 1601 | 2.00 | 0.97 (0.97) | 400 / 360 (1.11×) |');
    expect(text).not.toContain('**missed**');
    expect(text.match(/\*\*met\*\*/g)).toHaveLength(5);
    expect(text).toContain('52000 (1000 in flight, CPUs 0-1) records/s');
    expect(text).toContain('added p50 +0.50 ms (rounds +0.40, +0.50, +0.60) (target ≤ 1 ms): **met**');
  });

  it("names the Node flags the gateways under test ran with, and says when they ran with Node's defaults", () => {
    const run = report();
    expect(renderReadmeTable(run, null)).toContain("The gateways under test run with Node's default flags.");
    run.gatewayNodeFlags = ['--max-old-space-size=256', '--expose-gc'];
    expect(renderReadmeTable(run, null)).toContain("Every gateway under test, bare ones included, runs with the gateway's production Node flags, `--max-old-space-size=256 --expose-gc`.");
  });

  it('says by how much a target is missed', () => {
    const text = renderReadmeTable(report({ ratio: 0.9, enforcedCpu: 450, addedP50: 1.6, addedP99: 5, ingest: 40_000 }), null);
    expect(text).toContain('throughput 0.90 of bare-http (target ≥ 0.95): **missed** by 0.05');
    expect(text).toContain('CPU 1.25× (target ≤ 1.15×): **missed** by 0.10');
    expect(text).toContain('added p50 +1.60 ms (rounds +1.50, +1.60, +1.70) (target ≤ 1 ms): **missed** by 0.6 ms');
    expect(text).toContain('added p99 +5.00 ms (target ≤ 3 ms): **missed** by 2.0 ms');
    expect(text).toContain('**missed** by 10000 records/s');
  });

  it('judges ingest on the gateway\'s own checkpoint settings, not a faster row with checkpoints every 10 s only', () => {
    const run = report({ ingest: 45_807 });
    run.micro.ingest!.push({ cpus: 'CPUs 0-1', sync: 'full', checkpoints: 'sparse', concurrency: 1000, recordsPerS: 50_056 } as NonNullable<typeof run.micro.ingest>[number]);
    const text = renderReadmeTable(run, null);
    expect(text).toContain('50056 (1000 in flight, CPUs 0-1, sparse checkpoints)');
    expect(text).toContain('**missed** by 4193 records/s');
  });

  it('judges ingest on alike records, showing the varied-keys row beside them', () => {
    const run = report({ ingest: 45_000 });
    run.micro.ingest!.push({ cpus: 'CPUs 0-1', sync: 'full', checkpoints: 'window', keys: 'varied', concurrency: 1000, recordsPerS: 60_000 } as NonNullable<typeof run.micro.ingest>[number]);
    const text = renderReadmeTable(run, null);
    expect(text).toContain('60000 (1000 in flight, CPUs 0-1, varied keys)');
    expect(text).toContain('**missed** by 5000 records/s');
  });

  it('calls a miss smaller than the shown precision a miss by less than it, not "by 0.00"', () => {
    // 414.7 / 360 = 1.152×: shown as 1.15×, above the 1.15× target.
    const text = renderReadmeTable(report({ enforcedCpu: 414.7 }), null);
    expect(text).toContain('CPU 1.15× (target ≤ 1.15×): **missed** by less than 0.01');
    expect(text).not.toContain('**missed** by 0.00');
  });

  it('gives each variant\'s longest event-loop stall and GC pause beside the p99 when the run read them, and nothing when it did not', () => {
    expect(renderReadmeTable(report(), null)).not.toContain('event-loop stall');
    const withStalls = report();
    const x = withStalls.fixedRate![0]!;
    x.bare.stalls = { loopDelayMaxMs: 21.34, loopDelayP99Ms: 9, gcMaxMs: 14.9, gcMajorCount: 2 };
    x.enforced.stalls = { loopDelayMaxMs: 32.61, loopDelayP99Ms: 14, gcMaxMs: 8.26, gcMajorCount: 0 };
    const text = renderReadmeTable(withStalls, null);
    expect(text).toContain('p99 4.0 / 6.0 ms; longest event-loop stall bare-http 21.3, enforced 32.6 ms, longest GC pause bare-http 14.9, enforced 8.3 ms.');
  });

  it('gives the same requests timed inside the servers when the run read them, with the differences', () => {
    expect(renderReadmeTable(report(), null)).not.toContain('Timed inside the server');
    const withServed = report();
    const x = withServed.fixedRate![0]!;
    x.bare.served = { p50Ms: 0.81, p99Ms: 2.4, roundsP99Ms: [2.4] };
    x.enforced.served = { p50Ms: 1.62, p99Ms: 3.05, roundsP99Ms: [3.05] };
    expect(renderReadmeTable(withServed, null)).toContain('Timed inside the server (medians of the rounds): p50 bare-http 0.81 / enforced 1.62 ms (+0.81), p99 2.40 / 3.05 ms (+0.65).');
  });

  it('does not judge p99 when the bare gateway\'s own p99 is noise', () => {
    const text = renderReadmeTable(report({ bareP99: 120, addedP99: -40 }), null);
    expect(text).toContain('**not judged**');
    expect(text).not.toMatch(/added p99 -40\.00 ms \(target ≤ 3 ms\): \*\*met\*\*/);
  });

  it('does not claim a ratio met against a bare-http whose CPU per request moved between rounds, and keeps a miss a miss', () => {
    const unstable = renderReadmeTable(report({ bareRoundsCpu: [300, 360, 420] }), null);
    expect(unstable).toContain("throughput 0.97 of bare-http (target ≥ 0.95): **not judged**: bare-http's own CPU per request varied from 300 to 420 µs across rounds");
    expect(unstable).toContain('CPU 1.11× (target ≤ 1.15×): **not judged**');
    const missed = renderReadmeTable(report({ bareRoundsCpu: [300, 360, 420], ratio: 0.9, enforcedCpu: 450 }), null);
    expect(missed).toContain("throughput 0.90 of bare-http (target ≥ 0.95): **missed** by 0.05 (bare-http's own CPU per request varied from 300 to 420 µs across rounds)");
    const steady = renderReadmeTable(report({ bareRoundsCpu: [350, 360, 370] }), null);
    expect(steady).toContain('throughput 0.97 of bare-http (target ≥ 0.95): **met**');
  });

  it('judges the memory soak: the ceiling, and whether RSS fell back', () => {
    expect(fallBack({ documents: 100_000, peakRssMiB: 380, startRssMiB: 200, idleRssMiB: 260 })).toContain('fall-back **met**');
    expect(fallBack({ documents: 100_000, peakRssMiB: 380, startRssMiB: 200, idleRssMiB: 330 })).toContain('fall-back **missed**');
    expect(fallBack({ documents: 100_000, peakRssMiB: 380, idleRssMiB: 370 })).toContain('**not measured**');
    expect(fallBack({ documents: 100_000, peakRssMiB: 380, startRssMiB: 200, idleRssMiB: 260 })).toContain('gave back 120 of the 180 MiB the soak added');
    // Below the start: said as all of it and more, not as more than the whole.
    expect(fallBack({ documents: 100_000, peakRssMiB: 360, startRssMiB: 242, idleRssMiB: 202 })).toContain('gave back 158 MiB from its peak, all the 118 MiB the soak added and more');
    const over = renderReadmeTable(report(), { documents: 100_000, peakRssMiB: 420, startRssMiB: 200, idleRssMiB: 250, ceilingMiB: 400 });
    expect(over).toContain('RSS peak 420 MiB (ceiling 400 MiB): **missed** by 20 MiB');
  });

  it('replaces only the marked block, and refuses a README without the markers', () => {
    const readme = `# X\n\nbefore\n${BEGIN}\nold\n${END}\nafter\n`;
    expect(replaceBlock(readme, 'new')).toBe(`# X\n\nbefore\n${BEGIN}\nnew\n${END}\nafter\n`);
    expect(() => replaceBlock('# X\n', 'new')).toThrow('no <!-- bench-table:begin -->');
  });
});
