import { csvCell, csvRow, CSV_COLUMNS, exportLine, exportRequestOf, unreadableLine } from '../../../../gateway/access-log/export.js';
import { changeNotesOf } from '../../../../gateway/apollo/change-notes.js';
import { parse, type OperationDefinitionNode } from 'graphql';

describe('CSV cells', () => {
  it('quotes what RFC 4180 requires and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(403)).toBe('403');
  });

  it('makes a cell a spreadsheet would run as a formula inert', () => {
    for (const evil of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd']) {
      const cell = csvCell(evil);
      expect(cell.replace(/^"/, '').startsWith("'")).toBe(true);
    }
  });

  it('leaves no cell a formula where a spreadsheet splits the file on ; (a comma-decimal locale, and the lists\' own separator)', () => {
    // A caller-chosen user agent: no comma or quote, so RFC 4180 leaves it unquoted; a spreadsheet
    // whose list separator is ; (German, French, … Excel) splits it there into a cell of its own.
    const userAgent = "Mozilla/5.0;=cmd|' /C calc'!A0;x";
    const row = csvRow({ id: 'r1', userAgent, roles: ['ato:auditor', '@SUM(1+1)'], operationName: 'Q' } as never);
    for (const cell of row.trimEnd().split(/[;,]/)) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
    expect(csvCell(userAgent)).toBe("Mozilla/5.0;'=cmd|' /C calc'!A0;x");
    expect(csvCell('Mozilla/5.0 (X11; Linux x86_64)')).toBe('Mozilla/5.0 (X11; Linux x86_64)');
  });

  it('writes one row per record in the header order, lists joined with ;', () => {
    const row = csvRow({ id: 'r1', roles: ['a', 'b'], reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Query.client' }, { code: 'X' }], operationName: '=evil()', issuer: 'https://staff-idp.example' } as never);
    const cells = row.trimEnd().split(',');
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    expect(cells[CSV_COLUMNS.indexOf('roles')]).toBe('a;b');
    expect(cells[CSV_COLUMNS.indexOf('reasons')]).toBe('RESTRICTED_DATA@Query.client;X');
    expect(cells[CSV_COLUMNS.indexOf('operationName')]).toBe("'=evil()");
    expect(cells[CSV_COLUMNS.indexOf('issuer')]).toBe('https://staff-idp.example');
    expect(row.endsWith('\r\n')).toBe(true);
  });

  it('writes a row for any stored value (a record edited by hand), never throwing', () => {
    for (const reasons of ['text', [null], [5, { code: 'A', coordinate: 'Q.a' }], { code: 'A' }]) {
      const cells = csvRow({ id: 'r1', reasons, roles: 'x' } as never).trimEnd().split(',');
      expect(cells).toHaveLength(CSV_COLUMNS.length);
    }
    expect(csvRow({ reasons: [5, { code: 'A', coordinate: 'Q.a' }] } as never).trimEnd().split(',')[CSV_COLUMNS.indexOf('reasons')]).toBe('5;A@Q.a');
  });

  it('exports a record that cannot be written out (nested too deeply) as unreadable, in both formats, instead of cutting the download', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const record = { id: 'r1', chainId: 'c-1', seq: 4, roles: deep } as never;
    expect(JSON.parse(exportLine(record, 'ndjson'))).toEqual({ unreadable: { chainId: 'c-1', seq: 4, reason: expect.stringMatching(/cannot be written out/) } });
    expect(exportLine(record, 'csv').split(',')[CSV_COLUMNS.indexOf('decision')]).toBe('UNREADABLE');
    expect(exportLine({ id: 'r2', chainId: 'c-1', seq: 5 } as never, 'ndjson')).toBe('{"id":"r2","chainId":"c-1","seq":5}\n');
  });

  it('exports a row whose stored text is not a record as one of its own kind, where it is stored and why', () => {
    const row = { chainId: 'c-1', seq: 3, reason: 'the stored record text is not JSON' };
    expect(JSON.parse(unreadableLine(row, 'ndjson'))).toEqual({ unreadable: row });
    const cells = unreadableLine(row, 'csv').trimEnd().split(',');
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    expect([cells[CSV_COLUMNS.indexOf('chainId')], cells[CSV_COLUMNS.indexOf('seq')], cells[CSV_COLUMNS.indexOf('decision')], cells[CSV_COLUMNS.indexOf('reasons')]]).toEqual(['c-1', '3', 'UNREADABLE', row.reason]);
  });
});

describe('the export query string', () => {
  it('takes the filter criteria and the format, and refuses anything else', () => {
    expect(exportRequestOf('/audit/export?format=csv&productId=PRD-A&httpStatus=403')).toEqual({ format: 'csv', input: { productId: 'PRD-A', httpStatus: 403 } });
    expect(exportRequestOf('/audit/export')).toEqual({ format: 'ndjson', input: {} });
    for (const bad of ['?format=xml', '?colour=red', '?httpStatus=4033', '?productId=a&productId=b']) expect(exportRequestOf(`/audit/export${bad}`)).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('change notes of registry mutations', () => {
  const op = (q: string) => parse(q).definitions[0] as OperationDefinitionNode;
  it('reads reason and ticket from arguments, variables and an input object, masking long numbers', () => {
    expect(changeNotesOf(op('mutation { suspendProduct(productId: "P", expectedRevision: 1, reason: "TFN 123456789 seen", ticket: "INC-1") { id } }'), {})).toEqual([
      { coordinate: 'Mutation.suspendProduct', reason: 'TFN [number] seen', ticket: 'INC-1' },
    ]);
    expect(changeNotesOf(op('mutation ($r: String!) { a: revokeProduct(productId: "P", expectedRevision: 1, reason: $r) { id } }'), { r: 'gone\u202e' })).toEqual([
      { coordinate: 'Mutation.revokeProduct', reason: 'gone', ticket: null },
    ]);
    expect(changeNotesOf(op('mutation ($i: RegisterProductInput!) { registerProduct(input: $i) { id } }'), { i: { reason: 'new', ticket: 'T-2' } })).toEqual([
      { coordinate: 'Mutation.registerProduct', reason: 'new', ticket: 'T-2' },
    ]);
  });
  it('masks a TFN however its groups are separated or its digits written, and leaves short numbers and words alone (review s17b F3)', () => {
    const reason = (r: string) => changeNotesOf(op('mutation ($r: String!) { suspendProduct(productId: "P", expectedRevision: 1, reason: $r) { id } }'), { r })[0]!.reason;
    for (const tfn of ['123456782', '123 456 782', '123-456-782', '123.456.782', '123–456–782', '123 / 456 / 782', '１２３４５６７８２', '12345678', '123-45-678', '123,456,782', '123 _ 456 _ 782', '123, 456, 782', '123·456·782', '123:456:782', '123+456+782', '123 | 456 | 782', '(123) 456 782', '123\u00ad456\u00ad782', '123\u2060456\u2060782']) {
      const masked = reason(`Taxpayer ${tfn} asked`)!;
      expect([masked.startsWith('Taxpayer '), masked.endsWith('[number] asked'), /\p{Nd}/u.test(masked)]).toEqual([true, true, false]);
    }
    expect(reason('Case 12345, 3 clients, ticket 42-17')).toBe('Case 12345, 3 clients, ticket 42-17');
    expect(reason('TFN 123-456-782 and 987 654 321 seen')).toBe('TFN [number] and [number] seen');
  });

  it('masks a TFN that the reason\'s length cap cuts through (masked, then capped)', () => {
    const reason = (r: string) => changeNotesOf(op('mutation ($r: String!) { suspendProduct(productId: "P", expectedRevision: 1, reason: $r) { id } }'), { r })[0]!.reason!;
    // The TFN starts 4 characters before the cap: capped first, its first 4 digits were left, too few to mask.
    const cut = reason(`${'x'.repeat(1995)} 123456782`);
    expect(cut).not.toMatch(/\p{Nd}/u);
    expect(cut.length).toBeLessThanOrEqual(2000);
  });

  it('says nothing for queries or mutations without a reason', () => {
    expect(changeNotesOf(op('query { product(id: "P") { id } }'), {})).toEqual([]);
    expect(changeNotesOf(op('mutation { notifyIncident(input: { whatHappened: "x" }) { id } }'), {})).toEqual([]);
  });
});
