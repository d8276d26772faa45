import { describe, expect, it } from '@jest/globals';
import { callgrindTotal, callgrindWrapper, compilerInstructions, instructionCount, parseInstructionOptions, renderInstructions, threadCounts } from '../../../bench/instructions.js';

const dump = (total: number) => `version: 1\ncreator: callgrind-3.19.0\ncmd: node\npart: 2\n\nevents: Ir\n\nfn=(1) main\n0 12\n\ntotals: ${total}\n`;

describe('bench/instructions.ts', () => {
  it('runs the warm-up uncounted: instrumentation starts off, one file per thread, in the directory given', () => {
    const w = callgrindWrapper('/tmp/x');
    expect(w.slice(0, 2)).toEqual(['valgrind', '--tool=callgrind']);
    expect(w).toEqual(expect.arrayContaining(['--instr-atstart=no', '--separate-threads=yes', '--callgrind-out-file=/tmp/x/callgrind.out.%p']));
  });

  it('reads the options, and refuses what it does not know rather than count a default', () => {
    expect(parseInstructionOptions([])).toEqual({ workload: 'one', requests: 6000, warmup: 12000, idle: 20, concurrency: 10, variants: ['bare', 'durable'], keep: false, names: false });
    expect(parseInstructionOptions(['three', '--requests=200', '--warmup=50', '--idle=5', '--concurrency=4', '--variants=bare,off', '--keep'])).toEqual({ workload: 'three', requests: 200, warmup: 50, idle: 5, concurrency: 4, variants: ['bare', 'off'], keep: true, names: false });
    // --names keeps the files, since the perf map is only of use beside them.
    expect(parseInstructionOptions(['--names'])).toMatchObject({ names: true, keep: true });
    expect(() => parseInstructionOptions(['--requests=0'])).toThrow(/--requests: a positive whole number/);
    expect(() => parseInstructionOptions(['--warmup=1e3x'])).toThrow(/--warmup/);
    expect(() => parseInstructionOptions(['--variants=bare,enforced'])).toThrow(/--variants: bare, durable or off, not "enforced"/);
    expect(() => parseInstructionOptions(['--request=5'])).toThrow(/unknown argument "--request=5"/);
  });

  it("reads a dump's total, and refuses a file without one", () => {
    expect(callgrindTotal(dump(123_456_789))).toBe(123_456_789);
    expect(callgrindTotal('events: Ir\nsummary: 42\n')).toBe(42);
    expect(() => callgrindTotal('events: Ir\nfn=(1) main\n0 12\n')).toThrow(/without a summary or totals line/);
  });

  it("counts each thread of the process's newest dump, leaving out other processes and the dump at exit", () => {
    const files = [
      { name: 'callgrind.out.700.1-01', text: dump(10) },
      { name: 'callgrind.out.700.1-02', text: dump(20) },
      { name: 'callgrind.out.700.2-01', text: dump(1_000) },
      { name: 'callgrind.out.700.2-03', text: dump(300) },
      { name: 'callgrind.out.700-01', text: dump(99_999) },
      { name: 'callgrind.out.7001.3-01', text: dump(77_777) },
    ];
    expect(threadCounts(files, 700)).toEqual(new Map([[1, 1_000], [3, 300]]));
    expect(() => threadCounts(files, 701)).toThrow(/no callgrind dump of process 701/);
  });

  it("takes the idle rate over the window's length off the window's count, thread by thread", () => {
    // Idle 10 s: 20 M on the main thread, 10 M on another. Window 30 s, 1,000 requests: 3,060 M and 1,530 M.
    const idle = { threads: new Map([[1, 20e6], [2, 10e6]]), seconds: 10 };
    const window = { threads: new Map([[1, 3_060e6], [2, 1_530e6]]), seconds: 30 };
    expect(instructionCount('durable', 998, 1000, idle, window, 250e6)).toEqual({
      variant: 'durable',
      ok: 998,
      perRequest: (4_590e6 - 3e6 * 30) / 1000,
      rawPerRequest: 4_590e3,
      idlePerS: 3e6,
      windowS: 30,
      mainThreadPerRequest: (3_060e6 - 2e6 * 30) / 1000,
      otherThreadsPerRequest: (1_530e6 - 1e6 * 30) / 1000,
      compilerPerRequest: 250e3,
    });
    expect(instructionCount('bare', 1000, 1000, idle, window).compilerPerRequest).toBe(0);
  });

  it("reads the optimising compiler's inclusive count from callgrind_annotate's output, 0 when a thread has none", () => {
    const annotated = [
      '225,830,196 (100.0%)  PROGRAM TOTALS',
      '225,830,196 (100.0%)  ???:node::(anonymous namespace)::PlatformWorkerThread(void*) [/usr/bin/node]',
      '183,603,877 (81.30%)  ???:v8::internal::OptimizingCompileDispatcher::CompileTask::RunInternal() [/usr/bin/node]',
      '183,562,610 (81.28%)  ???:v8::internal::OptimizingCompileDispatcher::CompileNext(v8::internal::TurbofanCompilationJob*, v8::internal::LocalIsolate*) [/usr/bin/node]',
    ].join('\n');
    expect(compilerInstructions(annotated)).toBe(183_603_877);
    expect(compilerInstructions('1,000 (100.0%)  PROGRAM TOTALS\n 900 (90%)  ???:uv_run [/usr/bin/node]')).toBe(0);
  });

  it('gives each variant beside bare-http as a ratio to it', () => {
    const text = renderInstructions('one', [
      { variant: 'bare', ok: 500, perRequest: 4_000_000, rawPerRequest: 4_100_000, idlePerS: 2_000_000, windowS: 25, mainThreadPerRequest: 3_000_000, otherThreadsPerRequest: 1_000_000, compilerPerRequest: 0 },
      { variant: 'durable', ok: 499, perRequest: 5_000_000, rawPerRequest: 6_150_000, idlePerS: 23_000_000, windowS: 25, mainThreadPerRequest: 3_300_000, otherThreadsPerRequest: 1_700_000, compilerPerRequest: 600_000 },
    ]);
    expect(text.split('\n')).toEqual([
      "one / bare-http: 4.00 M instructions per request (main thread 3.00 M, other threads 1.00 M, of which V8's optimising compiler 0.00 M; 4.10 M before the idle rate, 2.00 M/s over 25 s, is taken off; 500 answered)",
      "one / durable: 5.00 M instructions per request (main thread 3.30 M, other threads 1.70 M, of which V8's optimising compiler 0.60 M; 6.15 M before the idle rate, 23.00 M/s over 25 s, is taken off; 499 answered), 1.250× bare-http (main thread 1.100×, without the compiler 1.100×, raw 1.500×)",
    ]);
  });
});
