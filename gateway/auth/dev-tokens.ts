/**
 * Tokens from the local development issuer (core/keys.ts), for `npm run token`, the start
 * script's example token and integration tests. Only ever trusted where no JWKS_FILE/JWKS_URL
 * is configured, which config forbids in production.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../../core/config.js';
import type { SigningKey } from '../../core/keys.js';

/** The four data services a demo product token asks for by default. */
export const DEFAULT_SCOPES = ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'] as const;

export interface DevTokenOptions {
  /** `software_id`: makes a product token. Default 'PRD-CERTIFIED' when no `roles` are given. */
  product?: string;
  /** `software_version` of a product token. Default '2.1.0'. */
  version?: string;
  /** `org` (ABN). Default '12345679016' (the demo tax practitioner) for product tokens; none for staff. */
  org?: string;
  /** `scope`, space-separated or a list. Default the four data services for product tokens; none for staff. */
  scope?: string | readonly string[];
  /** Staff `roles`: makes a staff token (no `software_id`). Cannot be combined with `product`. */
  roles?: readonly string[];
  /** `developer_id` (for dsp:developer staff). Default none. */
  developer?: string;
  /** Adds 'mfa' to `amr` (['pwd', 'mfa']). Default false (['pwd']). */
  mfa?: boolean;
  /** Lifetime in seconds. Default 900. */
  ttlS?: number;
  /** `sub`. Default 'demo-user'. */
  sub?: string;
  /** `iss`. Default the first configured issuer. */
  iss?: string;
  /** `aud`. Default the configured audience. */
  aud?: string;
  /** `jti`. Default a random UUID. */
  jti?: string;
  /** Issue time, ms since the epoch. Default `Date.now()`. */
  now?: number;
  /** `cnf.jkt`: binds the token to the key with this RFC 7638 thumbprint (DPoP, RFC 9449). Default unbound. */
  jkt?: string;
  /** Extra or overriding claims (tests of odd tokens). Applied last. */
  extraClaims?: Record<string, unknown>;
}

/** Builds the claims set (exported for tests and for printing what a token holds). */
export function devTokenClaims(options: DevTokenOptions, config: { auth: Pick<Config['auth'], 'issuers' | 'audience'> }): Record<string, unknown> {
  const roles = options.roles ?? [];
  if (roles.length > 0 && options.product !== undefined) throw new TypeError('a token is either a product token (product) or a staff token (roles), not both');
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const ttlS = options.ttlS ?? 900;
  if (!Number.isInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS must be a positive integer');
  const isStaff = roles.length > 0;
  const scope = options.scope ?? (isStaff ? undefined : DEFAULT_SCOPES);
  const claims: Record<string, unknown> = {
    iss: options.iss ?? config.auth.issuers[0],
    aud: options.aud ?? config.auth.audience,
    sub: options.sub ?? 'demo-user',
    jti: options.jti ?? randomUUID(),
    iat,
    exp: iat + ttlS,
    amr: options.mfa ? ['pwd', 'mfa'] : ['pwd'],
  };
  if (isStaff) {
    claims.roles = [...roles];
  } else {
    claims.software_id = options.product ?? 'PRD-CERTIFIED';
    claims.software_version = options.version ?? '2.1.0';
  }
  const org = options.org ?? (isStaff ? undefined : '12345679016');
  if (org !== undefined) claims.org = org;
  if (scope !== undefined) claims.scope = typeof scope === 'string' ? scope : scope.join(' ');
  if (options.developer !== undefined) claims.developer_id = options.developer;
  if (options.jkt !== undefined) claims.cnf = { jkt: options.jkt };
  return { ...claims, ...options.extraClaims };
}

/** Signs a development token with `key` (the development issuer from ensureKeys). */
export async function signDevToken(key: SigningKey, options: DevTokenOptions, config: { auth: Pick<Config['auth'], 'issuers' | 'audience'> }): Promise<string> {
  return new SignJWT(devTokenClaims(options, config)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}
