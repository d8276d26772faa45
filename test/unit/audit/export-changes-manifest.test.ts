/** Review (attacker's/auditor's view) of the access-log export: what the CSV leaves out. */
import { describe, expect, it } from '@jest/globals';
import { csvRow, CSV_COLUMNS } from '../../../gateway/access-log/export.js';
import { HASHED_FIELDS, OPTIONAL_HASHED_FIELDS } from '../../../audit/chain.js';
import { sampleChain } from './fixtures.js';

describe('the CSV export', () => {
  it('has a column for every field the record hashes (a register change\'s reason and ticket, the manifest entry)', () => {
    const missing = [...HASHED_FIELDS, ...OPTIONAL_HASHED_FIELDS].filter((f) => !(CSV_COLUMNS as readonly string[]).includes(f));
    expect(missing).toEqual([]);
  });

  it('writes a register change\'s reason and ticket into the row', () => {
    const [record] = sampleChain(1);
    const row = csvRow({ ...record!, changes: [{ coordinate: 'Mutation.suspendProduct', reason: 'fraud report from the field', ticket: 'INC-4242' }], manifest: { entry: 'abc', mode: 'ENFORCE', version: 3 } });
    expect(row).toContain('fraud report from the field');
    expect(row).toContain('INC-4242');
    expect(row).toContain('ENFORCE');
  });
});
