/**
 * From a signature-verified JWT payload to a VerifiedToken: lifetime bounds that jose does not
 * check, claim types, and the product/staff split. Pure; returns a denial, never throws.
 */
import { z } from 'zod';
import { denial, type Denial } from '../../core/errors.js';
import { KNOWN_ROLES, type VerifiedToken } from '../../core/verified-token.js';

const claimsSchema = z.object({
  // Keys the staff quota and names the actor in the register's history and the access log: at
  // least one visible character, no control or invisible formatting characters (review s18c F9).
  // Also no surrogate, private-use or unassigned code point, and none of the characters that show
  // as nothing (a combining grapheme joiner, variation selectors, Hangul fillers, a blank braille
  // cell), so no two subs that look alike differ (review s18d F9).
  sub: z.string().regex(/^(?=[^]*[^\s\p{Cf}\u034F\u115F\u1160\u2800\u3164\uFFA0\uFE00-\uFE0F\u{E0100}-\u{E01EF}])[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u034F\u115F\u1160\u2800\u3164\uFFA0\uFE00-\uFE0F\u{E0100}-\u{E01EF}]+$/u, 'printable, not only spaces'),
  iss: z.string().min(1),
  exp: z.number(),
  iat: z.number(),
  jti: z.string().min(1).optional(),
  software_id: z.string().min(1).optional(),
  software_version: z.string().min(1).optional(),
  org: z.string().regex(/^\d{11}$/, 'an ABN of 11 digits').optional(),
  scope: z.string().optional(),
  roles: z.array(z.string()).optional(),
  amr: z.array(z.string()).optional(),
  developer_id: z.string().min(1).optional(),
  // RFC 9449 §6: the key the token is bound to. A confirmation the gateway cannot check (say an
  // mTLS `x5t#S256` alone) is refused as a claim of the wrong type rather than ignored.
  // Strict: a `jkt` beside another method (say `x5t#S256`) would silently drop that binding.
  cnf: z.object({ jkt: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an RFC 7638 SHA-256 thumbprint') }).strict().optional(),
});

const knownRoles: ReadonlySet<string> = new Set(KNOWN_ROLES);

export interface LifetimeBounds {
  maxLifetimeS: number;
  clockToleranceS: number;
}

/**
 * `payload` has passed jose (signature, algorithm, iss, aud, exp, nbf, presence of exp/iat/sub);
 * `nowS` is the injected clock in seconds.
 */
export function verifiedTokenFrom(payload: Record<string, unknown>, nowS: number, bounds: LifetimeBounds): { token: VerifiedToken } | { denial: Denial } {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    // Name the claims, never their values.
    const claims = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))];
    return { denial: denial('UNAUTHENTICATED', 'The token claims have the wrong types.', { reason: 'claim_type', claims }) };
  }
  const c = parsed.data;
  // A stolen long-lived token is the risk: bound the lifetime the issuer granted, and (since iat is
  // the issuer's word) also how far ahead of our clock the expiry and the issue time may lie.
  if (c.exp - c.iat > bounds.maxLifetimeS || c.exp - nowS > bounds.maxLifetimeS + bounds.clockToleranceS || c.iat > nowS + bounds.clockToleranceS) {
    return { denial: denial('UNAUTHENTICATED', 'The token lifetime exceeds the maximum.', { reason: 'lifetime' }) };
  }
  const mfa = c.amr?.includes('mfa') ?? false;
  // RFC 6749 §3.3: scope tokens are delimited by a space (%x20) alone. Splitting on \s would read
  // `clients.read<NBSP>accounts.read`, one scope to the issuer, as two grants here (review s19d);
  // a token holding any other character (a tab, a line break, non-ASCII) is kept whole and so
  // matches no service.
  const scopes = c.scope ? c.scope.split(' ').filter(Boolean) : [];
  const base = { sub: c.sub, iss: c.iss, jti: c.jti ?? null, exp: c.exp, org: c.org ?? null, scopes, mfa, ...(c.cnf ? { jkt: c.cnf.jkt } : {}) };
  if (c.software_id !== undefined) {
    // A product token never carries staff powers, whatever its issuer put in it.
    return { token: { ...base, kind: 'product', softwareId: c.software_id, softwareVersion: c.software_version ?? null, roles: [], developerId: null } };
  }
  const roles = [...new Set((c.roles ?? []).filter((r) => knownRoles.has(r)))];
  if (roles.length === 0) return { denial: denial('UNAUTHENTICATED', 'A token without software_id must carry a known staff role.', { reason: 'role' }) };
  return { token: { ...base, kind: 'staff', softwareId: null, softwareVersion: null, roles, developerId: c.developer_id ?? null } };
}
