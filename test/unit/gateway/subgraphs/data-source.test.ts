/**
 * The data source that talks to subgraphs: each request carries the gateway's assertion for the
 * admitted caller and a signature over its exact body, the subgraph is noted for the access
 * record, a subgraph's coded 4xx answer is handed on as a result, and a failing subgraph becomes
 * SUBGRAPH_UNAVAILABLE.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { HeaderMap } from '@apollo/server';
import { generateKeyPair, exportJWK } from 'jose';
import { createAssertionSigner, createAssertionVerifier } from '../../../../core/assertion.js';
import { createRequestSigner, createRequestVerifier, SIGNATURE_HEADER } from '../../../../core/request-signature.js';
import { OperationNotes, type GatewayContext } from '../../../../gateway/apollo/context.js';
import { AssertingDataSource } from '../../../../gateway/subgraphs/data-source.js';
import { productCaller } from '../../../helpers/caller.js';

interface Seen {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let url: string;
let answer: { status: number; body: string } = { status: 200, body: '{"data":{"ok":true}}' };
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const macKey = randomBytes(32);
  const source = new AssertingDataSource({ name: 'clients', url, signer: createAssertionSigner({ privateKey, kid: 'k1', ttlS: 60 }), requestSigner: createRequestSigner({ key: macKey }), timeoutMs: 5000 });
  const caller = productCaller();
  const notes = new OperationNotes();
  const context: GatewayContext = {
    admission: {
      token: { sub: 'user-1', iss: 'test', jti: null, exp: 0, softwareId: 'PRD-X', softwareVersion: '2.1.0', org: caller.org, scopes: [], roles: [], developerId: null, mfa: false, kind: 'product' },
      resolved: { caller, product: { id: 'PRD-X', developerId: 'DEV-X' } as never, developer: null, denial: null, at: 0, grantsKey: 'k' },
    },
    requestId: 'req-1',
    notes,
    enforcement: null,
  };
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
  const verifier = createAssertionVerifier({ jwks: { keys: [jwk] }, audience: 'clients' });
  const requestVerifier = createRequestVerifier({ key: macKey });
  const send = () => source.process({ kind: 'incoming operation' as never, request: { query: '{ ok }', http: { method: 'POST', url, headers: new HeaderMap() } }, context, incomingRequestContext: {} as never, document: undefined as never } as never);
  return { context, notes, verifier, requestVerifier, send };
}

describe('AssertingDataSource', () => {
  it('sends the admitted identity as an assertion, a signature over the exact body, and the request id; notes the subgraph', async () => {
    answer = { status: 200, body: '{"data":{"ok":true}}' };
    seen.length = 0;
    const { notes, verifier, requestVerifier, send } = await setup();
    const result = await send();
    expect(result.data).toEqual({ ok: true });
    const request = seen[0]!;
    const authorization = request.headers.authorization!;
    const claims = await verifier.verify(authorization.replace('Bearer ', ''));
    expect(claims).toMatchObject({ sub: 'user-1', softwareId: 'PRD-X', softwareVersion: '2.1.0', developerId: 'DEV-X', org: '12345679016', tier: 'STANDARD' });
    expect(requestVerifier.verify(request.headers[SIGNATURE_HEADER] as string, { audience: 'clients', method: 'POST', authorization, body: request.body })).toEqual({ ok: true });
    expect(request.headers['x-request-id']).toBe('req-1');
    expect(notes.facts().subgraphs).toEqual(['clients']);
  });

  it("hands on a subgraph's coded 4xx GraphQL answer as a result with its error", async () => {
    answer = { status: 404, body: '{"errors":[{"message":"gone","path":["x"],"extensions":{"code":"NOT_FOUND"}}],"data":null}' };
    const { send } = await setup();
    const result = await send();
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it("turns a subgraph's refusal of the gateway's own credentials (401) into SUBGRAPH_UNAVAILABLE without its URL", async () => {
    answer = { status: 401, body: '{"errors":[{"message":"A valid gateway assertion and request signature are required.","extensions":{"code":"UNAUTHENTICATED"}}]}' };
    const { send } = await setup();
    const error = await send().catch((e: unknown) => e);
    expect((error as { extensions?: { code?: string } }).extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(JSON.stringify((error as { extensions?: unknown }).extensions)).not.toContain('127.0.0.1');
  });

  it('turns a failing subgraph (5xx) into SUBGRAPH_UNAVAILABLE without its URL', async () => {
    answer = { status: 502, body: 'bad gateway' };
    const { send } = await setup();
    const error = await send().catch((e: unknown) => e);
    expect((error as { extensions?: { code?: string } }).extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(String((error as Error).message)).not.toContain('127.0.0.1');
  });
});
