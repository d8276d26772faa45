/**
 * The staff console: `GET /console` and its static files, served by the gateway. The console is a
 * client of the gateway's own GraphQL API (/graphql) with the signed-in staff token: it holds no
 * data and no privilege of its own, so every action is decided by the same directives and written
 * to the access log like any other request. What is served here:
 *
 * - the page, its modules and style (console/static), Preact and htm from node_modules (no build,
 *   no CDN), and `operations.json`: the documented operations (docs/operations) it sends;
 * - outside production with the development issuer trusted only (`devTools`): `POST
 *   /console/dev/sign-in` ("sign in as" a demo admin, auditor or developer), `POST
 *   /console/dev/product-token` (a product token for an admin to try a request with), each leaving
 *   an access record like any request, and the GraphiQL explorer's files. None of these paths
 *   exists otherwise (404).
 *
 * The page's Content-Security-Policy allows scripts from this origin only (plus the one import map,
 * by its hash), data from this origin only and no framing, so text from the register or the
 * access log can neither run nor send anything elsewhere.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { errorBody, sendText } from '../core/http.js';
import type { ErrorCode } from '../core/errors.js';
import { httpStatusOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { loadOperations, type ConsoleOperation } from './operations.js';
import { createDevTools, type DevToolsOptions } from './dev-tools.js';

export const CONSOLE_PATH = '/console';

export interface ConsoleOptions {
  /** The operations the console may send. Default: loadOperations() (docs/operations). */
  operations?: Map<string, ConsoleOperation>;
  /** Development sign-in, product tokens and the explorer; null (the default) in production or when the development issuer is not trusted. */
  devTools?: DevToolsOptions | null;
  logger?: Logger;
}

export interface Console {
  /** Serves the request when its path is under /console; resolves false (untouched) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Whether the development tools (sign in as, explorer) are served. */
  readonly devTools: boolean;
}

interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};
const typeOf = (file: string): string => TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';

/** The directory of an installed package (also one whose `exports` hides its files), or null when it is not installed. */
export function packageDir(name: string): string | null {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(name) ?? []) if (existsSync(join(dir, name, 'package.json'))) return join(dir, name);
  return null;
}

function vendorFile(pkg: string, file: string): Buffer {
  const dir = packageDir(pkg);
  if (!dir) throw new Error(`console: the package ${pkg} is not installed (npm install)`);
  return readFileSync(join(dir, file));
}

// The modules import Preact by its bare name; the import map says where it is served.
const IMPORT_MAP = JSON.stringify({ imports: { preact: '/console/vendor/preact.mjs', 'preact/hooks': '/console/vendor/hooks.mjs', htm: '/console/vendor/htm.mjs' } });

function securityHeaders(importMapHash: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; script-src 'self' '${importMapHash}'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}

export function createConsole(options: ConsoleOptions = {}): Console {
  const operations = options.operations ?? loadOperations();
  const staticDir = new URL('./static/', import.meta.url);
  const assets = new Map<string, Asset>();
  // Read once at start-up: a missing file fails the gateway's start, not a person's page load.
  const html = readFileSync(new URL('index.html', staticDir), 'utf8').replace('<!--IMPORT_MAP-->', `<script type="importmap">${IMPORT_MAP}</script>`);
  const importMapHash = `sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}`;
  assets.set('', { body: Buffer.from(html), type: TYPES['.html']! });
  assets.set('/', assets.get('')!);
  for (const file of readdirSync(staticDir)) {
    if (file === 'index.html') continue;
    assets.set(`/${file}`, { body: readFileSync(new URL(file, staticDir)), type: typeOf(file) });
  }
  assets.set('/vendor/preact.mjs', { body: vendorFile('preact', 'dist/preact.mjs'), type: TYPES['.mjs']! });
  assets.set('/vendor/hooks.mjs', { body: vendorFile('preact', 'hooks/dist/hooks.mjs'), type: TYPES['.mjs']! });
  assets.set('/vendor/htm.mjs', { body: vendorFile('htm', 'dist/htm.mjs'), type: TYPES['.mjs']! });

  const dev = options.devTools ? createDevTools(options.devTools) : null;
  // The explorer (GraphiQL's packaged bundle on React 18's) is a development dependency: where it
  // is not installed (a production image run in development mode), the console offers no explorer.
  let explorer = false;
  if (dev) {
    try {
      assets.set('/explorer/react.js', { body: vendorFile('react', 'umd/react.production.min.js'), type: TYPES['.js']! });
      assets.set('/explorer/react-dom.js', { body: vendorFile('react-dom', 'umd/react-dom.production.min.js'), type: TYPES['.js']! });
      assets.set('/explorer/graphiql.js', { body: vendorFile('graphiql', 'graphiql.min.js'), type: TYPES['.js']! });
      assets.set('/explorer/graphiql.css', { body: vendorFile('graphiql', 'graphiql.min.css'), type: TYPES['.css']! });
      explorer = true;
    } catch (err) {
      options.logger?.warn({ err: (err as Error).message }, 'console: the API explorer is not installed; the console runs without it');
    }
  }
  const operationsJson = JSON.stringify({
    // Anyone may read this file (the page loads it before sign-in): the examples' variables, which
    // name demo products, developers, organisations and clients, go only with the development tools
    // (whose explorer alone uses them, and which sign anyone in as those demo identities anyway).
    operations: Object.fromEntries([...operations].map(([id, op]) => [id, { name: op.name, type: op.type, summary: op.summary, users: op.users, ...(dev ? { exampleVariables: op.exampleVariables } : {}), document: op.document }])),
    devTools: dev ? { signInAs: dev.identities(), explorer } : null,
  });
  assets.set('/operations.json', { body: Buffer.from(operationsJson), type: TYPES['.json']! });

  const headers = securityHeaders(importMapHash);
  const refuse = (res: ServerResponse, code: ErrorCode, message: string, extra: Record<string, string> = {}) => sendText(res, httpStatusOf(code), errorBody(code, message), { ...headers, ...extra });

  return {
    devTools: dev !== null,
    async handle(req, res) {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
      const rest = path.slice(CONSOLE_PATH.length);
      if (dev && rest.startsWith('/dev/')) {
        const answer = await dev.handle(rest.slice('/dev'.length), req);
        sendText(res, answer.status, answer.body, { ...headers, ...(answer.headers ?? {}) });
        return true;
      }
      const file = assets.get(rest);
      if (!file || (rest.startsWith('/explorer/') && !explorer)) {
        refuse(res, 'NOT_FOUND', 'Not found');
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        refuse(res, 'METHOD_NOT_ALLOWED', 'The console answers GET only.', { allow: 'GET, HEAD' });
        return true;
      }
      res.statusCode = 200;
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.setHeader('content-type', file.type);
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return true;
    },
  };
}
