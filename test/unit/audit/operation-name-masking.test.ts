/**
 * Second review of 36e2898 (e): TFN-like digit runs masked in the access record's operationName
 * and userAgent.
 */
import { describe, expect, it } from '@jest/globals';
import { accessRecordOf } from '../../../gateway/access-log/access-record.js';
import { toStoreFilter } from '../../../audit/filter.js';
import type { Answer, Arrival } from '../../../gateway/pipeline.js';

const hmacKey = Buffer.alloc(32, 1);

function recordFor(operationName: string, userAgent: string) {
  const arrival: Arrival = { requestId: 'r-1', arrivedAt: Date.UTC(2026, 0, 1), startedAt: 0, method: 'POST', clientIp: '203.0.113.9', userAgent };
  const answer: Answer = { status: 200, body: '{}', headers: new Map(), errorCodes: [], refusal: null };
  const operation = { operationName, operationType: 'query', documentHash: 'a'.repeat(64), coordinates: ['Query.client'], services: [], clientIds: [], reasons: [], errorCodes: null, subgraphs: ['clients'] };
  return accessRecordOf({ arrival, operation } as never, answer, { instanceId: 'gw', hmacKey });
}

describe('masked operation names', () => {
  it('an auditor filtering by the operation name the client sent finds its records (the filter is masked as the record is)', () => {
    // A legitimate, date-stamped operation name: 8 digits joined by underscores.
    const sent = 'ClientReport_2024_12_05';
    const record = recordFor(sent, 'TaxApp/4.2');
    const filter = toStoreFilter({ operationName: sent }, hmacKey);
    // The stores match operationName exactly (sqlite operation_name = ?, mongo match.operationName).
    expect(filter.operationName).toBe(record.operationName);
  });
});

describe('masking after the length cap', () => {
  it('does not keep the first 7 digits of a TFN that the 256-character cap cut', () => {
    const ua = `${'x'.repeat(248)} 123456782`; // the TFN starts at 249: the cap keeps 7 of its digits
    expect(recordFor('GetClient', ua).userAgent).not.toMatch(/1234567/);
  });
  it('does not keep the first 7 digits of a TFN that the 128-character operation-name cap cut', () => {
    const name = `Op${'x'.repeat(118)}_123456782`;
    expect(recordFor(name, 'TaxApp/4.2').operationName).not.toMatch(/1234567/);
  });
});
