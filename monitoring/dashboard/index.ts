/**
 * The operations dashboard: `GET /dashboard` (a page with no data in it), its script and style
 * (served from here, no CDN), and `GET /dashboard/data` (the JSON it polls every 2 s), which
 * needs a staff token, counts on the staff rate limit and leaves an access record (DashboardData). The page itself is public on purpose: it holds nothing but a form asking
 * for the token, so it can be bookmarked, and every number on it comes from the guarded endpoint.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, sendText } from '../../core/http.js';
import { buildDashboardData, type DashboardSources } from './data.js';

export interface DashboardDeps extends DashboardSources {
  /**
   * Serves `GET /dashboard/data` behind the staff checks (a token of ato:admin or ato:auditor with
   * MFA, the staff rate limit, an access record committed before the data leaves): `read` builds
   * the data, `headers` go on every answer. The gateway passes its staff read (gateway/http/staff-read.ts).
   */
  serveData(req: IncomingMessage, res: ServerResponse, read: () => Promise<unknown>, headers: Readonly<Record<string, string>>): Promise<void>;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  /** Open incidents whose deadline is this close are flagged "due soon". Default 4 h (audit/incidents.ts DUE_SOON_MS). */
  dueSoonMs?: number;
  /** Stored open alerts not seen for this long are left off the page (an instance stopped without closing them). Default 3600000 (1 h). */
  alertMaxAgeMs?: number;
}

export interface Dashboard {
  /** Serves the request when its path is under /dashboard; resolves false (untouched) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export const DASHBOARD_PATH = '/dashboard';

// Scripts and styles only from this origin, data only from this origin, no framing: an injected
// alert message (alert text can echo attacker-chosen ids) can neither run nor phone home.
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function asset(name: string): string {
  return readFileSync(new URL(`./static/${name}`, import.meta.url), 'utf8');
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const now = deps.now ?? Date.now;
  // Read once at start-up: a missing file fails the gateway start, not an operator's page load.
  const assets = new Map<string, { body: string; type: string }>([
    ['', { body: asset('index.html'), type: 'text/html; charset=utf-8' }],
    ['/', { body: asset('index.html'), type: 'text/html; charset=utf-8' }],
    ['/app.js', { body: asset('app.js'), type: 'text/javascript; charset=utf-8' }],
    ['/app.css', { body: asset('app.css'), type: 'text/css; charset=utf-8' }],
    ['/favicon.svg', { body: asset('favicon.svg'), type: 'image/svg+xml' }],
  ]);

  return {
    async handle(req, res) {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
      const rest = path.slice(DASHBOARD_PATH.length);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, errorBody('METHOD_NOT_ALLOWED', 'The dashboard answers GET only.'), { ...SECURITY_HEADERS, allow: 'GET, HEAD' });
        return true;
      }
      const file = assets.get(rest);
      if (file) {
        sendText(res, 200, req.method === 'HEAD' ? '' : file.body, { ...SECURITY_HEADERS, 'content-type': file.type });
        return true;
      }
      if (rest !== '/data') {
        sendText(res, 404, errorBody('NOT_FOUND', 'Not found'), SECURITY_HEADERS);
        return true;
      }
      await deps.serveData(req, res, () => buildDashboardData(deps, now(), deps.dueSoonMs, deps.alertMaxAgeMs), SECURITY_HEADERS);
      return true;
    },
  };
}

export type { DashboardData, DashboardAlert, DashboardIncident, DashboardProduct } from './data.js';
