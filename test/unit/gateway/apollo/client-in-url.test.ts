import { readFileSync } from 'node:fs';
import { parse, visit } from 'graphql';
import { SUPERGRAPH_PATH } from '../../../../scripts/compose-lib.js';
import { CLIENT_ID_NAME, namesClient } from '../../../../gateway/apollo/client-in-url.js';

describe('namesClient (a GET naming a client is refused)', () => {
  it('finds a clientId argument or input field with a value, in operations and fragments', () => {
    expect(namesClient(parse('{ client(clientId: "C-000001") { id } }'), {})).toBe(true);
    expect(namesClient(parse('query Q($c: ID!) { client(clientId: $c) { id } }'), { c: 'C-000001' })).toBe(true);
    expect(namesClient(parse('{ ...F } fragment F on Query { client(clientId: "C-1") { id } }'), {})).toBe(true);
    expect(namesClient(parse('{ accessLogs(filter: { decision: DENIED, clientId: "C-1" }) { totalCount } }'), {})).toBe(true);
    expect(namesClient(parse('{ accessLogs(filter: { list: [{ clientId: "C-1" }] }) { totalCount } }'), {})).toBe(true);
  });

  it('lets through an operation without one, or one whose clientId is a literal null', () => {
    expect(namesClient(parse('{ serviceStatus { name } }'), {})).toBe(false);
    expect(namesClient(parse('{ accessLogs(filter: { clientId: null, decision: DENIED }) { totalCount } }'), null)).toBe(false);
    // A variable that is null or not given (review fb7e01e..HEAD T3).
    expect(namesClient(parse('query Q($c: ID) { accessLogs(filter: { clientId: $c }) { totalCount } }'), {})).toBe(false);
    expect(namesClient(parse('query Q($c: ID) { accessLogs(filter: { clientId: $c }) { totalCount } }'), { c: null })).toBe(false);
    // ... but a variable the URL gives for an operation not run still names the client.
    expect(namesClient(parse('query A { serviceStatus { name } } query B($c: ID!) { client(clientId: $c) { id } }'), {}, { c: 'C-000001' })).toBe(true);
    // A field or alias named clientId is not an argument.
    expect(namesClient(parse('{ clientId: serviceStatus { clientId: name } }'), undefined)).toBe(false);
  });

  it('finds a clientId with a value anywhere in the variables', () => {
    const doc = parse('query Q($f: AccessLogFilterInput) { accessLogs(filter: $f) { totalCount } }');
    expect(namesClient(doc, { f: { clientId: 'C-000001' } })).toBe(true);
    expect(namesClient(doc, { f: { nested: [{ deeper: { clientId: 'C-1' } }] } })).toBe(true);
    expect(namesClient(doc, { f: { clientId: null, decision: 'DENIED' } })).toBe(false);
    expect(namesClient(doc, { f: { decision: 'DENIED', other: ['clientId'] } })).toBe(false);
    // Sent but not declared: still in the URL.
    expect(namesClient(parse('{ serviceStatus { name } }'), {}, { clientId: '123456782' })).toBe(true);
    expect(namesClient(parse('{ serviceStatus { name } }'), {}, { other: 'x', clientId: null })).toBe(false);
  });

  it('refuses variables nested too deep to search', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(namesClient(parse('{ serviceStatus { name } }'), { deep })).toBe(true);
    let shallow: unknown = 'x';
    for (let i = 0; i < 20; i++) shallow = { a: shallow };
    expect(namesClient(parse('{ serviceStatus { name } }'), { shallow })).toBe(false);
  });

  // The check knows client identifiers by name only: the schema must name every one `clientId`.
  it('every argument or input field of the composed schema that takes a client or a TFN is named clientId', () => {
    const inputs: string[] = [];
    visit(parse(readFileSync(SUPERGRAPH_PATH, 'utf8')), {
      InputValueDefinition(node) {
        // clientIp is the caller's IP address (an access-log filter), not a taxpayer.
        if (/client|tfn/i.test(node.name.value) && node.name.value !== 'clientIp') inputs.push(node.name.value);
      },
    });
    expect(inputs.length).toBeGreaterThanOrEqual(5);
    expect(new Set(inputs)).toEqual(new Set([CLIENT_ID_NAME]));
  });
});
