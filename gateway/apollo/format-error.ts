/**
 * Apollo's formatError: the one place foreign errors become ours. Known codes pass through
 * (our own, Apollo's request errors, subgraph errors carrying our codes) with their message and
 * the detail keys of ERROR_DETAIL_KEYS only; a subgraph transport failure becomes
 * SUBGRAPH_UNAVAILABLE; anything else is masked as INTERNAL_SERVER_ERROR and logged.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ERROR_DETAIL_KEYS, isErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { UNAVAILABLE_MESSAGE } from '../subgraphs/answer-errors.js';

const APOLLO_ALIASES: Record<string, string> = {
  DOWNSTREAM_SERVICE_ERROR: 'SUBGRAPH_UNAVAILABLE',
};

/**
 * graphql-js appends "Did you mean …?" to validation errors and to some others (an unknown enum
 * value or input field in a variable, coerced in our plugin or at execution). Suggestions let a
 * caller mine the schema through errors, so none leave the gateway: this is the one place they
 * are taken out (Apollo's hideSchemaDetailsFromClientErrors, which reaches validation errors only,
 * is off: gateway/server.ts).
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/gi;
export const withoutSuggestions = (message: string): string => message.replace(SUGGESTION, '');

const DETAIL_KEYS: ReadonlySet<string> = new Set(ERROR_DETAIL_KEYS);

/** Characters of an error's message and stack that reach the log: a message may quote a subgraph's whole value (megabytes). */
const LOGGED_CHARS = 2_000;
/** An error as the log gets it: its name, code, message and stack, each cut to LOGGED_CHARS. */
function bounded(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; stack?: unknown; extensions?: { code?: unknown }; originalError?: { message?: unknown; stack?: unknown } | null };
  const cut = (v: unknown) => (typeof v === 'string' ? v.slice(0, LOGGED_CHARS) : undefined);
  const original = e.originalError ? { message: cut(e.originalError.message), stack: cut(e.originalError.stack) } : undefined;
  return { type: cut(e.name), code: cut(e.extensions?.code), message: cut(e.message), stack: cut(e.stack), original };
}
/** Keys Apollo itself adds to an error (a subgraph's name, its HTTP answer, a stack): dropped without a word. */
const APOLLO_KEYS: ReadonlySet<string> = new Set(['code', 'serviceName', 'response', 'exception', 'stacktrace']);

/**
 * An error's extensions as a caller may see them: the details our errors carry, nothing else.
 * A subgraph's error passes through the gateway with whatever it put there (Apollo's
 * downstreamServiceError copies its extensions whole), for example `internalHost` or a SQL
 * statement beside one of our codes; those stop here, and their names (not their values) are
 * logged with the subgraph's, so that its owners can see what it sends.
 */
function shownDetails(extensions: Readonly<Record<string, unknown>> | undefined, logger: Logger): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(extensions ?? {})) {
    if (DETAIL_KEYS.has(key)) shown[key] = value;
    else if (!APOLLO_KEYS.has(key) && dropped.length < 20) dropped.push(key.slice(0, 64)); // a subgraph's names: bounded in the log
  }
  if (dropped.length) logger.warn({ subgraph: typeof extensions?.serviceName === 'string' ? extensions.serviceName : null, code: extensions?.code, dropped }, 'error extensions not shown to the caller');
  return shown;
}

export function createFormatError(logger: Logger, options: { exposeStack: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo relabels every validation-rule error GRAPHQL_VALIDATION_FAILED; our operation-limit
    // rules carry their own code on the original error, which is the one the contract promises.
    const original = (error as { originalError?: unknown } | null)?.originalError;
    if (original instanceof GraphQLError && original.extensions?.code === 'OPERATION_LIMIT_EXCEEDED') {
      const { http: _h, ...ext } = original.extensions;
      return { message: original.message, extensions: { ...ext, code: 'OPERATION_LIMIT_EXCEEDED' } };
    }
    const raw = formatted.extensions?.code;
    if (raw === 'DOWNSTREAM_SERVICE_ERROR') {
      // A subgraph's error without a code of ours: its message and extensions are its own words
      // (a database host, a connection string) and reach no caller (review s18a F3); the log keeps them.
      logger.error({ err: bounded(error), code: raw, message: formatted.message.slice(0, LOGGED_CHARS) }, 'subgraph error without a code');
      return { message: UNAVAILABLE_MESSAGE, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'SUBGRAPH_UNAVAILABLE' } };
    }
    // Apollo refuses an operation other than a query sent by GET as BAD_REQUEST with status 405
    // (and `Allow: POST`): the code that goes with 405 is METHOD_NOT_ALLOWED.
    const status = error instanceof GraphQLError ? (error.extensions?.http as { status?: unknown } | undefined)?.status : undefined;
    const code = raw === 'BAD_REQUEST' && status === 405 ? 'METHOD_NOT_ALLOWED' : typeof raw === 'string' ? (APOLLO_ALIASES[raw] ?? raw) : undefined;
    if (code && isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      // Not `response` (a subgraph's URL, status and body) nor `serviceName`: they name the internal topology.
      const stacktrace = formatted.extensions?.stacktrace;
      return {
        ...formatted,
        message: withoutSuggestions(formatted.message),
        extensions: { ...shownDetails(formatted.extensions, logger), code, ...(options.exposeStack && stacktrace ? { stacktrace } : {}) },
      };
    }
    logger.error({ err: bounded(error), code: raw }, 'masked error');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(options.exposeStack && formatted.extensions?.stacktrace ? { stacktrace: formatted.extensions.stacktrace } : {}) },
    };
  };
}
