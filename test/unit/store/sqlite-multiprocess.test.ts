/**
 * Several processes on one machine share one SQLite file: two Store instances see each other's
 * register changes and rate-limit counts, and separate OS processes starting together on a new
 * file neither trip over the migrations nor draw the same registry revision.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { note, sampleDeveloper, sampleProduct } from '../../contract/samples.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'dsp-sqlite-mp-'));
const opened: Store[] = [];

async function open(file: string): Promise<Store> {
  const store = await createStore(`sqlite:${file}`);
  opened.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('two stores on one SQLite file', () => {
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    const file = join(dir, 'shared.db');
    a = await open(file);
    b = await open(file);
  });

  it('each sees the register changes the other makes', async () => {
    await a.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-A'), note: note() });
    const product = sampleProduct('PRD-A', 'DEV-A');
    const { revision } = await b.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: null, next: product, note: note() });
    expect(revision).toBe(2);
    expect(await a.currentRevision()).toBe(2);
    expect(await a.productById('PRD-A')).toEqual({ ...product, revision: 2 });
    expect((await b.changesSince(0)).developers.map((d) => d.id)).toEqual(['DEV-A']);
    // Optimistic concurrency holds across connections: a's stale write is refused.
    await expect(a.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: 1, next: product, note: note() })).rejects.toMatchObject({ name: 'StoreConflictError', actualRevision: 2 });
  });

  it('shares rate-limit counts', async () => {
    const limitA = a.createRateLimiter({ keyPrefix: 'mp', points: 3, duration: 60 });
    const limitB = b.createRateLimiter({ keyPrefix: 'mp', points: 3, duration: 60 });
    await limitA.consume('org-1');
    await limitB.consume('org-1');
    await limitA.consume('org-1');
    await expect(limitB.consume('org-1')).rejects.toBeInstanceOf(RateLimiterRes);
  });
});

interface WorkerResult {
  revisions: number[];
}

function runWorker(file: string, barrier: string, name: string, changes: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/sqlite-race-worker.ts'), file, barrier, name, String(changes)], { cwd: repoRoot, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WorkerResult) : reject(new Error(`worker ${name} exited ${code}: ${err}`))));
  });
}

describe('separate processes starting together on a new file', () => {
  it('migrate once and never share a revision', async () => {
    const workers = 3;
    const changes = 15;
    const file = join(dir, 'race.db');
    const barrier = mkdtempSync(join(dir, 'barrier-'));
    const results = Array.from({ length: workers }, (_, i) => runWorker(file, barrier, `W${i}`, changes));
    // Release them together once all have loaded, so their migrations and writes really overlap.
    for (let waited = 0; readdirSync(barrier).length < workers && waited < 30_000; waited += 10) await sleep(10);
    writeFileSync(join(barrier, 'go'), '');
    const all = (await Promise.all(results)).flatMap((r) => r.revisions);

    expect(new Set(all).size).toBe(workers * changes);
    expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: workers * changes }, (_, i) => i + 1));
    const store = await open(file);
    expect(await store.currentRevision()).toBe(workers * changes);
    expect(await store.listDevelopers()).toHaveLength(workers * changes);
    const counted = await store.createRateLimiter({ keyPrefix: 'race', points: 100_000, duration: 600 }).get('shared');
    expect(counted?.consumedPoints).toBe(workers * changes);
  });
});
