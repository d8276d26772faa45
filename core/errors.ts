/**
 * Every `extensions.code` the product emits, with its HTTP status. This table is the contract
 * with clients: docs/errors.md lists the same codes (test/unit/core/errors.test.ts keeps the two
 * in step) and nothing else in the code base invents a code.
 */
import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';

export const ERROR_CODES = {
  // authentication
  UNAUTHENTICATED: { status: 401, meaning: 'Missing, malformed, wrongly signed or otherwise invalid token.' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The token `exp` has passed.' },
  // product check (DESIGN.md §6 order)
  PRODUCT_NOT_REGISTERED: { status: 403, meaning: 'The token `software_id` is not on the register.' },
  DEVELOPER_NOT_IN_GOOD_STANDING: { status: 403, meaning: 'The product developer is suspended, deregistered or not (yet) registered.' },
  PRODUCT_REVOKED: { status: 403, meaning: 'The product was revoked; it must be registered anew.' },
  PRODUCT_SUSPENDED: { status: 403, meaning: 'The product is suspended.' },
  PRODUCT_NOT_CERTIFIED: { status: 403, meaning: 'The product is registered but not (or no longer) certified.' },
  CERTIFICATION_EXPIRED: { status: 403, meaning: 'The product certification `validUntil` has passed.' },
  PRODUCT_VERSION_UNSUPPORTED: { status: 403, meaning: 'The token `software_version` is below the product minimum supported version.' },
  OPERATION_NOT_CERTIFIED: { status: 403, meaning: 'The document is not in the product\'s approved operation manifest and its trusted-documents mode is ENFORCE.' },
  // field level (200 with a field error; 403 when the whole operation is refused)
  SERVICE_NOT_WHITELISTED: { status: 403, meaning: 'The product is not whitelisted for the service that owns the field.' },
  SCOPE_NOT_GRANTED: { status: 403, meaning: 'The token `scope` does not include the service that owns the field.' },
  CLIENT_NOT_AUTHORISED: { status: 403, meaning: 'The token `org` may not act for the client named in the argument.' },
  RESTRICTED_DATA: { status: 403, meaning: 'Restricted data needs an ENHANCED certification.' },
  DATA_HOSTING_NOT_ONSHORE: { status: 403, meaning: 'The field needs every declared data hosting location to be in Australia.' },
  ROLE_REQUIRED: { status: 403, meaning: 'The token lacks the staff role the field needs.' },
  MFA_REQUIRED: { status: 403, meaning: 'The field needs multi-factor authentication (`amr` contains `mfa`).' },
  FORBIDDEN: { status: 403, meaning: 'The caller may not see or change this record (for example another developer\'s product).' },
  // limits
  RATE_LIMITED: { status: 429, meaning: 'The quota is spent; `Retry-After` says when to try again.' },
  OPERATION_LIMIT_EXCEEDED: { status: 400, meaning: 'The operation exceeds a depth, alias, root field, token, size, directive or cost bound.' },
  // client mistakes
  BAD_REQUEST: { status: 400, meaning: 'The HTTP request is not a GraphQL request (bad JSON, a body that is not UTF-8, wrong content type, batch not allowed, malformed HTTP: no Host, an Expect other than 100-continue, a malformed percent-escape in the export criteria).' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The method is not served there (`/graphql`: POST, and GET for queries only; `/healthz`, `/readyz`: GET and HEAD; CONNECT nowhere); `Allow` names what is.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The HTTP request body is larger than `OP_MAX_BODY_BYTES`.' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'The HTTP request, headers and body, did not arrive in full within 30 s.' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, meaning: 'The HTTP request headers are larger than the server accepts (32 KiB at the gateway; Node\'s 16 KiB at a subgraph).' },
  GRAPHQL_PARSE_FAILED: { status: 400, meaning: 'The document is not valid GraphQL syntax.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, meaning: 'The document does not validate against the schema (for example an unknown field).' },
  BAD_USER_INPUT: { status: 400, meaning: 'A variable or argument value is invalid (wrong type, bad format, failed domain validation).' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, meaning: 'The operation name does not match an operation in the document.' },
  PERSISTED_QUERY_NOT_FOUND: { status: 400, meaning: 'The document hash sent names no operation in the caller\'s approved manifest; send the document itself.' },
  NOT_FOUND: { status: 404, meaning: 'The record named by the arguments does not exist.' },
  // registry domain
  ILLEGAL_TRANSITION: { status: 409, meaning: 'The lifecycle transition is not allowed from the current state (named in the error).' },
  REVISION_CONFLICT: { status: 409, meaning: 'The record changed since the revision the mutation expected (optimistic concurrency).' },
  ELIGIBILITY_FAILED: { status: 422, meaning: 'A registration failed an eligibility check (reasons in the error).' },
  // dependencies down: fail closed
  AUTH_PROVIDER_UNAVAILABLE: { status: 503, meaning: 'The token issuer keys (JWKS) cannot be fetched, or the DPoP replay cache (the store) cannot answer; requests fail closed.' },
  REGISTRY_UNAVAILABLE: { status: 503, meaning: 'The registry snapshot is older than the staleness bound; product checks fail closed.' },
  AUDIT_UNAVAILABLE: { status: 503, meaning: 'The access log cannot be written and its buffer is full (data requests fail closed), or it cannot be read now (an auditor\'s read or export, or a long one-chain verification while two others run).' },
  SUBGRAPH_UNAVAILABLE: { status: 502, meaning: 'A subgraph did not answer; its fields are null, the rest of the answer is served.' },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'Anything else; details are masked and logged.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/**
 * Every key an error of ours carries in `extensions` beside `code`: the details callers may rely
 * on. A subgraph's error passes to the caller with these keys only (gateway/apollo/format-error.ts),
 * so whatever else a subgraph puts there (a host name, a query, a stack) stops at the gateway.
 * `ErrorDetails` holds denials and CodedErrors to this list, so a new key is added here first.
 */
export const ERROR_DETAIL_KEYS = [
  'action', 'actual', 'actualRevision', 'allowed', 'allowedFrom', 'allowedServices',
  'alreadyWhitelisted', 'argument', 'badOutcome', 'blockedServices', 'blockedTier', 'chainId',
  'check', 'claim', 'claims', 'clientId', 'codePoint', 'coordinate', 'currentState', 'developerId',
  'developerStatus', 'dpop', 'duplicated', 'entityType', 'expectedRevision', 'field', 'from',
  'incidentId', 'known', 'limit', 'max', 'maxItems', 'maxLength', 'maxProducts', 'minimumVersion',
  'missing', 'noControl', 'noEvidence', 'notWhitelisted', 'org', 'pendingVersion', 'position',
  'problem', 'problems', 'productId', 'productStatus', 'reason', 'refused', 'requirement', 'role',
  'roles', 'scope', 'service', 'status', 'to', 'unknown', 'until', 'validUntil',
] as const;
export type ErrorDetailKey = (typeof ERROR_DETAIL_KEYS)[number];
export type ErrorDetails = { readonly [K in ErrorDetailKey]?: unknown };
/** `D` with any key outside ERROR_DETAIL_KEYS made an error, spread-in keys included (which an object literal's own check misses). */
type OnlyDetailKeys<D> = D & { readonly [K in Exclude<keyof D, ErrorDetailKey>]: never };

/** A denial as plain data: what decision functions return instead of throwing. */
export interface Denial {
  code: ErrorCode;
  message: string;
  /** Extra, safe-to-show details (never secrets). */
  details?: ErrorDetails;
  /** Extra HTTP response headers (Retry-After, RateLimit-*). */
  headers?: Record<string, string>;
}

export function denial<D extends ErrorDetails>(code: ErrorCode, message: string, details?: OnlyDetailKeys<D>): Denial {
  return details ? { code, message, details } : { code, message };
}

/**
 * The one error class: sets `extensions.code` and `extensions.http` (a HeaderMap, so Apollo
 * merges the status and headers into the HTTP response).
 */
export class CodedError<D extends ErrorDetails = ErrorDetails> extends GraphQLError {
  constructor(code: ErrorCode, message: string, options: { details?: OnlyDetailKeys<D>; headers?: Record<string, string>; path?: ReadonlyArray<string | number>; status?: number } = {}) {
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k.toLowerCase(), v);
    super(message, {
      ...(options.path ? { path: options.path } : {}),
      extensions: { code, ...(options.details ?? {}), http: { status: options.status ?? httpStatusOf(code), headers } },
    });
  }

  static from(d: Denial, path?: ReadonlyArray<string | number>): CodedError {
    return new CodedError(d.code, d.message, { ...(d.details ? { details: d.details } : {}), ...(d.headers ? { headers: d.headers } : {}), ...(path ? { path } : {}) });
  }
}
