/**
 * The client's address for per-IP quotas and the access log. By default the socket address: an
 * X-Forwarded-For header is the caller's to forge. When the socket peer is a trusted proxy
 * (TRUSTED_PROXIES: addresses or CIDR subnets, e.g. the load balancer's network), the address is
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy — the last hop a
 * trusted proxy saw — so clients behind the balancer do not all share its quota.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { trustedProxyProblem } from '../../core/config.js';

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) → `10.0.0.1`. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses TRUSTED_PROXIES entries; throws on a malformed one (configuration is validated at start). */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const problem = trustedProxyProblem(entry);
    if (problem) throw new Error(problem);
    const [address, prefix] = entry.split('/');
    const type = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(prefix), type);
  }
  return list;
}

export function createClientIpResolver(trustedProxies: readonly string[]): (req: IncomingMessage) => string | null {
  if (trustedProxies.length === 0) return (req) => (req.socket.remoteAddress ? normalise(req.socket.remoteAddress) : null);
  const trusted = trustedProxyList(trustedProxies);
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    const peer = req.socket.remoteAddress ? normalise(req.socket.remoteAddress) : null;
    if (!peer || !isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => normalise(h.trim())).filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!;
    return hops[0] ?? peer;
  };
}
