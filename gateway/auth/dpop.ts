/**
 * Sender-constrained tokens (DPoP, RFC 9449). A token carrying `cnf.jkt` is bound to a key: it is
 * served only as `Authorization: DPoP <token>` with a `DPoP` header holding a proof, a JWT signed
 * by that key for this very request. So a stolen token is useless without the product's private
 * key. A product whose register entry requires binding is served only with such tokens, signed
 * by one of its registered keys.
 *
 * Two parts, in the shape of every other check here:
 * - `senderConstraintFor`: pure, from the verified token, how it was presented and the product
 *   on the register, whether a proof is needed (and for which key) or the request is refused;
 * - `createDpopVerifier`: the proof check (jose's jwtVerify with the embedded JWK, imported once
 *   per key, and calculateJwkThumbprint; then htm, htu,
 *   iat window, ath and the jti replay cache). It returns a denial, it never throws.
 *
 * Every refusal is UNAUTHENTICATED (401) with `extensions.reason: "dpop"` and `extensions.dpop`
 * naming the problem (docs/errors.md), and a `WWW-Authenticate: DPoP algs="…"` challenge.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { RateLimiterRes, type RateLimiterLike } from 'rate-limiter-flexible';
import { idleExpiryOptions, purgeStaleBytes, type IdleExpiry } from '../../core/idle-expiry.js';
import { denial, type Denial } from '../../core/errors.js';
import type { Presentation, VerifiedToken } from '../../core/verified-token.js';
import type { RateLimiterSpec } from '../../limits/rate-limit.js';
import { bindingRequired } from '../../registry/key-binding.js';
import type { Product } from '../../registry/model.js';

/** Longest DPoP header accepted: a proof with an RSA-4096 JWK is about 1.5 KB. */
export const DPOP_MAX_PROOF_BYTES = 8192;
/** Longest `jti` accepted (RFC 9449 suggests 96 bits of randomness; a UUID is 36 characters). */
export const DPOP_MAX_JTI_LENGTH = 256;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** JWK members that only a private (or symmetric) key has: a proof carrying one leaks its key, or is not a public key at all. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Key types a proof's public key may have (asymmetric only). */
const PUBLIC_KEY_TYPES = new Set(['EC', 'OKP', 'RSA']);

/** What was wrong, in `extensions.dpop` (docs/errors.md lists them). */
export type DpopProblem =
  /** The product requires bound tokens and this one is a bearer token. */
  | 'binding_required'
  /** A DPoP-bound token (`cnf.jkt`) was presented with the Bearer scheme. */
  | 'bound_token_as_bearer'
  /** `Authorization: DPoP` with a token that carries no `cnf.jkt`. */
  | 'token_not_bound'
  /** The token is bound to a key the product's register entry does not list. */
  | 'key_not_registered'
  | 'proof_missing'
  /** More than one DPoP header. */
  | 'proof_ambiguous'
  /** Not a compact JWS, too large, wrong `typ`, an algorithm not accepted, no public `jwk`, or claims missing or of the wrong type. */
  | 'proof_malformed'
  /** The proof's key is not the one the token is bound to. */
  | 'proof_key_mismatch'
  | 'proof_signature'
  | 'proof_htm'
  | 'proof_htu'
  | 'proof_iat'
  | 'proof_ath'
  | 'proof_replayed';

const MESSAGES: Record<DpopProblem, string> = {
  binding_required: "This product's tokens must be DPoP-bound: send Authorization: DPoP with a DPoP proof.",
  bound_token_as_bearer: 'This token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof, not as Bearer.',
  token_not_bound: 'The DPoP scheme needs a DPoP-bound token (cnf.jkt).',
  key_not_registered: "The token is bound to a key that is not on the product's register entry.",
  proof_missing: 'A DPoP proof (the DPoP header) is required.',
  proof_ambiguous: 'Send exactly one DPoP header.',
  proof_malformed: 'The DPoP proof is not a well-formed dpop+jwt with a public jwk and the required claims.',
  proof_key_mismatch: 'The DPoP proof is signed by another key than the one the token is bound to.',
  proof_signature: 'The DPoP proof signature does not verify.',
  proof_htm: "The DPoP proof is for another HTTP method (htm).",
  proof_htu: 'The DPoP proof is for another URL (htu).',
  proof_iat: 'The DPoP proof was issued (iat) outside the accepted window.',
  proof_ath: 'The DPoP proof is for another access token (ath).',
  proof_replayed: 'This DPoP proof (jti) was used before.',
};

/** `WWW-Authenticate: DPoP …` (RFC 9449 §7.1): the algorithms accepted, and the error when there is one. */
export function dpopChallenge(algorithms: readonly string[], error: 'invalid_token' | 'invalid_dpop_proof' | null = null): string {
  return `DPoP ${error ? `error="${error}", ` : ''}algs="${algorithms.join(' ')}"`;
}

export function dpopDenial(problem: DpopProblem, algorithms: readonly string[]): Denial {
  const error = problem.startsWith('proof_') ? 'invalid_dpop_proof' : 'invalid_token';
  return { ...denial('UNAUTHENTICATED', MESSAGES[problem], { reason: 'dpop', dpop: problem }), headers: { 'www-authenticate': dpopChallenge(algorithms, error) } };
}

export function boundTokenAsBearer(algorithms: readonly string[]): Denial {
  return dpopDenial('bound_token_as_bearer', algorithms);
}

/** What the request needs: nothing more (an unbound Bearer token where binding is not required), a proof by `jkt`, or a refusal. */
export type SenderConstraint = { kind: 'none' } | { kind: 'proof'; jkt: string } | { kind: 'refused'; denial: Denial };

/**
 * Pure. `product` is the register's entry for a product token (null for staff tokens, which
 * are bound only when they carry `cnf.jkt`).
 */
export function senderConstraintFor(token: VerifiedToken, presentation: Presentation, product: Pick<Product, 'keyBinding'> | null, algorithms: readonly string[]): SenderConstraint {
  const refused = (problem: DpopProblem): SenderConstraint => ({ kind: 'refused', denial: dpopDenial(problem, algorithms) });
  if (token.jkt === undefined) {
    // RFC 9449 §7.1: the DPoP scheme says the token is bound; one that is not is refused rather than served as a bearer token.
    if (presentation.scheme === 'DPoP') return refused('token_not_bound');
    return bindingRequired(product) ? refused('binding_required') : { kind: 'none' };
  }
  if (presentation.scheme !== 'DPoP') return refused('bound_token_as_bearer');
  // The register is the authority on a product's keys: when it lists some, the issuer may not bind the token to another.
  const registered = product?.keyBinding?.thumbprints ?? [];
  if ((registered.length > 0 || bindingRequired(product)) && !registered.includes(token.jkt)) return refused('key_not_registered');
  return { kind: 'proof', jkt: token.jkt };
}

/** Remembers proof ids (jti) across every gateway instance on the store, so a proof is accepted once. */
export interface ReplayCache {
  /** True the first time `key` is seen within the window, false after; rejects when the store cannot answer (the caller fails closed). */
  firstUse(key: string): Promise<boolean>;
}

/**
 * A replay cache on the store's counters (store/port.ts CounterStore): a limiter allowing one use
 * per key and window, so every instance sharing the store sees the same jti. Bounded: each key
 * expires with its window (RateLimiterSQLite / RateLimiterMongo drop expired keys), and the rate
 * limits bound how many proofs a window can hold. No in-memory insurance limiter, unlike the
 * quotas: a replay cache that forgets is no replay cache, so a store error or timeout rejects;
 * and for the same reason its uses are written durably (RateLimiterSpec.durable).
 */
export function createStoreReplayCache(options: {
  /** Builds a limiter on the active store: pass `store.createRateLimiter`. */
  createStoreLimiter: (spec: RateLimiterSpec) => RateLimiterLike;
  /**
   * The proof window, seconds (DpopVerifierOptions.windowS). A jti is remembered for twice it and
   * one second more: a proof is accepted while |now − iat| ≤ window, so one first used at
   * iat − window can still be presented at iat + window, the instant a span of exactly twice the
   * window would forget it.
   */
  proofWindowS: number;
  /** Longest wait for the store before failing closed. Default 2000 ms (a refusal, so generous: the rate limits' store wait is 250 ms because they have an in-memory fallback). */
  timeoutMs?: number;
}): ReplayCache {
  // durable: on MongoDB a use is acknowledged by a majority, so a failover cannot forget it.
  const limiter = options.createStoreLimiter({ keyPrefix: 'dpop-jti', points: 1, duration: 2 * options.proofWindowS + 1, durable: true });
  const timeoutMs = options.timeoutMs ?? 2000;
  return {
    async firstUse(key) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the DPoP replay cache did not answer in time')), timeoutMs);
      });
      try {
        await Promise.race([limiter.consume(key, 1), timeout]);
        return true;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface DpopVerifierOptions {
  /** Algorithms accepted for proofs (asymmetric only; config `auth.dpopAlgorithms`). */
  algorithms: readonly string[];
  /** How far `iat` may lie from the clock, either way, seconds (config `auth.dpopProofWindowS`). */
  windowS: number;
  /** Seen proof ids. */
  replay: ReplayCache;
  /** Clock, ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Imported public keys kept, by algorithm and thumbprint. Default 1000. */
  keyCacheSize?: number;
  /** A key unused this long is dropped by purgeStale() (CACHE_IDLE_S; the server's cache sweeper calls it). Default 60 000 ms, on performance.now. */
  keyIdle?: IdleExpiry;
}

/** One request's proof and what it must match. */
export interface ProofCheck {
  /** The DPoP header as received (`headerValues(req, 'dpop')`, core/http.ts: every value when repeated). */
  header: string | readonly string[] | undefined;
  /** The request's method, upper case. */
  method: string;
  /** The request's URL without query or fragment, as clients call it. */
  htu: string;
  /** base64url SHA-256 of the access token. */
  ath: string;
  /** The thumbprint the token is bound to. */
  jkt: string;
}

export type ProofResult = { ok: true } | { ok: false; denial: Denial };

export interface DpopVerifier {
  verify(check: ProofCheck): Promise<ProofResult>;
  /** Drops imported keys unused for the idle time; returns the approximate bytes freed. */
  purgeStale(): number;
}

/** RFC 9449 §4.3 step 9: compared after syntax-based normalisation (case of scheme and host, default port), without query and fragment. */
export function normalisedHtu(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * What a failed jwtVerify says about the proof. jose checks the signature first, then the claims:
 * a claim of the wrong type, or an `exp`/`nbf` the clock is outside, comes from a proof whose
 * signature verified, so calling it `proof_signature` would send its developer to the wrong key.
 */
function problemOfJoseError(err: unknown): DpopProblem {
  if (err instanceof joseErrors.JWTExpired) return 'proof_iat';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return (err.claim === 'nbf' || err.claim === 'exp') && err.reason === 'check_failed' ? 'proof_iat' : 'proof_malformed';
  // An unknown `crit` header, or an algorithm jose will not use with this key: the signature was never checked.
  if (err instanceof joseErrors.JOSENotSupported || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'proof_malformed';
  return 'proof_signature';
}

const KEY_CACHE_BYTES = 4 * 1024 * 1024;
const KEY_OVERHEAD_BYTES = 1024;

export function createDpopVerifier(options: DpopVerifierOptions): DpopVerifier {
  const algorithms = [...options.algorithms];
  const accepted = new Set(algorithms);
  const now = options.now ?? Date.now;
  const windowS = options.windowS;
  const refuse = (problem: DpopProblem): ProofResult => ({ ok: false, denial: dpopDenial(problem, algorithms) });
  // Importing the proof's JWK costs as much as verifying the signature (~170 µs for ES256), and a
  // product sends the same key on every request. The thumbprint is a SHA-256 over the key's
  // defining members, so a key found under it is that key: what jose's EmbeddedJWK would import.
  // Bounded in entries and in bytes (a key is charged its JWK's size plus the imported key's
  // overhead, so 4 MiB holds a thousand RSA-4096 keys); only keys a signed token names get here.
  // A key unused for the idle time goes stale, so the sweeper gives its memory back.
  const keys = new LRUCache<string, CryptoKey>({ max: options.keyCacheSize ?? 1000, maxSize: KEY_CACHE_BYTES, ...idleExpiryOptions(options.keyIdle ?? { idleMs: 60_000 }) });
  async function publicKeyOf(jwk: JWK, alg: string, thumbprint: string): Promise<CryptoKey> {
    const id = `${alg}:${thumbprint}`;
    let key = keys.get(id);
    if (!key) {
      const imported = await importJWK({ ...jwk, alg, ext: true }, alg);
      if (imported instanceof Uint8Array || imported.type !== 'public') throw new TypeError('not a public key');
      keys.set(id, (key = imported), { size: JSON.stringify(jwk).length + KEY_OVERHEAD_BYTES });
    }
    return key;
  }

  async function verify(check: ProofCheck): Promise<ProofResult> {
    const { header } = check;
    if (Array.isArray(header) && header.length > 1) return refuse('proof_ambiguous');
    const proof = Array.isArray(header) ? header[0] : (header as string | undefined);
    if (proof === undefined || proof === '') return refuse('proof_missing');
    if (proof.length > DPOP_MAX_PROOF_BYTES || !COMPACT_JWS.test(proof)) return refuse('proof_malformed');

    let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
    try {
      protectedHeader = decodeProtectedHeader(proof);
    } catch {
      return refuse('proof_malformed');
    }
    const jwk = protectedHeader.jwk as JWK | undefined;
    if (protectedHeader.typ !== 'dpop+jwt' || typeof protectedHeader.alg !== 'string' || !accepted.has(protectedHeader.alg)) return refuse('proof_malformed');
    if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || !PUBLIC_KEY_TYPES.has(jwk.kty as string) || PRIVATE_MEMBERS.some((m) => m in jwk)) return refuse('proof_malformed');
    // The thumbprint first: it costs a hash, the signature a verification.
    let thumbprint: string;
    try {
      thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    } catch {
      return refuse('proof_malformed');
    }
    if (thumbprint !== check.jkt) return refuse('proof_key_mismatch');

    let key: CryptoKey;
    try {
      key = await publicKeyOf(jwk, protectedHeader.alg, thumbprint);
    } catch {
      return refuse('proof_malformed');
    }
    const nowMs = now();
    let payload: Record<string, unknown>;
    try {
      // jose checks the typ, the algorithm allow-list, that the key suits the algorithm, the
      // signature, and exp/nbf should the proof carry them (the key is the embedded JWK's, as
      // jose's EmbeddedJWK resolver would give it, imported once per key).
      ({ payload } = await jwtVerify(proof, key, { algorithms, typ: 'dpop+jwt', currentDate: new Date(nowMs) }));
    } catch (err) {
      return refuse(problemOfJoseError(err));
    }
    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > DPOP_MAX_JTI_LENGTH || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
      return refuse('proof_malformed');
    }
    if (htm !== check.method) return refuse('proof_htm');
    const expectedHtu = normalisedHtu(check.htu);
    if (expectedHtu === null || normalisedHtu(htu) !== expectedHtu) return refuse('proof_htu');
    if (Math.abs(nowMs / 1000 - iat) > windowS) return refuse('proof_iat');
    if (ath !== check.ath) return refuse('proof_ath');
    // Last, so only a proof that is otherwise valid spends its jti. Keyed by the key as well, so
    // one key's jti cannot block another's; hashed, so the stored key is bounded whatever the jti.
    const replayKey = createHash('sha256').update(`${thumbprint}\u0000${jti}`).digest('base64url');
    let first: boolean;
    try {
      first = await options.replay.firstUse(replayKey);
    } catch {
      return { ok: false, denial: denial('AUTH_PROVIDER_UNAVAILABLE', 'The DPoP replay cache cannot be reached; requests with proofs are refused until it can.', { reason: 'dpop_replay_cache' }) };
    }
    return first ? { ok: true } : refuse('proof_replayed');
  }

  return {
    async verify(check) {
      try {
        return await verify(check);
      } catch {
        // A bug or an exotic input must not become a 500: fail closed.
        return refuse('proof_malformed');
      }
    },
    purgeStale: () => purgeStaleBytes(keys),
  };
}
