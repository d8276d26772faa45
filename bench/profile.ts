/**
 * Profiles DSP Gateway under load: a fresh enforced gateway child started with `--cpu-prof`,
 * warmed up, then loaded for a fixed time; the profile (written when the child exits) is
 * summarised over the loaded window only, so startup and shutdown do not count.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forkServer } from './child/children.js';
import type { ChildSpec } from './child/protocol.js';
import { runLoad } from './load.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './profile-summary.js';

export interface ProfileRun {
  file: string;
  rps: number;
  summary: ProfileSummary;
  /** The loaded window, in the profile's clock (µs). */
  window: { from: number; to: number };
}

export async function profileEnforcedGateway(options: {
  spec: ChildSpec;
  outDir: string;
  name: string;
  bodies: string[];
  headers: Record<string, string>;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Sampling interval, µs. Default 500. */
  intervalUs?: number;
}): Promise<ProfileRun> {
  // A directory of its own: Node writes one profile per thread (tsx's loader runs in a worker
  // thread too), named CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
  const dir = join(options.outDir, options.name);
  mkdirSync(dir, { recursive: true });
  const child = await forkServer('enforced (profiled)', options.spec, {
    extraNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${options.intervalUs ?? 500}`],
  });
  let window: { from: number; to: number };
  let rps: number;
  try {
    const url = child.urls.graphql!;
    await runLoad({ url, connections: options.connections, durationS: options.warmupS, bodies: options.bodies, headers: options.headers });
    await child.reset();
    const run = await runLoad({ url, connections: options.connections, durationS: options.durationS, bodies: options.bodies, headers: options.headers });
    const stats = await child.stats();
    window = { from: stats.sinceUs, to: stats.atUs };
    rps = run.ok / run.durationS;
  } finally {
    await child.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.split('.').at(-3) === '0' && f.split('.').at(-4) === String(child.pid));
  if (!file) throw new Error(`no main-thread profile of pid ${child.pid} in ${dir}`);
  const path = join(dir, file);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  return { file: path, rps, window, summary: summariseProfile(profile, { fromUs: window.from, toUs: window.to, top: 25 }) };
}
