/**
 * The variant names bench/ablate.ts accepts, parsed: `kind[-option…][@revision][+NAME=value…]`.
 *
 * - kind: `bare` (bare-http), `durable` or `off` (the enforced gateway with the access log on or off);
 * - options: `-norl` (RATE_LIMITS_ENABLED=false), `-leaseN` (RATE_LIMIT_LEASE=N), `-pageN` (a copy
 *   of the seeded store of its own with N-byte SQLite pages), `-matureN` (a copy of its own whose
 *   access log already holds N records with varied keys, as a mature log does: bench/micro/ingest-mature.ts),
 *   `-nodedefaults` (the process runs with Node's default flags instead of the gateway's
 *   production ones, GATEWAY_NODE_FLAGS: bench/child/children.ts; `bare` takes it too);
 * - `@revision`: that git revision's gateway (bench/revision-tree.ts) instead of this tree's;
 * - `+NAME=value`: any other environment variable (the value may hold '=' and '@', not '+');
 *   `off+BENCH_NULL_LOG_BATCH=1` is the log-off gateway whose writer releases the appends of one
 *   event-loop turn together, as a group commit does (bench/null-access-log-writer.ts).
 *
 * Anything else is an error, so a typo does not quietly measure the default.
 */
export interface AblateVariant {
  /** The name as given, for the report. */
  name: string;
  kind: 'bare' | 'durable' | 'off';
  env: Record<string, string>;
  pageSize: number | null;
  /** Records already in the variant's own store copy (-matureN), or null. */
  mature: number | null;
  revision: string | null;
  /** Run with Node's default flags (-nodedefaults) rather than the gateway's production ones. */
  nodeDefaults: boolean;
  /** The variant's own store copy in /dev/shm (-shm). */
  memoryDisk: boolean;
}

export function parseVariant(spec: string): AblateVariant {
  const [head = '', ...assignments] = spec.split('+');
  const at = head.indexOf('@');
  const [kind, ...options] = (at < 0 ? head : head.slice(0, at)).split('-');
  const revision = at < 0 ? null : head.slice(at + 1);
  if (kind !== 'bare' && kind !== 'durable' && kind !== 'off') throw new Error(`variant ${JSON.stringify(spec)}: starts with bare, durable or off`);
  if (revision === '') throw new Error(`variant ${JSON.stringify(spec)}: '@' without a revision`);
  const env: Record<string, string> = {};
  let pageSize: number | null = null;
  let mature: number | null = null;
  let nodeDefaults = false;
  let memoryDisk = false;
  for (const option of options) {
    let m: RegExpExecArray | null;
    if (option === 'nodedefaults') nodeDefaults = true;
    else if (option === 'shm') memoryDisk = true;
    else if (option === 'norl') env.RATE_LIMITS_ENABLED = 'false';
    else if ((m = /^lease(\d+)$/.exec(option))) env.RATE_LIMIT_LEASE = m[1]!;
    else if ((m = /^page(\d+)$/.exec(option))) pageSize = Number(m[1]);
    else if ((m = /^mature(\d+)$/.exec(option))) mature = Number(m[1]);
    else throw new Error(`variant ${JSON.stringify(spec)}: unknown option -${option} (norl, leaseN, pageN, matureN, shm, nodedefaults)`);
  }
  if (kind === 'bare' && (options.some((o) => o !== 'nodedefaults') || assignments.length > 0)) throw new Error(`variant ${JSON.stringify(spec)}: bare takes a revision and -nodedefaults only`);
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const name = eq < 0 ? assignment : assignment.slice(0, eq);
    if (eq < 0 || !/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`variant ${JSON.stringify(spec)}: +${assignment} is not NAME=value`);
    env[name] = assignment.slice(eq + 1);
  }
  return { name: spec, kind, env, pageSize, mature, revision, nodeDefaults, memoryDisk };
}
