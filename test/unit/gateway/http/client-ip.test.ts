import type { IncomingMessage } from 'node:http';
import { createClientIpResolver, trustedProxyList } from '../../../../gateway/http/client-ip.js';

const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('client address', () => {
  it('uses the socket address and ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(createClientIpResolver([])(req('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(createClientIpResolver(['10.0.0.0/8'])(req('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });
  it('takes the right-most untrusted hop when the peer is a trusted proxy', () => {
    const resolve = createClientIpResolver(['10.0.0.0/8', '172.16.0.5']);
    // A forged left-most entry does not win: the right-most hop not added by a trusted proxy does.
    expect(resolve(req('10.1.2.3', '1.1.1.1, 198.51.100.7, 172.16.0.5'))).toBe('198.51.100.7');
  });
  it('unwraps IPv4 addresses on dual-stack sockets', () => {
    expect(createClientIpResolver(['127.0.0.1'])(req('::ffff:127.0.0.1', '::ffff:198.51.100.8'))).toBe('198.51.100.8');
  });
  it('falls back to the peer when a trusted proxy sends no usable header', () => {
    expect(createClientIpResolver(['10.0.0.0/8'])(req('10.0.0.1', 'not-an-ip'))).toBe('10.0.0.1');
  });
  it('refuses a malformed TRUSTED_PROXIES entry', () => {
    expect(() => trustedProxyList(['10.0.0.0/40'])).toThrow();
    expect(() => trustedProxyList(['proxy.internal'])).toThrow();
  });
});
