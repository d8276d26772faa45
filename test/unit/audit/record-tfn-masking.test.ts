/**
 * Review: a TFN reaching the access log through the free-text fields a caller chooses. A
 * register change's reason and ticket have runs of 8 or more digits masked (change-notes.ts: "a
 * TFN typed into it must not reach the log"); the operation name and the user agent, which the
 * caller's software writes as freely, are only cleaned of control characters.
 */
import { describe, expect, it } from '@jest/globals';
import { accessRecordOf } from '../../../gateway/access-log/access-record.js';
import type { Answer, Arrival } from '../../../gateway/pipeline.js';

const TFN_RUN = /\d(?:[^\p{L}\d]{0,3}\d){7,}/u;

describe('TFNs in the access record', () => {
  it('masks a TFN-like digit run in the operation name and user agent as it does in a change reason', () => {
    const arrival: Arrival = { requestId: 'r-1', arrivedAt: Date.UTC(2026, 0, 1), startedAt: 0, method: 'POST', clientIp: '203.0.113.9', userAgent: 'TaxApp/4.2 (lookup 123 456 782)' };
    const answer: Answer = { status: 200, body: '{}', headers: new Map(), errorCodes: [], refusal: null };
    const operation = { operationName: 'GetClient_123456782', operationType: 'query', documentHash: 'a'.repeat(64), coordinates: ['Query.client'], services: [], clientIds: [], reasons: [], errorCodes: null, subgraphs: ['clients'] };
    const record = accessRecordOf({ arrival, operation } as never, answer, { instanceId: 'gw', hmacKey: Buffer.alloc(32, 1) });
    expect({ operationName: TFN_RUN.test(record.operationName ?? ''), userAgent: TFN_RUN.test(record.userAgent ?? '') }).toEqual({ operationName: false, userAgent: false });
  });
});
