/**
 * The one place jose's errors become our codes. Messages are fixed strings: neither the token
 * nor jose's own message (which can quote claim values) reaches the client or a log.
 */
import { denial, type Denial } from '../../core/errors.js';
import { KeySourceUnavailableError } from './key-source.js';

const REASONS: Record<string, string> = {
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'ambiguous_key',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'claims',
};

export function mapJoseError(err: unknown): Denial {
  if (err instanceof KeySourceUnavailableError) return denial('AUTH_PROVIDER_UNAVAILABLE', 'The token issuer keys are unavailable; try again later.');
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_JWKS_TIMEOUT') return denial('AUTH_PROVIDER_UNAVAILABLE', 'The token issuer keys are unavailable; try again later.');
  if (code === 'ERR_JWT_EXPIRED') return denial('TOKEN_EXPIRED', 'The token has expired.');
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    // jose names the failing registered claim (iss, aud, nbf, exp, iat, sub): safe and useful to a developer.
    const claim = (err as { claim?: unknown }).claim;
    return denial('UNAUTHENTICATED', 'The token claims are not acceptable.', { reason: 'claims', ...(typeof claim === 'string' ? { claim } : {}) });
  }
  const reason = typeof code === 'string' ? REASONS[code] : undefined;
  // Anything unknown (including non-jose errors) fails closed as UNAUTHENTICATED.
  return denial('UNAUTHENTICATED', 'The token is not valid.', { reason: reason ?? 'invalid' });
}
