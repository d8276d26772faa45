/**
 * The console's count of the records in the CSV the gateway's export sent (console/static/csv.js),
 * against text written by the export's own csvRow: quoted fields with commas, doubled quotes and
 * line breaks do not end a record, and the header line is not one.
 */
import { CSV_COLUMNS, csvRow } from '../../../gateway/access-log/export.js';
import type { ChainedAccessRecord } from '../../../audit/record.js';

const record = (userAgent: string): ChainedAccessRecord => ({ id: 'r', time: '2026-12-04T00:00:00.000Z', requestId: 'q', instanceId: 'i', productId: 'PRD-X', productVersion: '1.0.0', developerId: null, sub: 's', org: null, jti: null, roles: [], operationName: 'Op', operationType: 'query', documentHash: null, coordinates: ['Query.client'], services: [], clientDigests: [], decision: 'DENIED', reasons: [], errorCodes: ['PRODUCT_SUSPENDED'], httpStatus: 403, subgraphs: [], latencyMs: 1, clientIp: null, userAgent, chainId: 'c', seq: 1, prevHash: 'p', hash: 'h' }) as ChainedAccessRecord;

// A browser module without type declarations (the console has no build step): typed here.
const { csvRecordCount } = (await import('../../../console/static/csv.js' as string)) as { csvRecordCount: (text: string) => number };

describe('csvRecordCount', () => {
  it('counts the records of the export\'s CSV, not its lines', () => {
    const header = `${CSV_COLUMNS.join(',')}\r\n`;
    expect(csvRecordCount(header)).toBe(0);
    expect(csvRecordCount('')).toBe(0);
    const tricky = [record('plain'), record('a "quoted", comma'), record('line\r\nbreak\nand more'), record('=cmd()')];
    const text = header + tricky.map(csvRow).join('');
    expect(text.split('\r\n').length - 2).toBeGreaterThan(tricky.length);
    expect(csvRecordCount(text)).toBe(tricky.length);
  });
});
