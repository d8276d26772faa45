// The console's one door to data: the gateway's own /graphql with the signed-in staff token. The
// token lives in this module's memory only (never localStorage, sessionStorage or a cookie): a
// reload or a closed tab ends the session, and so does the token's expiry.

let operations = {};
let devTools = null;
let session = null;
let expiryTimer = null;
const listeners = new Set();

/** Loads the documented operations (docs/operations) the console sends, and the development tools on offer. */
export async function loadCatalogue() {
  const res = await fetch('/console/operations.json', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`the console's operations could not be loaded (${res.status})`);
  const body = await res.json();
  operations = body.operations;
  devTools = body.devTools;
}
export const catalogue = () => operations;
export const devToolsOffered = () => devTools;

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function emit(reason) {
  for (const l of listeners) l(session, reason);
}
export const currentSession = () => session;

/** The token's claims, read (not verified: the gateway verifies) to know which views to offer. */
export function claimsOf(token) {
  const part = String(token).split('.')[1];
  if (!part) throw new Error('This is not a JSON Web Token.');
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

const ROLE_ORDER = [['ato:admin', 'admin'], ['ato:auditor', 'auditor'], ['dsp:developer', 'developer']];

/** Starts a session with `token`, or throws with what is wrong with it for the console. */
export function signIn(token) {
  // A JWT holds no white space: a token wrapped by a terminal or mail client, pasted into the
  // textarea (which keeps line breaks, unlike an <input>), is joined again, not sent with a line
  // break that fetch refuses before it leaves the page.
  token = String(token).trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
  let claims;
  try {
    claims = claimsOf(token);
  } catch {
    throw new Error('This is not a token the console can read.');
  }
  if (claims.software_id) throw new Error('This is a product token: the console is for ATO and DSP staff.');
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  const role = ROLE_ORDER.find(([r]) => roles.includes(r))?.[1];
  if (!role) throw new Error('The token holds no staff role (ato:admin, ato:auditor or dsp:developer).');
  if (!Array.isArray(claims.amr) || !claims.amr.includes('mfa')) throw new Error('MFA required: sign in with multi-factor authentication (amr must contain mfa).');
  const expiresAt = Number(claims.exp) * 1000;
  if (!(expiresAt > Date.now())) throw new Error('The token has expired.');
  session = { token, role, sub: String(claims.sub ?? ''), developerId: claims.developer_id ?? null, roles, expiresAt };
  clearTimeout(expiryTimer);
  // setTimeout's limit is about 24.8 days; staff tokens last minutes to hours.
  expiryTimer = setTimeout(() => signOut('Your session expired: sign in again.'), Math.min(expiresAt - Date.now(), 2 ** 31 - 1));
  emit(null);
  return session;
}

export function signOut(reason = null) {
  clearTimeout(expiryTimer);
  session = null;
  emit(reason);
}

/** "Sign in as" (development only): a demo identity's token from the local issuer. */
export async function signInAs(as, name) {
  const res = await fetch('/console/dev/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ as, ...(name ? { name } : {}) }) });
  const body = await res.json();
  if (!res.ok) throw new Error(body.errors?.[0]?.message ?? `sign-in failed (${res.status})`);
  return signIn(body.token);
}

/** A development product token for `productId` (admins only, development only). */
export async function mintProductToken(productId, version) {
  const res = await fetch('/console/dev/product-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session?.token ?? ''}` },
    body: JSON.stringify({ productId, ...(version ? { version } : {}) }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.errors?.[0]?.extensions?.code ?? `failed (${res.status})`);
  return body.token;
}

/** Posts a GraphQL request with `token`; answers { status, data, errors } and never throws for a GraphQL refusal. */
export async function post(document, operationName, variables, token) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: document, operationName, variables }),
    });
  } catch {
    return { status: 0, data: null, errors: [{ message: 'The gateway could not be reached.', extensions: { code: 'NETWORK_ERROR' } }] };
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = { errors: [{ message: `The gateway answered ${res.status}.`, extensions: { code: 'BAD_RESPONSE' } }] };
  }
  return { status: res.status, data: body.data ?? null, errors: body.errors ?? [] };
}

/**
 * The filtered access log as CSV from the gateway's export (POST /audit/export, auditors only; the
 * criteria in the body, so a client id never goes into a URL that proxies log):
 * { blob, filename, errors: [] }, or { errors } as /graphql gives them when refused.
 */
export async function exportAccessLog(filter) {
  const criteria = new URLSearchParams({ format: 'csv' });
  for (const [k, v] of Object.entries(filter)) if (v !== null && v !== undefined && v !== '') criteria.set(k, String(v));
  let res;
  try {
    // A URLSearchParams body is sent as application/x-www-form-urlencoded.
    res = await fetch('/audit/export', { method: 'POST', body: criteria, headers: { accept: 'text/csv', authorization: `Bearer ${session?.token ?? ''}` } });
  } catch {
    return { errors: [{ message: 'The gateway could not be reached.', extensions: { code: 'NETWORK_ERROR' } }] };
  }
  if (!res.ok) {
    let errors;
    try {
      errors = (await res.json()).errors;
    } catch {
      errors = null;
    }
    errors = errors?.length ? errors : [{ message: `The gateway answered ${res.status}.`, extensions: { code: 'BAD_RESPONSE' } }];
    const codes = errors.map((e) => e.extensions?.code);
    if (session && (codes.includes('TOKEN_EXPIRED') || codes.includes('UNAUTHENTICATED'))) signOut(codes.includes('TOKEN_EXPIRED') ? 'Your session expired: sign in again.' : 'The gateway did not accept your token: sign in again.');
    return { errors };
  }
  const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'access-log.csv';
  return { blob: await res.blob(), filename, errors: [] };
}

/** Runs a documented operation (`folder/Name`) with the session's token. */
export async function run(operationId, variables = {}) {
  const op = operations[operationId];
  if (!op) throw new Error(`unknown operation ${operationId}`);
  const result = await post(op.document, op.name, variables, session?.token);
  const codes = result.errors.map((e) => e.extensions?.code);
  if (session && (codes.includes('TOKEN_EXPIRED') || codes.includes('UNAUTHENTICATED'))) signOut(codes.includes('TOKEN_EXPIRED') ? 'Your session expired: sign in again.' : 'The gateway did not accept your token: sign in again.');
  return result;
}

export const codesOf = (result) => (result?.errors ?? []).map((e) => e.extensions?.code).filter(Boolean);
