/** Small HTTP helpers shared by the gateway and the subgraph servers (Node's http module, no framework). */
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderMap, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import { isUtf8 } from 'node:buffer';
import type { Denial, ErrorCode } from './errors.js';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The body did not arrive in full: the client closed the connection, or the server's request timeout did. */
export class BodyAbortedError extends Error {
  override readonly name = 'BodyAbortedError';
}

/**
 * Reads the request body, refusing (and stopping reading) past `limit` bytes. Rejects with
 * BodyAbortedError when the request is closed before its end, including a request already closed
 * when it is called (its 'error' and 'close' have been emitted, and would never come again).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.destroyed && !req.readableEnded) {
      reject(new BodyAbortedError('the request was closed before its body ended'));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLargeError(`body over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.resume();
        reject(new BodyTooLargeError(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(new BodyAbortedError('the request was closed before its body ended', { cause: err }));
      }
    });
    req.on('close', () => {
      if (!done) {
        done = true;
        reject(new BodyAbortedError('the request was closed before its body ended'));
      }
    });
  });
}

/**
 * A request body as text, or the coded refusal for it: PAYLOAD_TOO_LARGE past `limit` bytes
 * (`tooLarge` says so in the endpoint's words), REQUEST_TIMEOUT when the server's request timeout
 * cut it (the client was answered 408), BAD_REQUEST when the client closed the request before its
 * body ended or when the body is not well-formed UTF-8 (refused, not decoded with U+FFFD in place
 * of the bad bytes).
 */
export async function readTextBody(req: IncomingMessage, limit: number, tooLarge = 'The request body is too large.'): Promise<{ text: string } | { refusal: Denial }> {
  let raw: Buffer;
  try {
    raw = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return { refusal: { code: 'PAYLOAD_TOO_LARGE', message: tooLarge } };
    if (err instanceof BodyAbortedError) {
      // The server's own timeout answered the client 408 (answerHttpErrorsCoded): its record says the same.
      if (requestTimedOut(req)) return { refusal: REQUEST_TIMED_OUT };
      return { refusal: { code: 'BAD_REQUEST', message: 'The request body was not received in full.' } };
    }
    throw err;
  }
  if (!isUtf8(raw)) return { refusal: { code: 'BAD_REQUEST', message: 'The request body is not well-formed UTF-8.' } };
  return { text: raw.toString('utf8') };
}

/** Header lines read from rawHeaders directly; a request with more is read through headersDistinct (exact as long as the server's maxHeadersCount is at least this). */
const RAW_LINES_READ = 100;

/**
 * Every value of one request header, in order, as `req.headersDistinct[name]` has them (undefined
 * when the request has none), read from the raw header lines without building the object of all
 * distinct headers, which lower-cases every name and allocates an array per header. `name` is
 * lower case.
 */
export function headerValues(req: Pick<IncomingMessage, 'rawHeaders' | 'headersDistinct'>, name: string): string[] | undefined {
  const raw = req.rawHeaders;
  // Node keeps only the first maxHeadersCount lines (1,000 by default) in headers and
  // headersDistinct, while rawHeaders may hold a few more: a request that long is judged on what
  // Node kept, as before (review s30), so no header past that point counts here either.
  if (raw.length >= RAW_LINES_READ * 2) return req.headersDistinct[name];
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i]!;
    if (field.length === name.length && (field === name || field.toLowerCase() === name)) (values ??= []).push(raw[i + 1]!);
  }
  return values;
}

/** The request's headers as Apollo's HeaderMap, repeated values joined as Node joins them: every header, or only `names` (lower case). */
export function headerMapOf(req: Pick<IncomingMessage, 'headers'>, names?: readonly string[]): HeaderMap {
  const headers = new HeaderMap();
  if (names) for (const name of names) setJoined(headers, name, req.headers[name]);
  else for (const [key, value] of Object.entries(req.headers)) setJoined(headers, key, value);
  return headers;
}

function setJoined(headers: HeaderMap, key: string, value: string | string[] | undefined): void {
  if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
}

/** The query string of a request URL, without the `?` ('' when there is none). */
export function searchOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return q >= 0 ? url!.slice(q + 1) : '';
}

/** The request as Apollo takes it; `search` in place of the URL's query string, and only the headers `headerNames` when given. */
export function toHttpGraphQLRequest(req: IncomingMessage, body: unknown, options: { search?: string; headerNames?: readonly string[] } = {}): HTTPGraphQLRequest {
  return { method: (req.method ?? 'GET').toUpperCase(), headers: headerMapOf(req, options.headerNames), search: options.search ?? searchOf(req.url), body };
}

/** The body Apollo produced as one string (we never enable incremental delivery). */
export async function responseBodyText(response: HTTPGraphQLResponse): Promise<string> {
  if (response.body.kind === 'complete') return response.body.string;
  let text = '';
  for await (const chunk of response.body.asyncIterator) text += chunk;
  return text;
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> | Map<string, string> = {}): void {
  const entries = headers instanceof Map ? [...headers.entries()] : Object.entries(headers);
  for (const [k, v] of entries) res.setHeader(k, v);
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
  res.statusCode = status;
  res.end(body);
}

/** A GraphQL-shaped error body for refusals made outside Apollo (bad JSON, 401, 429, ...). */
export function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
}

/**
 * The HTTP timeouts of every server of ours (the gateway's and each subgraph's), in place of
 * Node's defaults (a request may take 300 s to arrive, an idle connection is kept 5 s):
 * - keepAliveTimeout 65 s: longer than the idle timeout of the load balancers and proxies in
 *   front (commonly 60 s), so it is never the server that closes a connection a proxy is about
 *   to reuse. Since Node 18 the time a connection waits idle for its next request does not count
 *   towards the header timeout, so that one need not exceed this (checked on Node 20);
 * - requestTimeout 30 s: a whole request, headers and body, must arrive within it, so a client
 *   that trickles one in holds its socket no longer than that;
 * - headersTimeout 30 s: not above requestTimeout. Set above it (as this gateway had it, 66 s)
 *   Node swaps the two: the headers then had 30 s and the whole request 66;
 * - connectionsCheckingInterval 1 s: Node checks the two timeouts above only at this interval
 *   (its default is 30 s, so a request could take up to 60 s to be cut). Read when the server
 *   starts listening, so applyServerTimeouts must be called before `listen`.
 * A request cut by them is answered 408 and its connection closed (answerHttpErrorsCoded).
 */
export const SERVER_TIMEOUTS = { keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 } as const;

/** Sets SERVER_TIMEOUTS on `server`; call it before `server.listen`. */
export function applyServerTimeouts(server: Server): void {
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeout;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeout;
  // A createServer option that @types/node does not declare as a property; Node reads the
  // property when the server starts listening (setupConnectionsTracking), so setting it here works.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = SERVER_TIMEOUTS.connectionsCheckingInterval;
}

/** The refusal of a request that did not arrive within requestTimeout: the 408's body, and its access record's code. */
const REQUEST_TIMED_OUT: Denial = { code: 'REQUEST_TIMEOUT', message: `The HTTP request did not arrive in full within ${SERVER_TIMEOUTS.requestTimeout / 1000} s.` };

/** Sockets whose request Node cut at requestTimeout (answerHttpErrorsCoded): a handler still reading its body learns why it stopped. */
const timedOut = new WeakSet<object>();

/** Whether `req`'s connection was cut because the request did not arrive within requestTimeout (and was answered 408). */
export function requestTimedOut(req: IncomingMessage): boolean {
  return timedOut.has(req.socket);
}

/**
 * Coded answers where Node's own are bare statuses (or none), for the gateway's server and each
 * subgraph's: a request line or header block Node cannot parse (400, or 431 past the header
 * limit), an `Expect` other than 100-continue (Node: a bare 417), and an HTTP/1.1 request without
 * `Host` (create the server with `requireHostHeader: false`, then call `refusedWithoutHost` first
 * in its handler).
 *
 * The connection is destroyed once the answer is written (answerRawAndClose), as Node does when
 * it answers itself: a client that kept a half-closed connection could go on sending (a request
 * cut by requestTimeout is not timed again, and its handler would read the rest of the body and
 * run it) and hold the socket for as long as it liked.
 */
export function answerHttpErrorsCoded(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // requestTimeout (SERVER_TIMEOUTS) passed before the request arrived in full: Node reports it here too.
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timeout) timedOut.add(socket);
    if (!socket.writable) return socket.destroy();
    if (timeout) return answerRawAndClose(socket, '408 Request Timeout', errorBody(REQUEST_TIMED_OUT.code, REQUEST_TIMED_OUT.message));
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = tooLarge ? errorBody('REQUEST_HEADER_FIELDS_TOO_LARGE', 'The HTTP request headers are too large.') : errorBody('BAD_REQUEST', 'The HTTP request is malformed.');
    answerRawAndClose(socket, status, body);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.setHeader('connection', 'close');
    setEveryAnswerHeaders(res);
    sendText(res, 400, errorBody('BAD_REQUEST', 'Only Expect: 100-continue is supported.'));
  });
}

/**
 * What every answer says, whichever code writes it (the gateway's request handler, Node's own
 * refusals answered here): no browser may read it as another type, and no cache may keep it (a
 * /graphql answer is one caller's view of taxpayer data). A handler may still say otherwise for
 * an answer of its own.
 */
export const EVERY_ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
const EVERY_ANSWER_LINES = Object.entries(EVERY_ANSWER_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('');

export function setEveryAnswerHeaders(res: ServerResponse): void {
  for (const k in EVERY_ANSWER_HEADERS) res.setHeader(k, EVERY_ANSWER_HEADERS[k]!);
}

/**
 * Writes a whole HTTP/1.1 response with a JSON body on a socket the http module no longer
 * answers on (a request it could not parse or did not wait for, a CONNECT), then destroys the
 * socket: ending it would only half-close it, and a client keeping its side open could hold it.
 */
export function answerRawAndClose(socket: Duplex, status: string, body: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\n${EVERY_ANSWER_LINES}${extra}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => socket.destroy());
}

/** Answers an HTTP/1.1 request without `Host` with a coded 400 (true), or leaves it (false). */
export function refusedWithoutHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1 || req.headers.host !== undefined) return false;
  req.resume();
  res.setHeader('connection', 'close');
  sendText(res, 400, errorBody('BAD_REQUEST', 'An HTTP/1.1 request needs a Host header.'));
  return true;
}

/** Listens on host:port (0 = ephemeral) and resolves the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes idle sockets. */
export function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
