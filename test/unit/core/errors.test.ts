import { readFileSync } from 'node:fs';
import { ERROR_CODES, CodedError, httpStatusOf } from '../../../core/errors.js';

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
