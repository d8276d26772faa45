import { describe, expect, it } from '@jest/globals';
import { addressNamer, attributed, callGraph, compareRows, grouped, isJavaScript, namedGraph, readPerfMap, sourceOf } from '../../../bench/callgrind-names.js';

// A compressed dump as callgrind writes it: names defined once with an id, calls followed by their inclusive cost.
const dump = [
  'version: 1',
  'positions: line',
  'events: Ir',
  'ob=(1) /usr/bin/node',
  'fl=(1) ???',
  'fn=(1) main',
  '0 100',
  'cob=(2) ???',
  'cfi=(1)',
  'cfn=(2) 0x0000000000001010',
  'calls=3 0',
  '0 5000',
  '+2 20',
  'ob=(2)',
  'fn=(2)',
  '0 700',
  'cfn=(3) Builtins_LoadIC',
  'calls=1 0',
  '0 4000',
  'fn=(4) 0x0000000000002000',
  '0 300',
  '* 1',
  'ob=(1)',
  'fn=(3)',
  '0 4000',
  '',
  'totals: 5121',
].join('\n');

const map = ['1000 100 JS:*handle file:///work/main/gateway/pipeline.ts:12:3', '2000 10 JS:~parse /app/node_modules/graphql/language/parser.js:40:1', '2000 80 JS:*parse /app/node_modules/graphql/language/parser.js:40:1', 'zz not a line'].join('\n');

describe('bench/callgrind-names.ts', () => {
  it("counts each function's own instructions, not its calls' inclusive costs, and reads compressed names", () => {
    const { self: counts, calls } = callGraph(dump);
    expect(counts).toEqual(
      new Map([
        ['main', 120],
        ['0x0000000000001010', 700],
        ['0x0000000000002000', 301],
        ['Builtins_LoadIC', 4000],
      ]),
    );
    // Every instruction once: the exclusive counts add up to the dump's total.
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(5121);
    // The calls' inclusive counts, kept per edge.
    expect(calls).toEqual(
      new Map([
        ['main', new Map([['0x0000000000001010', 5000]])],
        ['0x0000000000001010', new Map([['Builtins_LoadIC', 4000]])],
      ]),
    );
  });

  it('takes the first event after two position columns', () => {
    expect(callGraph('positions: instr line\nevents: Ir Dr\nfn=f\n0x10 3 7 9\n').self).toEqual(new Map([['f', 7]]));
  });

  it('names an address by the newest perf-map range that holds it (V8 reuses freed code space)', () => {
    const entries = readPerfMap(map);
    expect(entries.map((e) => [e.start, e.end])).toEqual([
      [0x1000, 0x1100],
      [0x2000, 0x2010],
      [0x2000, 0x2080],
    ]);
    const nameAt = addressNamer(entries);
    expect(nameAt(0x10ff)).toMatch(/handle/);
    expect(nameAt(0x1100)).toBeNull();
    expect(nameAt(0x0fff)).toBeNull();
    expect(nameAt(0x2005)).toBe('JS:*parse /app/node_modules/graphql/language/parser.js:40:1');
    // An older, larger range overlapped by a newer one: the newer one names what is in both.
    const reused = addressNamer(readPerfMap('3000 100 JS:*old /x.js:1:1\n3040 20 JS:*new /y.js:1:1'));
    expect([reused(0x3050), reused(0x3070), reused(0x3010)]).toEqual(['JS:*new /y.js:1:1', 'JS:*old /x.js:1:1', 'JS:*old /x.js:1:1']);
    // A graph renamed: the blocks of one function become one, an address in no range is 'unnamed JIT code', a name stays.
    const graph = {
      self: new Map([['0x0000000000001010', 700], ['0x0000000000001020', 5], ['0x0000000000002000', 301], ['0x0000000000009000', 9], ['main', 120]]),
      calls: new Map([['main', new Map([['0x0000000000001010', 705], ['0x0000000000001020', 5]])]]),
    };
    expect(namedGraph(graph, entries)).toEqual({
      self: new Map([
        ['JS:*handle file:///work/main/gateway/pipeline.ts:12:3', 705],
        ['JS:*parse /app/node_modules/graphql/language/parser.js:40:1', 301],
        ['unnamed JIT code', 9],
        ['main', 120],
      ]),
      calls: new Map([['main', new Map([['JS:*handle file:///work/main/gateway/pipeline.ts:12:3', 710]])]]),
    });
  });

  it('charges a JavaScript function with the native work it calls, down to the next JavaScript function', () => {
    // js:a (10 own) calls Builtins_X (5 own), which calls js:b (20 own) and native y (3 own).
    const graph = {
      self: new Map([['JS:*a /p/a.js:1:1', 10], ['Builtins_X', 5], ['JS:*b /p/b.js:1:1', 20], ['y', 3], ['main', 7]]),
      calls: new Map([
        ['main', new Map([['JS:*a /p/a.js:1:1', 38]])],
        ['JS:*a /p/a.js:1:1', new Map([['Builtins_X', 28]])],
        ['Builtins_X', new Map([['JS:*b /p/b.js:1:1', 20], ['y', 3]])],
      ]),
    };
    expect(attributed(graph)).toEqual(
      new Map([
        ['JS:*a /p/a.js:1:1', 10 + 8], // its own, and X's 5 and y's 3, not b's 20
        ['JS:*b /p/b.js:1:1', 20],
        ['(not under JavaScript)', 7],
      ]),
    );
    expect(isJavaScript('JS:^x node:events:1:1')).toBe(true);
    expect(isJavaScript('Builtins_LoadIC')).toBe(false);
  });

  it('groups names by their source: a package, a project file, Node, V8 or native', () => {
    expect(sourceOf('JS:*handle file:///work/main/gateway/pipeline.ts:12:3')).toBe('gateway/pipeline.ts');
    expect(sourceOf('JS:~parse /app/node_modules/graphql/language/parser.js:40:1')).toBe('graphql');
    expect(sourceOf('JS:*fetch /app/node_modules/@apollo/gateway/dist/index.js:1:2')).toBe('@apollo/gateway');
    expect(sourceOf('JS:^emit node:events:487:28')).toBe('node:events');
    expect(sourceOf('JS:*writeHead node:_http_server:300:1')).toBe('node:_http_server');
    expect(sourceOf('Builtins_LoadIC')).toBe('V8 builtins');
    expect(sourceOf('v8::internal::Heap::Scavenge()')).toBe('native');
    const byFile = grouped(new Map([['JS:*a /x/node_modules/graphql/a.js:1:1', 2], ['JS:*b /x/node_modules/graphql/b.js:1:1', 3], ['Builtins_X', 1]]), sourceOf);
    expect(byFile).toEqual(new Map([['graphql', 5], ['V8 builtins', 1]]));
  });

  it('sets two counts side by side per request, the largest difference first', () => {
    const rows = compareRows(new Map([['x', 1000], ['y', 5000]]), new Map([['x', 6000], ['z', 2000]]), 10, 20, 2);
    expect(rows).toEqual([`${'500'.padStart(10)} ${'0'.padStart(10)} ${'-500'.padStart(10)}  y`, `${'100'.padStart(10)} ${'300'.padStart(10)} ${'200'.padStart(10)}  x`]);
  });
});
