/**
 * The gateway hands Apollo only the request headers Apollo reads (gateway/apollo/execute.ts,
 * APOLLO_REQUEST_HEADERS). What those headers decide must still hold through the real gateway:
 * the CSRF prevention (a request a browser could send cross-site without a preflight is refused)
 * and content negotiation.
 */
import { headerMapOf } from '../../core/http.js';
import { APOLLO_REQUEST_HEADERS } from '../../gateway/apollo/execute.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const QUERY = '{ serviceStatus { name } }';

describe('the headers Apollo is given', () => {
  let sys: TestSystem;
  let auth: Record<string, string>;
  beforeAll(async () => {
    sys = await startTestSystem();
    auth = { authorization: `Bearer ${await sys.token()}` };
  });
  afterAll(async () => {
    await sys.close();
  });

  it('are the ones Apollo reads, with their values; the token and the rest are not among them', () => {
    const headers = headerMapOf({ headers: { accept: 'application/json', 'content-type': 'application/json', 'apollo-require-preflight': 'true', authorization: 'Bearer x', 'user-agent': 'ua', cookie: 'c=1' } }, APOLLO_REQUEST_HEADERS);
    expect([...headers.entries()]).toEqual([
      ['accept', 'application/json'],
      ['content-type', 'application/json'],
      ['apollo-require-preflight', 'true'],
    ]);
    expect(APOLLO_REQUEST_HEADERS).toEqual(['accept', 'content-type', 'x-apollo-operation-name', 'apollo-require-preflight']);
  });

  it('still let Apollo refuse a GET without a preflight header, and serve it with one', async () => {
    const url = `${sys.gateway.url}?query=${encodeURIComponent(QUERY)}`;
    const refused = await fetch(url, { headers: auth });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/Cross-Site Request Forgery/);
    const preflights: Array<Record<string, string>> = [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'Status' }];
    for (const preflight of preflights) {
      const served = await fetch(url, { headers: { ...auth, ...preflight } });
      expect(served.status).toBe(200);
    }
  });

  it('still let Apollo refuse a POST a form could send (text/plain), and read the type of a JSON one', async () => {
    const body = JSON.stringify({ query: QUERY });
    const plain = await fetch(sys.gateway.url, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/Cross-Site Request Forgery/);
    const json = await sys.post(body, auth);
    expect(json.status).toBe(200);
  });

  it('get a browser no landing page: a GET asking for HTML is answered as any GET, in JSON with a code', async () => {
    // Without a preflight header the CSRF refusal (400); with one, no type it can answer in (406).
    for (const [headers, status] of [[auth, 400], [{ ...auth, 'apollo-require-preflight': 'true' }, 406]] as const) {
      const res = await fetch(sys.gateway.url, { headers: { ...headers, accept: 'text/html' } });
      const text = await res.text();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
      expect(text).not.toMatch(/<html|apollo server|cdn/i);
    }
  });

  it('never let a validation error suggest a field or type name (the schema is not mined through errors)', async () => {
    // Each a near miss graphql-js would answer with "Did you mean …?".
    for (const query of ['{ serviceStatus { nmae } }', '{ serviceStats { name } }', '{ client(clientID: "C-000001") { id } }']) {
      const res = await sys.post(JSON.stringify({ query }), auth);
      const body = res.body as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      expect([query, res.status, body.errors?.[0]?.extensions?.code]).toEqual([query, 400, 'GRAPHQL_VALIDATION_FAILED']);
      expect(body.errors!.map((e) => e.message).join(' ')).not.toMatch(/did you mean/i);
    }
  });

  it('still let Apollo answer in the media type the client accepts', async () => {
    const body = JSON.stringify({ query: QUERY });
    const multipart = await fetch(sys.gateway.url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body });
    expect(multipart.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const plain = await fetch(sys.gateway.url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'application/json' }, body });
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
