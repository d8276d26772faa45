/** What directive evaluators know about the caller: verified claims joined with the register. */
import type { AuthorisationAnswer } from '../../registry/authorisations.js';
import type { CertificationTier } from '../../registry/model.js';

export interface CallerProduct {
  id: string;
  /** Whitelisted services on the register. */
  services: ReadonlySet<string>;
  tier: CertificationTier | null;
  /** Every declared data hosting location is in Australia. */
  onshore: boolean;
}

export interface Caller {
  kind: 'product' | 'staff';
  sub: string;
  org: string | null;
  scopes: ReadonlySet<string>;
  roles: ReadonlySet<string>;
  mfa: boolean;
  /** Present for third-party (product) tokens only. */
  product: CallerProduct | null;
  /**
   * Whether `org` may act for the client at `now` (an authorisation on the register, or the org is
   * the client), with the instant until which the answer holds by the clock. The instant is the
   * decision's, passed in, never one captured when the caller was resolved.
   */
  clientAuthorisation(clientId: string, now: number): AuthorisationAnswer;
  /** Instant until which the register facts behind this caller hold by the clock alone (certification, suspension); Infinity if unbounded. */
  holdsUntil: number;
}
