import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { accessRecordOf, decisionOf } from '../../../gateway/access-log/access-record.js';
import { dpopDenial } from '../../../gateway/auth/dpop.js';
import { SANITIZE_LIMITS } from '../../../audit/sanitize.js';
import { refusalAnswer, runStages, type Answer, type Arrival, type Stage } from '../../../gateway/pipeline.js';

const arrival: Arrival = { requestId: 'r-1', arrivedAt: Date.UTC(2026, 0, 1), startedAt: 0, method: 'POST', clientIp: '203.0.113.9', userAgent: 'ua' };
const req = {} as IncomingMessage;
const ok = (status = 200): Answer => ({ status, body: '{}', headers: new Map(), errorCodes: [], refusal: null });

describe('the pipeline runner', () => {
  it('runs the stages in order, accumulating their facts, until one answers', async () => {
    const order: string[] = [];
    const seen: unknown[] = [];
    const stages: Stage[] = [
      { name: 'a', run: (_r, f) => (order.push('a'), seen.push({ ...f }), { facts: { quotaHeaders: { 'RateLimit-Limit': '5' } } }) },
      { name: 'b', run: (_r, f) => (order.push('b'), seen.push({ ...f }), { facts: { body: { query: '{x}' } } }) },
      { name: 'c', run: () => (order.push('c'), { answer: ok() }) },
      { name: 'never', run: () => (order.push('never'), {}) },
    ];
    const { facts, answer } = await runStages(stages, req, arrival);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(seen[1]).toEqual({ arrival, quotaHeaders: { 'RateLimit-Limit': '5' } });
    expect(facts).toEqual({ arrival, quotaHeaders: { 'RateLimit-Limit': '5' }, body: { query: '{x}' } });
    expect(answer.status).toBe(200);
  });

  it('stops at the first refusal and answers it with the documented status and the quota headers so far', async () => {
    const order: string[] = [];
    const stages: Stage[] = [
      { name: 'auth', run: () => (order.push('auth'), { refusal: { code: 'UNAUTHENTICATED', message: 'no' }, facts: { quotaHeaders: { 'RateLimit-Remaining': '3' } } }) },
      { name: 'next', run: () => (order.push('next'), { answer: ok() }) },
    ];
    const { answer } = await runStages(stages, req, arrival);
    expect(order).toEqual(['auth']);
    expect([answer.status, answer.refusal, answer.errorCodes, answer.headers.get('www-authenticate'), answer.headers.get('RateLimit-Remaining')]).toEqual([401, 'UNAUTHENTICATED', ['UNAUTHENTICATED'], 'Bearer', '3']);
  });

  it('keeps the DPoP challenge a refusal brings instead of the Bearer one', () => {
    const answer = refusalAnswer({ ...dpopDenial('proof_replayed', ['ES256']) });
    expect([answer.status, answer.headers.get('www-authenticate')]).toEqual([401, 'DPoP error="invalid_dpop_proof", algs="ES256"']);
    expect(JSON.parse(answer.body).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'dpop', dpop: 'proof_replayed' });
  });

  it('never hands a stage a facts object a later stage can change', async () => {
    let kept: Readonly<Record<string, unknown>> | null = null;
    const stages: Stage[] = [
      { name: 'a', run: (_r, f) => ((kept = f), { facts: { body: 1 } }) },
      { name: 'b', run: () => ({ answer: ok() }) },
    ];
    await runStages(stages, req, arrival);
    expect(kept).toEqual({ arrival });
  });
});

describe('the access record, assembled from the facts', () => {
  const hmacKey = randomBytes(32);
  it('records a refusal as DENIED with its code and status, and the arrival facts', () => {
    const answer = refusalAnswer({ code: 'PRODUCT_SUSPENDED', message: 'no' });
    const record = accessRecordOf({ arrival }, answer, { instanceId: 'gw', hmacKey });
    expect(record).toMatchObject({ requestId: 'r-1', instanceId: 'gw', time: '2026-01-01T00:00:00.000Z', decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'], httpStatus: 403, clientIp: '203.0.113.9', productId: null });
  });
  it('is PARTIAL when fields were withheld and the answer is a success, ALLOWED otherwise', () => {
    const operation = { operationName: 'Q', operationType: 'query', documentHash: 'h', coordinates: [], services: [], clientIds: ['C-000001'], reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Client.x' }], errorCodes: [], subgraphs: ['clients'] };
    expect(decisionOf({ arrival, operation }, ok())).toBe('PARTIAL');
    expect(decisionOf({ arrival, operation: { ...operation, reasons: [] } }, ok())).toBe('ALLOWED');
    expect(decisionOf({ arrival, operation: { ...operation, reasons: [] } }, ok(502))).toBe('DENIED');
    const record = accessRecordOf({ arrival, operation }, ok(), { instanceId: 'gw', hmacKey });
    expect(record.clientDigests).toHaveLength(1);
    expect(record.clientDigests[0]).not.toContain('C-000001');
    expect(record.subgraphs).toEqual(['clients']);
  });
  it('keeps each distinct error code once, cleaned of control characters, and at most SANITIZE_LIMITS.listItems of them', () => {
    const codes = [...Array.from({ length: 2000 }, (_, i) => `CODE_${i}`), 'CODE_0', 'BAD\u0000\nCODE', '   '];
    const record = accessRecordOf({ arrival }, { ...ok(502), errorCodes: ['X', 'BAD\u0000\nCODE', 'X', ...codes] }, { instanceId: 'gw', hmacKey });
    expect(record.errorCodes).toHaveLength(SANITIZE_LIMITS.listItems);
    expect(record.errorCodes.slice(0, 3)).toEqual(['X', 'BADCODE', 'CODE_0']);
    expect(new Set(record.errorCodes).size).toBe(record.errorCodes.length);
  });
  it('carries the DPoP key only for a sender-constrained request, so other records hash as before', () => {
    const bound = accessRecordOf({ arrival, senderKey: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }, ok(), { instanceId: 'gw', hmacKey });
    expect(bound.dpopJkt).toBe('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
    expect('dpopJkt' in accessRecordOf({ arrival }, ok(), { instanceId: 'gw', hmacKey })).toBe(false);
  });
});
