import { describe, expect, it } from '@jest/globals';
import { formatLedger, formatStorage, formatVerificationReport } from '../../../audit/report-text.js';
import { jsonPrintable, printable } from '../../../audit/sanitize.js';

describe('the CLI text report', () => {
  const report = (chainId: string, detail: string) => ({ chainId, ok: false, checked: 1, problems: [{ seq: 2, toSeq: 2, kind: 'FORGED' as const, detail }], omitted: 0, fromSeq: 1, toSeq: null, lastSeq: 1, checkpointsChecked: 0, latestCheckpointSeq: null, lastTrustedCheckpoint: null });

  it('writes control, line-separator and bidi characters a forger put in the store as \\u escapes, so they cannot erase or fake a line', () => {
    const lines = [
      ...formatVerificationReport(report('c\u001b[2K\rchain x  OK', "seq '\u001b[1A\u001b[2Kfine\u2028\u202e'")),
      ...formatLedger({ entries: 1, head: null, problems: [{ seq: 1, kind: 'ALTERED', detail: 'x\ny' }], omitted: 0 }),
      ...formatStorage(['access_records: row 2 missing from index\u0007\u200b\ufeff']),
    ];
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u200b-\u200f\ufeff]/);
    expect(lines[0]).toContain('c\\u001b[2K\\u000dchain x  OK');
    expect(lines.join('\n')).toContain('\\u2028\\u202e');
  });

  it('counts the ledger problems not listed, and fails the ledger on them alone', () => {
    const lines = formatLedger({ entries: 3, head: null, problems: [], omitted: 1500 });
    expect(lines).toEqual(['ledger  FAILED  3 entries', '  … and 1500 more ledger problems not listed']);
    expect(formatLedger({ entries: 3, head: null, problems: [], omitted: 0 })).toEqual(['ledger  OK  3 entries']);
  });

  it('escapes every control and format character and a lone surrogate, U+061C, U+FFF9 and tag characters included, but keeps a surrogate pair', () => {
    expect(printable('a\u061Cb\u200Dc\uFFF9d\uD800e\uDC00f\u{E0041}g\u00ADh')).toBe('a\\u061cb\\u200dc\\ufff9d\\ud800e\\udc00f\\u{e0041}g\\u00adh');
    expect(printable('税 \u{1F600}')).toBe('税 \u{1F600}');
  });

  it('writes JSON for a terminal with C1 controls, bidi and other format characters escaped, the value unchanged', () => {
    const value = { chainId: 'c\u009b2J\u202e\u{E0041}', detail: 'x\u2028y 税 \u{1F600}' };
    const json = jsonPrintable(JSON.stringify(value, null, 2));
    expect(json).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2028\u2029]|\u{E0041}/u);
    expect(json).toContain('c\\u009b2J\\u202e\\udb40\\udc41');
    expect(JSON.parse(json)).toEqual(value);
  });

  it('leaves ordinary text, U+FFFD and other scripts as they are', () => {
    expect(printable("seq '5b' Ünïcödé \uFFFD 税")).toBe("seq '5b' Ünïcödé \uFFFD 税");
  });

  it('says whether the storage check found anything', () => {
    expect(formatStorage([])).toEqual(['storage  OK']);
    expect(formatStorage(['a', 'b'])).toEqual(['storage  FAILED', '  a', '  b']);
  });
});
