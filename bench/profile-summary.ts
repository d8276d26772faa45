/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function
 * (top N) and per category — our code by folder, @apollo/gateway planning and execution,
 * graphql-js, jose, better-sqlite3, node internals (http/net, undici), GC — plus inclusive time
 * per category (the share of samples with that category anywhere on the stack).
 * Usable alone: `npx tsx bench/profile-summary.ts <file.cpuprofile> [fromUs toUs]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  selfMs: number;
  /** Share of non-idle time, 0–1. */
  share: number;
}
export interface FunctionRow extends Row {
  location: string;
  category: string;
}
export interface ProfileSummary {
  /** Sampled time in the window, ms (idle included). */
  windowMs: number;
  busyMs: number;
  idleMs: number;
  samples: number;
  categories: Row[];
  /** Inclusive time per category; shares may add to more than 1. */
  inclusive: Row[];
  functions: FunctionRow[];
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPO_URL = pathToFileURL(REPO_ROOT).href;

const APOLLO_GATEWAY = new Set(['@apollo/gateway', '@apollo/query-planner', '@apollo/federation-internals', '@apollo/query-graphs']);
const SQLITE_NATIVE = new Set(['run', 'get', 'all', 'iterate', 'exec', 'prepare', 'pragma', 'bind']);

function packageOf(url: string): string | null {
  const i = url.lastIndexOf('/node_modules/');
  if (i < 0) return null;
  const rest = url.slice(i + '/node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

/** Category of a frame with a URL (null: a native frame, categorised by its caller). */
function categoryOfUrl(url: string): string | null {
  if (!url) return null;
  const pkg = packageOf(url);
  if (pkg) {
    if (APOLLO_GATEWAY.has(pkg)) return '@apollo/gateway (planning, execution)';
    if (pkg === '@apollo/server' || pkg.startsWith('@apollo/utils')) return '@apollo/server';
    if (pkg === 'graphql') return 'graphql-js';
    if (pkg === 'tsx' || pkg === 'esbuild' || pkg === 'get-tsconfig') return 'tsx loader';
    return pkg;
  }
  if (url.startsWith('node:internal/deps/undici') || url.startsWith('node:internal/webstreams')) return 'node: undici fetch to subgraphs (incl. web streams)';
  if (url.startsWith('node:internal/abort_controller') || url.startsWith('node:internal/worker/js_transferable')) return 'node: AbortSignal';
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'node: crypto (hash, HMAC)';
  if (url.startsWith('node:internal/process/task_queues') || url.startsWith('node:internal/process/promises')) return 'node: promises, microtasks';
  if (/^node:(_http|http|net|internal\/http|internal\/stream_base|_stream|internal\/streams|stream)/.test(url)) return 'node: http, net, streams';
  if (url.startsWith('node:')) return 'node: other internals';
  if (url.startsWith(REPO_URL)) {
    const parts = url.slice(REPO_URL.length).split('/');
    const folder = parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return `ours: ${folder.replace(/\.(ts|js)$/, '')}`;
  }
  return 'other';
}

function location(frame: CallFrame): string {
  const url = frame.url;
  const line = frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : '';
  if (!url) return '(native)';
  if (url.startsWith(REPO_URL)) return url.slice(REPO_URL.length) + line;
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + '/node_modules/'.length) + line;
  return url + line;
}

export function summariseProfile(profile: CpuProfile, options: { fromUs?: number; toUs?: number; top?: number } = {}): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }

  // Category per node: special V8 frames by name, frames with a URL by the URL, native frames
  // (empty URL: builtins, C++ bindings) by their nearest caller with one — except better-sqlite3's
  // statement methods, which are its native code whoever calls them.
  const category = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = category.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const name = n.callFrame.functionName;
    let c: string;
    if (name === '(garbage collector)') c = 'GC';
    else if (name === '(idle)') c = 'idle';
    else if (name === '(program)') c = 'V8: (program)';
    else if (name === '(root)') c = 'V8: (root)';
    else {
      const fromUrl = categoryOfUrl(n.callFrame.url);
      if (fromUrl) c = fromUrl;
      else {
        const p = parent.get(id);
        const callerCat = p === undefined ? 'other' : categoryOf(p);
        const callerUrl = p === undefined ? '' : byId.get(p)!.callFrame.url;
        if (SQLITE_NATIVE.has(name) && (callerUrl.includes('/store/sqlite/') || callerUrl.includes('RateLimiterSQLite') || callerUrl.includes('better-sqlite3'))) c = 'better-sqlite3';
        else c = callerCat;
      }
    }
    category.set(id, c);
    return c;
  };

  const self = new Map<number, number>();
  const catSelf = new Map<string, number>();
  const catIncl = new Map<string, number>();
  let t = profile.startTime;
  let idle = 0;
  let total = 0;
  let counted = 0;
  const from = options.fromUs ?? Number.NEGATIVE_INFINITY;
  const to = options.toUs ?? Number.POSITIVE_INFINITY;
  const meanDelta = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    // The time until the next sample is the time this stack was (probably) running.
    const dt = (profile.timeDeltas[i + 1] ?? meanDelta) / 1000;
    const id = profile.samples[i]!;
    counted += 1;
    total += dt;
    const c = categoryOf(id);
    if (c === 'idle') {
      idle += dt;
      continue;
    }
    self.set(id, (self.get(id) ?? 0) + dt);
    catSelf.set(c, (catSelf.get(c) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const cc = categoryOf(at);
      if (seen.has(cc) || cc.startsWith('V8:')) continue;
      seen.add(cc);
      catIncl.set(cc, (catIncl.get(cc) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>): Row[] => [...m].map(([name, ms]) => ({ name, selfMs: ms, share: busy ? ms / busy : 0 })).sort((a, b) => b.selfMs - a.selfMs);

  // Functions: merge nodes of the same function (same name and position) across call paths.
  const fn = new Map<string, FunctionRow>();
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    const row = fn.get(key) ?? { name: f.functionName || '(anonymous)', location: location(f), category: categoryOf(id), selfMs: 0, share: 0 };
    row.selfMs += ms;
    row.share = busy ? row.selfMs / busy : 0;
    fn.set(key, row);
  }
  return {
    windowMs: total,
    busyMs: busy,
    idleMs: idle,
    samples: counted,
    categories: rows(catSelf),
    inclusive: rows(catIncl),
    functions: [...fn.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, options.top ?? 25),
  };
}

/**
 * Inclusive rows worth reading: our folders and libraries with at least 1%. Node internals are
 * left out, since the event loop's own frames are at the bottom of nearly every stack.
 */
export function inclusiveRows(s: ProfileSummary): Row[] {
  return s.inclusive.filter((r) => r.share >= 0.01 && !r.name.startsWith('node:') && r.name !== 'GC');
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `window ${(s.windowMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${pct(s.busyMs / Math.max(1, s.windowMs))}), ${s.samples} samples`,
    '',
    'self time by category (share of busy time):',
    ...s.categories.map((r) => `  ${pct(r.share).padStart(6)}  ${r.name}`),
    '',
    'inclusive time by category (on the stack):',
    ...inclusiveRows(s).map((r) => `  ${pct(r.share).padStart(6)}  ${r.name}`),
    '',
    `top ${s.functions.length} functions by self time:`,
    ...s.functions.map((r) => `  ${pct(r.share).padStart(6)}  ${r.name.slice(0, 40).padEnd(40)} ${r.category.padEnd(38)} ${r.location}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, from, to] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [fromUs toUs]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSummary(summariseProfile(profile, { ...(from ? { fromUs: Number(from) } : {}), ...(to ? { toUs: Number(to) } : {}) })));
}
