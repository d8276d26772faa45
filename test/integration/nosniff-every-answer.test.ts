/**
 * Review (console/dashboard, attacker's view): the console's page and the dashboard send
 * `X-Content-Type-Options: nosniff` on every answer, but the endpoints the console's pages call
 * do not: /graphql (the console's one door to data: its answers carry register text, access
 * records and error text that echo caller input), the export's refusals, and the gateway's own
 * answers (/healthz, /readyz, 404). Hardening, not an exploit on current browsers (they do not
 * sniff application/json into HTML), but the gap is one header set in one place (gateway/routes.ts).
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let base: string;
beforeAll(async () => {
  sys = await startTestSystem();
  base = sys.gateway.url.replace('/graphql', '');
});
afterAll(async () => {
  await sys?.close();
});

describe('every answer a browser may read says nosniff', () => {
  it('on /graphql, served and refused, as the console calls it', async () => {
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'hdr-admin' });
    const served = await sys.gql('query Products { products { id name } }', { token: admin });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    const refused = await sys.gql('{ __typename }', { token: null });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('on the export\'s refusals and the gateway\'s own answers', async () => {
    for (const path of ['/audit/export', '/healthz', '/readyz', '/no-such-path']) {
      const res = await fetch(`${base}${path}`);
      await res.text();
      expect([path, res.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
    }
  });
});
