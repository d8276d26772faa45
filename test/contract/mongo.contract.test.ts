/**
 * What only the MongoDB adapter has to get right, against a real server (test/contract/adapters.ts
 * decides whether one is reachable; without one every case here is reported as skipped, with the
 * reason): a changed retention applied through collMod, refusal to start on a standalone mongod,
 * and several processes initialising one new database at the same moment.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createStore } from '../../store/index.js';
import { dbNameOf, uriForDatabase } from '../../store/mongo/connection.js';
import { ACCESS_RECORDS_COLLECTION } from '../../store/mongo/models/index.js';
import type { Store } from '../../store/port.js';
import { MONGO_SKIP_MESSAGE, mongoTarget, type MongoTarget } from './adapters.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../..');
const DAY_S = 86_400;

const opened: Store[] = [];
async function open(url: string, options: Parameters<typeof createStore>[1] = {}): Promise<Store> {
  const store = await createStore(url, options);
  opened.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  if (!('skipReason' in mongoTarget)) await mongoTarget.dispose();
});

/** The access-record collection's type and retention, as the server reports them. */
async function accessRecords(target: MongoTarget, url: string): Promise<Array<{ type?: string; options?: { expireAfterSeconds?: number } }>> {
  return target.withClient((client) => client.db(dbNameOf(url)!).listCollections({ name: ACCESS_RECORDS_COLLECTION }).toArray()) as Promise<
    Array<{ type?: string; options?: { expireAfterSeconds?: number } }>
  >;
}

type Standalone = { uri: string } | { skipReason: string };

function mongoSuite(target: MongoTarget, standalone: Standalone): void {
  it('applies a changed retention through collMod at the next start', async () => {
    const url = target.freshDatabase('dsp_retention');
    await (await open(url, { retentionDays: 400 })).close();
    expect((await accessRecords(target, url))[0]?.options?.expireAfterSeconds).toBe(400 * DAY_S);

    const logged: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    await (await open(url, { retentionDays: 365, logger })).close();
    const [info] = await accessRecords(target, url);
    expect(info?.type).toBe('timeseries');
    expect(info?.options?.expireAfterSeconds).toBe(365 * DAY_S);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'access-record retention updated', expireAfterSeconds: 365 * DAY_S, was: 400 * DAY_S }));

    // The same retention again changes nothing and says nothing.
    logged.length = 0;
    await (await open(url, { retentionDays: 365, logger })).close();
    expect(logged.filter((l) => l.msg === 'access-record retention updated')).toEqual([]);
  });

  const standaloneCase = 'skipReason' in standalone ? it.skip : it;
  const standaloneTitle = 'skipReason' in standalone ? `refuses to start on a standalone server (skipped: ${standalone.skipReason})` : 'refuses to start on a standalone server';
  standaloneCase(standaloneTitle, async () => {
    if ('skipReason' in standalone) return;
    const failure = await createStore(uriForDatabase(standalone.uri, 'dsp_standalone')).then(
      async (store) => {
        await store.close();
        return null;
      },
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ name: 'MongoStartupError', reason: 'STANDALONE' });
  });

  it('lets several processes initialise one new database at once, and gives each change its own revision', async () => {
    const workers = 4;
    const url = target.freshDatabase('dsp_init_race');
    const barrier = mkdtempSync(join(tmpdir(), 'dsp-mongo-init-'));
    try {
      const results = Array.from({ length: workers }, (_, i) => runWorker(url, barrier, `W${i}`));
      // Release them together once all have loaded, so their collection and index creation overlap.
      for (let waited = 0; readdirSync(barrier).length < workers && waited < 30_000; waited += 10) await sleep(10);
      writeFileSync(join(barrier, 'go'), '');
      const revisions = (await Promise.all(results)).map((r) => r.revision).sort((a, b) => a - b);
      expect(revisions).toEqual(Array.from({ length: workers }, (_, i) => i + 1));
    } finally {
      rmSync(barrier, { recursive: true, force: true });
    }
    const store = await open(url);
    expect(await store.currentRevision()).toBe(workers);
    expect(await store.listDevelopers()).toHaveLength(workers);
    const collections = await accessRecords(target, url);
    expect(collections.map((c) => c.type)).toEqual(['timeseries']);
    const indexes = await target.withClient((client) => client.db(dbNameOf(url)!).collection('products').indexes());
    expect(indexes.find((i) => JSON.stringify(i.key) === JSON.stringify({ id: 1 }))?.unique).toBe(true);
  });
}

interface WorkerResult {
  revision: number;
}

function runWorker(url: string, barrier: string, name: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DSP_TEST_STORE_URL: url };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/mongo-init-worker.ts'), barrier, name], { cwd: repoRoot, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WorkerResult) : reject(new Error(`worker ${name} exited ${code}: ${err}`))));
  });
}

if ('skipReason' in mongoTarget) {
  const reason = { skipReason: mongoTarget.skipReason };
  console.warn(`mongo contract (retention through collMod, standalone refusal, concurrent initialisation): ${MONGO_SKIP_MESSAGE} (${mongoTarget.skipReason})`);
  describe.skip(`mongo contract, ${MONGO_SKIP_MESSAGE}: ${mongoTarget.skipReason}`, () => mongoSuite(null as unknown as MongoTarget, reason));
} else {
  const target = mongoTarget;
  // Resolved before registration, so a missing standalone server is reported as a skipped case with its reason.
  const standalone = await target.standalone();
  describe('mongo contract', () => mongoSuite(target, standalone));
}
