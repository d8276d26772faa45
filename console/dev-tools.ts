/**
 * The console's development tools, served only outside production and only while the development
 * issuer is trusted (no JWKS_FILE/JWKS_URL): "sign in as" a demo admin, auditor or developer, and a
 * product token for an admin who wants to see what a product's next request gets. The tokens are
 * the ones `npm run token` prints, minted by the same function (gateway/auth/dev-tokens.ts); they
 * grant nothing the local issuer's key does not already grant to whoever can read `data/keys`.
 */
import type { IncomingMessage } from 'node:http';
import { ADMIN, AUDITOR, DEVELOPER_STAFF, roleDenial } from '../core/roles.js';
import { errorBody, readBody, BodyTooLargeError } from '../core/http.js';
import { httpStatusOf, type ErrorCode } from '../core/errors.js';
import type { AuthResult } from '../core/verified-token.js';
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
}

const refused = (code: ErrorCode, message: string): DevAnswer => ({ status: httpStatusOf(code), body: errorBody(code, message) });

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown> | DevAnswer> {
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

function optionalString(body: Record<string, unknown>, key: string, pattern: RegExp): string | undefined | DevAnswer {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) return refused('BAD_REQUEST', `${key} is malformed.`);
  return value;
}
const isAnswer = (v: unknown): v is DevAnswer => typeof v === 'object' && v !== null && 'status' in v && 'body' in v;

export function createDevTools(options: DevToolsOptions) {
  const now = options.now ?? Date.now;
  const sessionTtlS = options.sessionTtlS ?? 3600;

  async function signIn(body: Record<string, unknown>): Promise<DevAnswer> {
    const as = body.as;
    if (typeof as !== 'string' || !Object.hasOwn(DEMO_IDENTITIES, as)) return refused('BAD_REQUEST', 'as must be admin, auditor or developer.');
    const identity = DEMO_IDENTITIES[as as DemoIdentity];
    const sub = optionalString(body, 'name', SUB);
    if (isAnswer(sub)) return sub;
    const developerId = optionalString(body, 'developerId', REGISTER_ID);
    if (isAnswer(developerId)) return developerId;
    const issuedAt = now();
    const token = await options.sign({
      roles: identity.roles,
      sub: sub ?? identity.sub,
      mfa: true,
      ttlS: sessionTtlS,
      now: issuedAt,
      ...(identity.developerId ? { developer: developerId ?? identity.developerId } : {}),
    });
    return { status: 200, body: JSON.stringify({ token, expiresAt: new Date(Math.floor(issuedAt / 1000) * 1000 + sessionTtlS * 1000).toISOString() }) };
  }

  async function productToken(req: IncomingMessage, body: Record<string, unknown>): Promise<DevAnswer> {
    const auth = await options.authenticate(req.headersDistinct.authorization);
    if (!auth.ok) return refused(auth.denial.code, auth.denial.message);
    const denied = auth.token.kind === 'staff' ? roleDenial(auth.token, [ADMIN], 'A development product token') : { code: 'ROLE_REQUIRED' as const, message: 'A development product token needs ato:admin.' };
    if (denied) return refused(denied.code, denied.message);
    const productId = optionalString(body, 'productId', REGISTER_ID);
    if (isAnswer(productId)) return productId;
    if (!productId) return refused('BAD_REQUEST', 'productId is required.');
    const version = optionalString(body, 'version', VERSION);
    if (isAnswer(version)) return version;
    const org = optionalString(body, 'org', ORG);
    if (isAnswer(org)) return org;
    const scope = body.scope;
    if (scope !== undefined && (!Array.isArray(scope) || scope.length > 10 || !scope.every((s) => typeof s === 'string' && SCOPE.test(s)))) return refused('BAD_REQUEST', 'scope must be a list of services.');
    const issuedAt = now();
    const token = await options.sign({
      product: productId,
      sub: `console:${auth.token.sub}`,
      ttlS: PRODUCT_TOKEN_TTL_S,
      now: issuedAt,
      ...(version ? { version } : {}),
      ...(org ? { org } : {}),
      ...(scope ? { scope: scope as string[] } : {}),
    });
    return { status: 200, body: JSON.stringify({ token, expiresAt: new Date(Math.floor(issuedAt / 1000) * 1000 + PRODUCT_TOKEN_TTL_S * 1000).toISOString() }) };
  }

  return {
    identities: () => Object.entries(DEMO_IDENTITIES).map(([as, i]) => ({ as, label: i.label, sub: i.sub, ...(i.developerId ? { developerId: i.developerId } : {}) })),
    /** Serves `/sign-in` or `/product-token` (the path below /console/dev). */
    async handle(path: string, req: IncomingMessage): Promise<DevAnswer> {
      if (path !== '/sign-in' && path !== '/product-token') {
        req.resume();
        return refused('NOT_FOUND', 'Not found');
      }
      const body = await jsonBody(req);
      if (isAnswer(body)) return body;
      return path === '/sign-in' ? signIn(body) : productToken(req, body);
    },
  };
}
