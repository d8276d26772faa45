/**
 * The system started the way people start it (issue 17), not through the test helpers:
 * - `npm start` with NODE_ENV unset (Apollo's own signal handler is active outside NODE_ENV=test):
 *   20 requests in flight, SIGTERM to the npm process, every request answered, exit 0, the final
 *   checkpoint and the ledger's SHUTDOWN entry written, no process left behind;
 * - the compiled build (`npm run build`, then `node dist/…`) serving real traffic.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { createStore } from '../../store/index.js';
import { freshDirs } from '../helpers/temp-dirs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUERY = JSON.stringify({ query: '{ client(clientId: "C-000001") { id name } }' });

interface Started {
  child: ChildProcess;
  url: string;
  /** pid of every process that logged (node itself, whatever npm or a shell put around it). */
  pids: Set<number>;
  lines: string[];
  exited: Promise<number | null>;
  waitFor(test: (line: string) => boolean, what: string): Promise<string>;
}

/** The environment a user's shell would give: no NODE_ENV, no jest flags. */
function userEnv(dataDir: string): NodeJS.ProcessEnv {
  const { NODE_ENV: _nodeEnv, NODE_OPTIONS: _nodeOptions, JEST_WORKER_ID: _worker, ...env } = process.env;
  return { ...env, DATA_DIR: dataDir, PORT: '0', SUBGRAPH_PORT_BASE: '0', LOG_LEVEL: 'info', npm_config_update_notifier: 'false' };
}

async function start(command: string, args: string[], dataDir: string): Promise<Started> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: userEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const pids = new Set<number>();
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      const pid = /"pid":(\d+)/.exec(line)?.[1];
      if (pid) pids.add(Number(pid));
      for (const w of waiters.splice(0)) (w.test(line) ? w.resolve(line) : waiters.push(w));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (test: (line: string) => boolean, what: string) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(test);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no ${what} within 60 s:\n${lines.slice(-40).join('\n')}`)), 60_000);
      waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then((code) => reject(new Error(`exited (${code}) before ${what}:\n${lines.slice(-40).join('\n')}`)));
    });
  const banner = await waitFor((l) => /^\s+gateway\s+http:\/\//.test(l), 'gateway URL in the banner');
  return { child, url: banner.trim().split(/\s+/)[1]!, pids, lines, exited, waitFor };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function tokenFor(dataDir: string): Promise<string> {
  return signDevToken((await ensureKeys(dataDir)).issuer, { product: 'PRD-CERTIFIED' }, loadConfig({ DATA_DIR: dataDir }));
}

/** A POST whose headers (and half its body) are sent: in flight until `finish()`. */
function halfSent(url: string, token: string): { req: ClientRequest; finish(): void; answer: Promise<{ status: number; body: string }> } {
  const body = Buffer.from(QUERY);
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, 10));
  return { req, finish: () => req.end(body.subarray(10)), answer };
}

describe('the system as a user starts it', () => {
  const fresh = freshDirs('dsp-process-');

  it('npm start, NODE_ENV unset: SIGTERM with 20 requests in flight answers them all, writes the final checkpoint and exits 0 with nothing left running', async () => {
    const dataDir = fresh();
    const system = await start('npm', ['start'], dataDir);
    const token = await tokenFor(dataDir);
    // Warm up (one request fully served), then 20 whose bodies are still arriving.
    const first = halfSent(system.url, token);
    first.finish();
    expect((await first.answer).status).toBe(200);
    const inFlight = Array.from({ length: 20 }, () => halfSent(system.url, token));
    await new Promise((r) => setTimeout(r, 200)); // headers reach the server (not a clock: a socket round trip)

    system.child.kill('SIGTERM'); // to npm, as a terminal or an orchestrator would
    await system.waitFor((l) => l.includes('draining in-flight requests'), 'drain log line');
    for (const r of inFlight) r.finish();
    const answers = await Promise.all(inFlight.map((r) => r.answer));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.every((a) => (JSON.parse(a.body) as { data?: { client?: { id: string } } }).data?.client?.id === 'C-000001')).toBe(true);

    expect(await system.exited).toBe(0);
    expect([...system.pids].filter(alive)).toEqual([]);

    const store = await createStore(`sqlite:${join(dataDir, 'dsp.db')}`);
    try {
      const [head] = await store.listChains();
      const records = await store.readChain(head!.chainId, 1, 1_000);
      expect(records).toHaveLength(21);
      const checkpoints = await store.checkpointsOf(head!.chainId);
      expect(checkpoints.find((c) => c.final)).toMatchObject({ seq: 21 });
      const close = (await store.readLedger()).find((e) => e.kind === 'CLOSE' && e.chainId === head!.chainId);
      expect(close?.ending).toMatchObject({ how: 'SHUTDOWN', lastSeq: 21, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('the compiled build serves the same traffic (npm run build, then node dist/scripts/start.js)', async () => {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, env: userEnv(fresh()), stdio: 'ignore' });
    const dataDir = fresh();
    const system = await start(process.execPath, ['dist/scripts/start.js'], dataDir);
    try {
      const token = await tokenFor(dataDir);
      const ok = halfSent(system.url, token);
      ok.finish();
      const answer = await ok.answer;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ data: { client: { id: 'C-000001' } } });
      const anonymous = await fetch(system.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: QUERY });
      expect(anonymous.status).toBe(401);
      // Ran from dist/ (no TypeScript loader in the process).
      expect(system.lines.some((l) => l.includes('tsx'))).toBe(false);
    } finally {
      system.child.kill('SIGTERM');
      expect(await system.exited).toBe(0);
    }
  }, 180_000);
});
