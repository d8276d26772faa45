/**
 * The console's development tools, served only outside production and only while the development
 * issuer is trusted (no JWKS_FILE/JWKS_URL): "sign in as" a demo admin, auditor or developer, and a
 * product token for an admin who wants to see what a product's next request gets. The tokens are
 * the ones `npm run token` prints, minted by the same function (gateway/auth/dev-tokens.ts); they
 * grant nothing the local issuer's key does not already grant to whoever can read `data/keys`.
 *
 * Each request, served or refused, leaves an access record before its answer leaves (operation
 * `DevSignIn` or `DevProductToken`, type `console`): a sign-in under the identity and token id it
 * issued (so every later request with that token traces back to it), a product token under the
 * admin who asked (the token's own requests carry `sub` `console:<admin>`). When the record cannot
 * be written no token leaves (AUDIT_UNAVAILABLE), as for /graphql.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ADMIN, AUDITOR, DEVELOPER_STAFF, roleDenial } from '../core/roles.js';
import { errorBody, readBody, BodyTooLargeError } from '../core/http.js';
import { httpStatusOf, type ErrorCode } from '../core/errors.js';
import type { AuthResult, VerifiedToken } from '../core/verified-token.js';
import type { DevTokenOptions } from '../gateway/auth/dev-tokens.js';

export interface DevToolsOptions {
  /** Signs a token with the development issuer (signDevToken bound to its key and the config). */
  sign(options: DevTokenOptions): Promise<string>;
  /** Verifies an Authorization header as /graphql does (minting a product token needs an admin). */
  authenticate(header: string | readonly string[] | undefined): Promise<AuthResult>;
  /** Lifetime of a console session's token, seconds (at most TOKEN_MAX_LIFETIME_S). Default 3600. */
  sessionTtlS?: number;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  /** PUBLIC_URL's host name, also accepted in a request's Host besides localhost and IP addresses. Default none. */
  publicHost?: string | null;
  /**
   * Writes the access record of one request (served or refused) before its answer leaves; resolves
   * the record's request id, or null when it could not be written (the answer is then
   * AUDIT_UNAVAILABLE and no token leaves). The gateway passes one bound to its access-log writer.
   */
  record(req: IncomingMessage, arrival: DevArrival, action: DevAction): Promise<string | null>;
}

/** When a development-tool request arrived: the wall clock (ms) and performance.now() then. */
export interface DevArrival {
  arrivedAt: number;
  startedAt: number;
}

/** What a development-tool request did, for its access record. */
export interface DevAction {
  operationName: 'DevSignIn' | 'DevProductToken' | null;
  /** For a sign-in the token it issued (verified as any request's); for a product token the admin's (or whoever asked); null when there was none. */
  token: VerifiedToken | null;
  status: number;
  errorCodes: string[];
}

export type DemoIdentity = 'admin' | 'auditor' | 'developer';

/** Who "sign in as" offers: the role, the default subject and, for developer staff, the demo developer. */
export const DEMO_IDENTITIES: Record<DemoIdentity, { roles: string[]; sub: string; developerId?: string; label: string }> = {
  admin: { roles: [ADMIN], sub: 'demo-admin', label: 'ATO administrator' },
  auditor: { roles: [AUDITOR], sub: 'demo-auditor', label: 'Auditor' },
  developer: { roles: [DEVELOPER_STAFF], sub: 'demo-developer', developerId: 'DEV-GOOD', label: 'DSP developer staff (DEV-GOOD)' },
};

const SUB = /^[A-Za-z0-9._@-]{1,64}$/;
const REGISTER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const ORG = /^\d{11}$/;
const SCOPE = /^[a-z]+\.[a-z]+$/;
const PRODUCT_TOKEN_TTL_S = 900;

export interface DevAnswer {
  status: number;
  body: string;
  /** Response headers (x-request-id: the access record's request id). */
  headers?: Record<string, string>;
}

type Refusal = DevAnswer & { code: ErrorCode };
/**
 * Whether a request's Host names this machine as no rebound name can: localhost (or a name under
 * .localhost, which resolves to loopback only), an IP address, or the configured public host.
 */
export function addressedHere(host: string | undefined, publicHost: string | null): boolean {
  if (!host) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  const bare = name.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare.endsWith('.localhost') || isIP(bare) !== 0 || (publicHost !== null && bare === publicHost.toLowerCase());
}

const refused = (code: ErrorCode, message: string): Refusal => ({ status: httpStatusOf(code), body: errorBody(code, message), code });

/** An answer and who it was for, before it is recorded. */
interface Outcome {
  answer: DevAnswer & { code?: ErrorCode };
  token: VerifiedToken | null;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown> | Refusal> {
  // JSON only: a cross-site form cannot send it without a preflight, so another site cannot make
  // a browser mint tokens here (and could not read them anyway).
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return refused('BAD_REQUEST', 'Send application/json.');
  try {
    const parsed: unknown = JSON.parse((await readBody(req, 4096)).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return refused('BAD_REQUEST', 'The body must be a JSON object.');
    return parsed as Record<string, unknown>;
  } catch (err) {
    return err instanceof BodyTooLargeError ? refused('PAYLOAD_TOO_LARGE', 'The request body is too large.') : refused('BAD_REQUEST', 'The body is not valid JSON.');
  }
}

function optionalString(body: Record<string, unknown>, key: string, pattern: RegExp): string | undefined | Refusal {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) return refused('BAD_REQUEST', `${key} is malformed.`);
  return value;
}
const isAnswer = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'status' in v && 'body' in v;

export function createDevTools(options: DevToolsOptions) {
  const now = options.now ?? Date.now;
  const sessionTtlS = options.sessionTtlS ?? 3600;

  async function signIn(body: Record<string, unknown>): Promise<Outcome> {
    const as = body.as;
    const refusal = (answer: Refusal) => ({ answer, token: null });
    if (typeof as !== 'string' || !Object.hasOwn(DEMO_IDENTITIES, as)) return refusal(refused('BAD_REQUEST', 'as must be admin, auditor or developer.'));
    const identity = DEMO_IDENTITIES[as as DemoIdentity];
    const sub = optionalString(body, 'name', SUB);
    if (isAnswer(sub)) return refusal(sub);
    const developerId = optionalString(body, 'developerId', REGISTER_ID);
    if (isAnswer(developerId)) return refusal(developerId);
    const issuedAt = now();
    const token = await options.sign({
      roles: identity.roles,
      sub: sub ?? identity.sub,
      mfa: true,
      ttlS: sessionTtlS,
      now: issuedAt,
      ...(identity.developerId ? { developer: developerId ?? identity.developerId } : {}),
    });
    // The issued token, verified as any request's would be: its identity and jti go in the record.
    const issued = await options.authenticate(`Bearer ${token}`);
    if (!issued.ok) return refusal(refused(issued.denial.code, issued.denial.message));
    return { answer: { status: 200, body: JSON.stringify({ token, expiresAt: new Date(Math.floor(issuedAt / 1000) * 1000 + sessionTtlS * 1000).toISOString() }) }, token: issued.token };
  }

  async function productToken(req: IncomingMessage, body: Record<string, unknown>): Promise<Outcome> {
    const auth = await options.authenticate(req.headersDistinct.authorization);
    if (!auth.ok) return { answer: refused(auth.denial.code, auth.denial.message), token: null };
    const caller = auth.token;
    const refusal = (answer: Refusal) => ({ answer, token: caller });
    const denied = caller.kind === 'staff' ? roleDenial(caller, [ADMIN], 'A development product token') : { code: 'ROLE_REQUIRED' as const, message: 'A development product token needs ato:admin.' };
    if (denied) return refusal(refused(denied.code, denied.message));
    const productId = optionalString(body, 'productId', REGISTER_ID);
    if (isAnswer(productId)) return refusal(productId);
    if (!productId) return refusal(refused('BAD_REQUEST', 'productId is required.'));
    const version = optionalString(body, 'version', VERSION);
    if (isAnswer(version)) return refusal(version);
    const org = optionalString(body, 'org', ORG);
    if (isAnswer(org)) return refusal(org);
    const scope = body.scope;
    if (scope !== undefined && (!Array.isArray(scope) || scope.length > 10 || !scope.every((s) => typeof s === 'string' && SCOPE.test(s)))) return refusal(refused('BAD_REQUEST', 'scope must be a list of services.'));
    const issuedAt = now();
    const token = await options.sign({
      product: productId,
      sub: `console:${caller.sub}`,
      ttlS: PRODUCT_TOKEN_TTL_S,
      now: issuedAt,
      ...(version ? { version } : {}),
      ...(org ? { org } : {}),
      ...(scope ? { scope: scope as string[] } : {}),
    });
    return { answer: { status: 200, body: JSON.stringify({ token, expiresAt: new Date(Math.floor(issuedAt / 1000) * 1000 + PRODUCT_TOKEN_TTL_S * 1000).toISOString() }) }, token: caller };
  }

  return {
    identities: () => Object.entries(DEMO_IDENTITIES).map(([as, i]) => ({ as, label: i.label, sub: i.sub, ...(i.developerId ? { developerId: i.developerId } : {}) })),
    /** Serves `/sign-in` or `/product-token` (the path below /console/dev), its access record written first. */
    async handle(path: string, req: IncomingMessage): Promise<DevAnswer> {
      const arrival: DevArrival = { arrivedAt: now(), startedAt: performance.now() };
      const operationName = path === '/sign-in' ? 'DevSignIn' : path === '/product-token' ? 'DevProductToken' : null;
      let outcome: Outcome;
      if (req.method !== 'POST') {
        req.resume();
        outcome = { answer: { ...refused('METHOD_NOT_ALLOWED', 'Use POST.'), headers: { allow: 'POST' } }, token: null };
      } else if (!operationName) {
        req.resume();
        outcome = { answer: refused('NOT_FOUND', 'Not found'), token: null };
      } else if (!addressedHere(req.headers.host, options.publicHost ?? null)) {
        // DNS rebinding: a page on another name, its name pointed at this machine, would reach this
        // gateway as its own origin and sign in as an ATO admin. Such a request names that name.
        req.resume();
        outcome = { answer: refused('FORBIDDEN', 'The development tools answer only requests addressed to this machine by localhost, an IP address or PUBLIC_URL\'s host name.'), token: null };
      } else {
        const body = await jsonBody(req);
        outcome = isAnswer(body) ? { answer: body, token: null } : path === '/sign-in' ? await signIn(body) : await productToken(req, body);
      }
      const { answer } = outcome;
      const requestId = await options.record(req, arrival, { operationName, token: outcome.token, status: answer.status, errorCodes: answer.code ? [answer.code] : [] });
      if (requestId === null) return refused('AUDIT_UNAVAILABLE', 'The access log cannot be written; requests are refused until it can.');
      return { status: answer.status, body: answer.body, headers: { ...(answer.headers ?? {}), 'x-request-id': requestId } };
    },
  };
}
