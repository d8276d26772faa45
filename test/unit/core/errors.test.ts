import { readFileSync } from 'node:fs';
import { ERROR_CODES, CodedError, denial, httpStatusOf } from '../../../core/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

describe('error codes', () => {
  it('docs/errors.md lists every code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect([code, documented.get(code)]).toEqual([code, status]);
  });
  it('docs/errors.md lists no code the product does not have', () => {
    for (const code of documented.keys()) expect(Object.keys(ERROR_CODES)).toContain(code);
  });
  it('CodedError carries the code and HTTP status in extensions', () => {
    const err = new CodedError('RATE_LIMITED', 'slow down', { headers: { 'Retry-After': '3' } });
    expect(err.extensions.code).toBe('RATE_LIMITED');
    expect((err.extensions.http as { status: number }).status).toBe(httpStatusOf('RATE_LIMITED'));
    expect((err.extensions.http as { headers: Map<string, string> }).headers.get('retry-after')).toBe('3');
  });
});

// The detail keys a caller may see are ERROR_DETAIL_KEYS (formatError shows no others); the types
// keep our own errors to them, so that no detail of ours is dropped unseen. `npm run lint` fails
// if an unlisted key stops being a compile error.
describe('error details', () => {
  it('takes only listed keys, spread-in ones included, in a denial and a CodedError', () => {
    // @ts-expect-error internalHost is not a detail key
    const literal = denial('NOT_FOUND', 'x', { internalHost: 'db01' });
    const extra = { internalHost: 'db01' };
    // @ts-expect-error nor is it when spread in
    const spread = denial('NOT_FOUND', 'x', { field: 'f', ...extra });
    // @ts-expect-error nor in a CodedError's details
    const coded = new CodedError('NOT_FOUND', 'x', { details: { field: 'f', ...extra } });
    const listed = denial('NOT_FOUND', 'x', { field: 'f', productId: 'P' });
    expect([literal.details, spread.details, coded.extensions.internalHost, listed.details]).toEqual([{ internalHost: 'db01' }, { field: 'f', internalHost: 'db01' }, 'db01', { field: 'f', productId: 'P' }]);
  });
});
