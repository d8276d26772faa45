import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { closeServer, listen } from '../../../../core/http.js';
import { CodedError } from '../../../../core/errors.js';
import type { VerifiedToken } from '../../../../core/verified-token.js';
import type { AccessRecord } from '../../../../audit/record.js';
import { createStaffRead, type StaffReadDeps } from '../../../../gateway/http/staff-read.js';
import { roleDenial } from '../../../../core/roles.js';

const staff: VerifiedToken = { sub: 'ops', iss: 'i', jti: 'j', exp: 2_000_000_000, softwareId: null, softwareVersion: null, org: null, scopes: [], roles: ['ato:admin'], developerId: null, mfa: true, kind: 'staff' };

let server: Server | null = null;
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

/** A staff read on a loopback server, with fakes for the authenticator, the quotas and the writer. */
async function start(over: { append?: (r: AccessRecord) => Promise<unknown>; token?: VerifiedToken } = {}) {
  const appended: AccessRecord[] = [];
  const counted: unknown[] = [];
  let reads = 0;
  const deps: StaffReadDeps = {
    authenticator: { authenticate: async () => ({ ok: true, token: over.token ?? staff, presentation: { scheme: 'Bearer', ath: 'x' } }) },
    rateLimits: { check: async (subject: unknown) => (counted.push(subject), { allowed: true, headers: { 'RateLimit-Limit': '50' } }) },
    writer: { accepting: () => true, append: async (r: AccessRecord) => (appended.push(r), over.append ? over.append(r) : r) } as unknown as StaffReadDeps['writer'],
    config: { instanceId: 'gw' },
    hmacKey: Buffer.alloc(32, 1),
    logger: { error: () => undefined },
    newRequestId: () => 'req-1',
    now: () => Date.UTC(2026, 0, 1),
    clientIpOf: () => '127.0.0.1',
  };
  const serve = createStaffRead(deps, { operationName: 'Thing', refusedTo: (t) => roleDenial(t, ['ato:admin'], 'The thing') });
  server = createServer((req, res) => void serve(req, res, async () => (reads++, { secret: 42 }), { 'cache-control': 'no-store' }));
  const url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/`;
  return { url, appended, counted, reads: () => reads };
}

describe('a staff read', () => {
  it('answers the data with the quota headers once its access record is written', async () => {
    const s = await start();
    const res = await fetch(s.url);
    expect([res.status, await res.json(), res.headers.get('ratelimit-limit'), res.headers.get('cache-control'), res.headers.get('x-request-id')]).toEqual([200, { secret: 42 }, '50', 'no-store', 'req-1']);
    expect(s.appended.map((r) => [r.operationName, r.operationType, r.httpStatus, r.sub])).toEqual([['Thing', 'staff-read', 200, 'ops']]);
  });

  it('names the token issuer in its record when the gateway trusts several (the authenticator names the subject\'s issuer)', async () => {
    const several = await start({ token: { ...staff, subjectIssuer: 'i' } });
    await fetch(several.url);
    expect(several.appended.map((r) => [r.sub, r.issuer])).toEqual([['ops', 'i']]);
    // Its quota is the issuer's subject's: one sub at two issuers is two people.
    expect(several.counted).toEqual([{ kind: 'staff', sub: 'ops', issuer: 'i' }]);
  });

  it('leaves the issuer out of its record when the gateway trusts one (records hash as before)', async () => {
    const one = await start();
    await fetch(one.url);
    expect(one.appended.map((r) => 'issuer' in r)).toEqual([false]);
    expect(one.counted).toEqual([{ kind: 'staff', sub: 'ops', issuer: null }]);
  });

  it('releases nothing when the record cannot be written', async () => {
    const s = await start({ append: async () => Promise.reject(new CodedError('AUDIT_UNAVAILABLE', 'full')) });
    const res = await fetch(s.url);
    const text = await res.text();
    expect([res.status, JSON.parse(text).errors[0].extensions.code]).toEqual([503, 'AUDIT_UNAVAILABLE']);
    expect(text).not.toContain('42');
  });

  it('refuses a token without the role, reads nothing, and records the refusal', async () => {
    const s = await start({ token: { ...staff, roles: ['dsp:developer'] } });
    const res = await fetch(s.url);
    expect([res.status, (await res.json()).errors[0].extensions.code]).toEqual([403, 'ROLE_REQUIRED']);
    expect(s.reads()).toBe(0);
    expect(s.appended.map((r) => [r.httpStatus, r.errorCodes])).toEqual([[403, ['ROLE_REQUIRED']]]);
  });
});
