/**
 * What the rest of the gateway knows about a caller: the verified, type-checked claims of its
 * token. Nothing downstream reads the raw token or its payload.
 */
import type { Denial } from './errors.js';

export { KNOWN_ROLES, type KnownRole } from './roles.js';

export interface VerifiedToken {
  /** The person or system acting. */
  sub: string;
  iss: string;
  /**
   * When the gateway trusts several issuers (TOKEN_ISSUER_KEYS): `iss`, the issuer whose subject
   * `sub` is (one `sub` at two issuers is two people), which the access record and the staff quota
   * then name beside `sub`. Absent with one issuer.
   */
  subjectIssuer?: string;
  /** Token id, logged in place of the token. */
  jti: string | null;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Product on the register; non-null exactly when `kind` is 'product'. */
  softwareId: string | null;
  softwareVersion: string | null;
  /** ABN (11 digits) of the organisation using the software. */
  org: string | null;
  /** Services requested by the token's space-separated `scope`. */
  scopes: string[];
  /** Known staff roles; always [] for product tokens. */
  roles: string[];
  /** For `dsp:developer` staff; always null for product tokens (their developer comes from the register). */
  developerId: string | null;
  /** `amr` contains 'mfa'. */
  mfa: boolean;
  kind: 'product' | 'staff';
  /**
   * The `cnf.jkt` claim: the RFC 7638 thumbprint of the key the token is bound to (DPoP, RFC 9449).
   * Absent for an unbound token. A bound token is served only with a DPoP proof by that key.
   */
  jkt?: string;
}

/** How the token was presented: its Authorization scheme and `ath`, the base64url SHA-256 of the token a DPoP proof must name. */
export interface Presentation {
  scheme: 'Bearer' | 'DPoP';
  ath: string;
}

export type AuthResult = { ok: true; token: VerifiedToken; presentation: Presentation } | { ok: false; denial: Denial };
