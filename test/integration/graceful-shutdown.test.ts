/** Issue 2: SIGTERM drains in-flight requests (their records committed), then the gateway exits 0. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { createStore } from '../../store/index.js';
import { freePort, spawnGateway } from './support/gateway-process.js';
import { waitFor } from '../helpers/wait.js';

interface HeldSubgraph {
  server: Server;
  url: string;
  /** Resolves when the first request has arrived. */
  received: Promise<void>;
  /** Answers every request held so far, and later ones at once. */
  release(): void;
}

/** A clients "subgraph" that holds its serviceStatus answer until released, so a request is in flight at SIGTERM. */
function heldSubgraph(): Promise<HeldSubgraph> {
  let arrived!: () => void;
  const received = new Promise<void>((resolve) => (arrived = resolve));
  let released = false;
  const held: Array<() => void> = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { serviceStatus: { name: 'clients', version: 'slow', time: new Date().toISOString() } } }));
      };
      arrived();
      if (released) answer();
      else held.push(answer);
    });
  });
  const release = () => {
    released = true;
    for (const answer of held.splice(0)) answer();
  };
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`, received, release })));
}

describe('graceful shutdown', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsp-shutdown-'));
  let slow: HeldSubgraph;
  afterAll(() => {
    slow?.release();
    slow?.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the request in flight, commits its record, and exits 0', async () => {
    slow = await heldSubgraph();
    const unused = `http://127.0.0.1:${await freePort()}/graphql`;
    const storeUrl = `sqlite:${join(dataDir, 'dsp.db')}`;
    const gw = await spawnGateway({ env: { DATA_DIR: dataDir, STORE_URL: storeUrl, CLIENTS_URL: slow.url, LODGMENTS_URL: unused, ACCOUNTS_URL: unused, REGISTRY_URL: unused, AUDIT_URL: unused } });
    const config = loadConfig({ DATA_DIR: dataDir });
    const token = await signDevToken((await ensureKeys(dataDir)).issuer, {}, config);

    const inFlight = fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ serviceStatus { name version } }' }) });
    await slow.received; // the request is in flight, its answer held
    const exitCode = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    gw.child.kill('SIGTERM');
    await waitFor(() => gw.output().includes('"draining in-flight requests"'), 10_000);
    slow.release(); // answered only once the gateway is draining

    const res = await inFlight;
    const body = (await res.json()) as { data: { serviceStatus: { version: string } } };
    expect(res.status).toBe(200);
    expect(body.data.serviceStatus.version).toBe('slow');
    expect(await exitCode).toBe(0);

    const store = await createStore(storeUrl);
    try {
      const [head] = await store.listChains();
      const records = await store.readChain(head!.chainId, 1, 1_000);
      expect(records.map((r) => r.requestId)).toContain(res.headers.get('x-request-id'));
      // The final checkpoint covers the last record: nothing after it can be removed unnoticed.
      const checkpoints = await store.checkpointsOf(head!.chainId);
      expect(Math.max(...checkpoints.map((c) => c.seq))).toBe(records.length);
      // …and it is marked final, and the ledger records the orderly end with nothing unsigned.
      expect(checkpoints.find((c) => c.final)).toMatchObject({ seq: records.length });
      const close = (await store.readLedger()).find((e) => e.kind === 'CLOSE' && e.chainId === head!.chainId);
      expect(close?.ending).toMatchObject({ how: 'SHUTDOWN', lastSeq: records.length, lastCheckpointSeq: records.length, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  });
});
