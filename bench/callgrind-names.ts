/**
 * Where a gateway's instructions go, by JavaScript function and by source file: a callgrind dump's
 * exclusive counts, the JIT code's named from V8's perf map.
 *
 * Callgrind knows the node binary's symbols (its C++ and V8's embedded builtins) but not the code V8
 * compiles at run time: a basic block there is a "function" named by its own address
 * (`fn=0x…`). Run with --perf-basic-prof, V8 writes each code object it creates to
 * /tmp/perf-<pid>.map (`start size name`, hexadecimal; the flag also stops V8 moving code), so every
 * such address falls in a named range: `JS:*handle /work/main/gateway/pipeline.ts:12:3` and the
 * like (`*` optimised, `~` interpreted or baseline), or a V8 stub. Exclusive counts only: a
 * `calls=` line's next line is the callee's inclusive cost and is not added to the caller. What
 * TurboFan inlined is counted in the function it was inlined into.
 *
 *   npx tsx bench/callgrind-names.ts <callgrind.out…> <perf-<pid>.map> [--requests=N] [--top=40]
 *   npx tsx bench/callgrind-names.ts --compare <a.out> <a.map> <b.out> <b.map> [--requests=N,M] [--top=40]
 *
 * (`npm run bench:instructions -- --names` keeps both files, one directory per variant.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A dump's exclusive counts per function, and each call edge's inclusive count (caller → callee → count). */
export interface CallGraph {
  self: Map<string, number>;
  calls: Map<string, Map<string, number>>;
}

/** Reads a callgrind dump: exclusive counts per function name and the calls' inclusive counts. */
export function callGraph(text: string): CallGraph {
  const names = new Map<string, string>();
  /** `fn=(12) name` defines id 12; `fn=(12)` reuses it; without compression the name stands alone. */
  const nameOf = (value: string) => {
    const m = /^\((\d+)\)(?:\s(.*))?$/.exec(value);
    if (!m) return value;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? `(${m[1]})`;
  };
  let positions = 1;
  const self = new Map<string, number>();
  const calls = new Map<string, Map<string, number>>();
  let fn = '';
  let callee = '';
  let callCost = false;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const c = line.charCodeAt(0);
    const isCost = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42; // digit + - *
    if (isCost) {
      // The first event (Ir) after the position columns; a line may leave out trailing zero events.
      const cost = Number(line.split(' ')[positions] ?? 0);
      if (callCost) {
        callCost = false;
        let out = calls.get(fn);
        if (!out) calls.set(fn, (out = new Map()));
        out.set(callee, (out.get(callee) ?? 0) + cost);
      } else self.set(fn, (self.get(fn) ?? 0) + cost);
      continue;
    }
    callCost = false;
    if (line.startsWith('positions:')) positions = line.slice(10).trim().split(/\s+/).length;
    else if (line.startsWith('fn=')) fn = nameOf(line.slice(3));
    else if (line.startsWith('cfn=')) callee = nameOf(line.slice(4));
    else if (line.startsWith('calls=')) callCost = true;
  }
  return { self, calls };
}

export interface PerfMapEntry {
  start: number;
  end: number;
  name: string;
}

/** V8's perf map (`start size name`, hex), in the order V8 wrote it. */
export function readPerfMap(text: string): PerfMapEntry[] {
  const entries: PerfMapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/i.exec(line);
    if (!m) continue;
    const start = parseInt(m[1]!, 16);
    entries.push({ start, end: start + parseInt(m[2]!, 16), name: m[3]! });
  }
  return entries;
}

/**
 * A lookup of addresses in the map. V8 reuses the space of code it has freed, so ranges overlap:
 * an address belongs to the newest entry (the last written) that holds it, the code that was
 * there when it ran, provided nothing was compiled there between the counted window and the map's
 * end (the process stops soon after).
 */
export function addressNamer(map: readonly PerfMapEntry[]): (address: number) => string | null {
  const cache = new Map<number, string | null>();
  const newestFirst = [...map].reverse();
  return (address) => {
    let name = cache.get(address);
    if (name !== undefined) return name;
    name = null;
    for (const e of newestFirst) {
      if (address >= e.start && address < e.end) {
        name = e.name;
        break;
      }
    }
    cache.set(address, name);
    return name;
  };
}

/** The graph with each address renamed by the perf map: the blocks of one JavaScript function become one function. */
export function namedGraph(graph: CallGraph, map: readonly PerfMapEntry[]): CallGraph {
  const cache = new Map<string, string>();
  const nameAt = addressNamer(map);
  const name = (fn: string) => {
    let n = cache.get(fn);
    if (n === undefined) {
      const m = /^0x([0-9a-f]+)/i.exec(fn);
      n = m ? (nameAt(parseInt(m[1]!, 16)) ?? 'unnamed JIT code') : fn;
      cache.set(fn, n);
    }
    return n;
  };
  const self = new Map<string, number>();
  for (const [fn, n] of graph.self) self.set(name(fn), (self.get(name(fn)) ?? 0) + n);
  const calls = new Map<string, Map<string, number>>();
  for (const [caller, out] of graph.calls) {
    let to = calls.get(name(caller));
    if (!to) calls.set(name(caller), (to = new Map()));
    for (const [callee, n] of out) to.set(name(callee), (to.get(name(callee)) ?? 0) + n);
  }
  return { self, calls };
}

/** A JavaScript function V8 compiled (interpreted, baseline or optimised), as the perf map names it. */
export const isJavaScript = (name: string) => /^(?:JS|LazyCompile|Function):/.test(name);

/**
 * Each JavaScript function's own count plus the native work it calls (V8's builtins and runtime,
 * Node's C++, a collection its allocation starts) down to the next JavaScript function: what that
 * function costs. Callgrind keeps a call's inclusive count per edge, not per call path, so the
 * native part of a callee that also calls JavaScript is estimated as the share of its inclusive
 * count that is not JavaScript below it, the same for every caller. What no JavaScript function
 * calls (the event loop, the compiler, idle GC) stays under its own name. The counts add up to
 * the dump's total, up to that estimate.
 */
export function attributed(graph: CallGraph): Map<string, number> {
  const fns = new Set([...graph.self.keys(), ...graph.calls.keys()]);
  const inclusive = new Map<string, number>();
  for (const fn of fns) inclusive.set(fn, (graph.self.get(fn) ?? 0) + [...(graph.calls.get(fn)?.values() ?? [])].reduce((a, b) => a + b, 0));
  // The share of a native function's inclusive count that is native all the way down.
  const share = new Map<string, number>();
  const nativeBelow = (fn: string) => {
    let n = 0;
    for (const [callee, c] of graph.calls.get(fn) ?? []) if (!isJavaScript(callee) && callee !== fn) n += c * (share.get(callee) ?? 1);
    return n;
  };
  for (let round = 0; round < 30; round++) {
    for (const fn of fns) {
      if (isJavaScript(fn)) continue;
      const all = inclusive.get(fn) ?? 0;
      share.set(fn, all > 0 ? Math.min(1, ((graph.self.get(fn) ?? 0) + nativeBelow(fn)) / all) : 1);
    }
  }
  const out = new Map<string, number>();
  let js = 0;
  for (const fn of fns) {
    if (!isJavaScript(fn)) continue;
    const n = (graph.self.get(fn) ?? 0) + nativeBelow(fn);
    out.set(fn, n);
    js += n;
  }
  const total = [...graph.self.values()].reduce((a, b) => a + b, 0);
  out.set('(not under JavaScript)', total - js);
  return out;
}

/**
 * The source a name belongs to: a package under node_modules (`graphql`, `@apollo/gateway`), a
 * project file (`gateway/pipeline.ts`), `node:internal/…` for Node's own JavaScript, V8 builtins
 * and stubs, or the native code callgrind named (`native`).
 */
export function sourceOf(name: string): string {
  const m = /^(?:JS|LazyCompile|Function):[*~^+]?\S*\s+(\S+?)(?::\d+(?::\d+)?)?$/.exec(name);
  if (m) return sourceOfFile(m[1]!);
  if (/^(Builtin|BytecodeHandler|Builtins_|Stub|RegExp|Handler)/.test(name)) return 'V8 builtins';
  if (name === 'unnamed JIT code' || name.startsWith('(')) return name;
  return 'native';
}

/** The source a script's path or URL belongs to: a package, `node:…`, or the project file (see sourceOf). */
export function sourceOfFile(path: string): string {
  const file = path.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  if (file.startsWith('node:')) return file.split('/').slice(0, 2).join('/');
  const project = /\/(audit|authorisation|core|gateway|limits|monitoring|registry|store|subgraphs|bench|schema)\/(.*)$/.exec(file);
  if (project) return `${project[1]}/${project[2]}`;
  return file;
}

/** Sums counts by `key`. */
export function grouped(counts: ReadonlyMap<string, number>, key: (name: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, n] of counts) out.set(key(name), (out.get(key(name)) ?? 0) + n);
  return out;
}

/** Rows of `a` and `b` (per request) side by side, largest difference first. */
export function compareRows(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, perA: number, perB: number, top: number): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const rows = [...keys].map((k) => ({ k, a: (a.get(k) ?? 0) / perA, b: (b.get(k) ?? 0) / perB }));
  rows.sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a));
  const f = (n: number) => Math.round(n).toLocaleString('en-AU').padStart(10);
  return rows.slice(0, top).map((r) => `${f(r.a)} ${f(r.b)} ${f(r.b - r.a)}  ${r.k}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const files = args.filter((a) => !a.startsWith('--'));
  const top = Number(opt('top') ?? 40);
  const load = (out: string, map: string) => namedGraph(callGraph(readFileSync(out, 'utf8')), readPerfMap(readFileSync(map, 'utf8')));
  const [ra, rb] = (opt('requests') ?? '1').split(',').map(Number);
  const header = (what: string) => `${'a'.padStart(10)} ${'b'.padStart(10)} ${'b − a'.padStart(10)}  ${what}`;
  if (args.includes('--compare')) {
    if (files.length !== 4) throw new Error('--compare takes <a.out> <a.map> <b.out> <b.map>');
    const a = load(files[0]!, files[1]!);
    const b = load(files[2]!, files[3]!);
    const perA = ra ?? 1;
    const perB = rb ?? perA;
    const [aa, ab] = [attributed(a), attributed(b)];
    console.log(header('by source, each JavaScript function with the native work it calls'));
    for (const row of compareRows(grouped(aa, sourceOf), grouped(ab, sourceOf), perA, perB, top)) console.log(row);
    console.log(`\n${header('by JavaScript function, with the native work it calls')}`);
    for (const row of compareRows(aa, ab, perA, perB, top)) console.log(row);
    console.log(`\n${header('by function, its own instructions only')}`);
    for (const row of compareRows(a.self, b.self, perA, perB, top)) console.log(row);
    return;
  }
  if (files.length !== 2) throw new Error('takes <callgrind.out…> <perf-<pid>.map>');
  const graph = load(files[0]!, files[1]!);
  const per = ra ?? 1;
  const f = (n: number) => Math.round(n / per).toLocaleString('en-AU').padStart(12);
  const list = (counts: ReadonlyMap<string, number>) => [...counts].sort((x, y) => y[1] - x[1]).slice(0, top).map(([k, n]) => `${f(n)}  ${k}`);
  const total = [...graph.self.values()].reduce((x, y) => x + y, 0);
  const mine = attributed(graph);
  console.log(`${f(total)}  total\n\nby source, each JavaScript function with the native work it calls:\n${list(grouped(mine, sourceOf)).join('\n')}`);
  console.log(`\nby JavaScript function, with the native work it calls:\n${list(mine).join('\n')}`);
  console.log(`\nby function, its own instructions only:\n${list(graph.self).join('\n')}`);
}

if (fileURLToPath(import.meta.url) === process.argv[1]) main();
