/**
 * Review s19d: the "still admitted" stage judges the product again once a slow body has arrived
 * (review s17a F2), but not the sender constraint. A thief holding a product's bearer token opens
 * requests before the ATO binds the product's tokens to its key (setKeyBinding, the response to a
 * stolen token), and finishes them after: they are served with the stolen bearer token although
 * the register, by then, requires a DPoP proof by the product's key.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi } from '../helpers/registry-api.js';

const QUERY = JSON.stringify({ query: '{ client(clientId: "C-000001") { id name } }' });
const SET = `mutation ($id: ID!, $rev: Int!, $required: Boolean!, $thumbprints: [String!]!) {
  setKeyBinding(productId: $id, expectedRevision: $rev, required: $required, thumbprints: $thumbprints, reason: "Token stolen: bind to the product key", ticket: "INC-1") { revision }
}`;

describe('review s19d: a key binding that reaches the gateway while a body is on its way', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  async function slowPost(token: string): Promise<() => Promise<{ status: number; codes: string[]; data: unknown }>> {
    const writer = sys.gateway.writer;
    const accepting = writer.accepting.bind(writer);
    let reached!: () => void;
    const atBody = new Promise<void>((resolve) => (reached = resolve));
    const spy = jest.spyOn(writer, 'accepting').mockImplementation(() => (reached(), accepting()));
    const u = new URL(sys.gateway.url);
    let answer!: (v: { status: number; codes: string[]; data: unknown }) => void;
    const answered = new Promise<{ status: number; codes: string[]; data: unknown }>((resolve) => (answer = resolve));
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(QUERY), authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; dpop?: string } }> };
        answer({ status: res.statusCode ?? 0, codes: (body.errors ?? []).map((e) => `${e.extensions?.code ?? ''}${e.extensions?.dpop ? `:${e.extensions.dpop}` : ''}`), data: body.data ?? null });
      });
    });
    req.on('error', () => undefined);
    req.write(QUERY.slice(0, 10));
    await atBody;
    spy.mockRestore();
    return () => (req.end(QUERY.slice(10)), answered);
  }

  it('refuses the bearer token once the binding is on the register, as it refuses a new request', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const api = registryApi(sys);
    const stolen = await sys.token({ product: 'PRD-LIMITED', scope: 'clients.read' });
    const finish = await slowPost(stolen);
    const rev = await api.revisionOf('product', 'PRD-LIMITED');
    ok(await api.admin(SET, { id: 'PRD-LIMITED', rev, required: true, thumbprints: [jkt] }));
    await api.synced();
    // A new request with the stolen token is refused at once…
    const fresh = await sys.gql('{ client(clientId: "C-000001") { id } }', { token: stolen });
    expect(fresh.status).toBe(401);
    // …and so must be the one whose body was on its way.
    const r = await finish();
    expect(r).toEqual({ status: 401, codes: ['UNAUTHENTICATED:binding_required'], data: null });
  });
});
