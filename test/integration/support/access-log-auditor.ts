/**
 * Reading the access log back the way an auditor does: through the gateway, with an
 * `ato:auditor` token with MFA, paging `accessLogs` until the end.
 */
import type { DevTokenOptions } from '../../../gateway/auth/dev-tokens.js';
import { codesOf, type GraphQLResult, type TestSystem } from '../../helpers/system.js';
import type { ChainedAccessRecord } from '../../../audit/record.js';

/** Token options of an auditor who may read the log. */
export const AUDITOR: DevTokenOptions = { roles: ['ato:auditor'], mfa: true, sub: 'auditor-1' };

/** The fields of AccessRecord (schema/audit.graphql) these tests compare with the stored record: all but the optional manifest, dpopJkt and issuer, which the served record gives as null where the stored one has none. */
export const RECORD_FIELDS = `id time requestId instanceId productId productVersion developerId sub org jti roles
  operationName operationType documentHash coordinates services clientDigests decision
  reasons { code coordinate } errorCodes httpStatus subgraphs latencyMs clientIp userAgent traceId changes { coordinate reason ticket }
  chainId seq prevHash hash`;

/** One access record as the audit subgraph serves it: the stored record, field for field. */
export type AuditedRecord = ChainedAccessRecord;

export interface AccessLogFilterInput {
  from?: string;
  to?: string;
  productId?: string;
  developerId?: string;
  org?: string;
  clientId?: string;
  decision?: 'ALLOWED' | 'PARTIAL' | 'DENIED';
  errorCode?: string;
  operationName?: string;
}

export const ACCESS_LOGS_QUERY = `query AuditAccessLogs($filter: AccessLogFilterInput, $first: Int, $after: String) {
  accessLogs(filter: $filter, first: $first, after: $after) {
    nodes { ${RECORD_FIELDS} }
    pageInfo { endCursor hasNextPage }
  }
}`;

export interface AccessLogPageResult {
  records: AuditedRecord[];
  endCursor: string | null;
  hasNextPage: boolean;
  raw: GraphQLResult;
}

function expectClean(r: GraphQLResult, what: string): void {
  if (r.status !== 200 || r.body.errors?.length) {
    throw new Error(`${what} failed: HTTP ${r.status}, codes ${JSON.stringify(codesOf(r))}`);
  }
}

/** One page of `accessLogs`; throws when the gateway answers with an error. */
export async function accessLogPage(sys: TestSystem, token: string, options: { filter?: AccessLogFilterInput; first?: number; after?: string | null } = {}): Promise<AccessLogPageResult> {
  const r = await sys.gql(ACCESS_LOGS_QUERY, {
    token,
    operationName: 'AuditAccessLogs',
    variables: { filter: options.filter ?? null, first: options.first ?? 50, after: options.after ?? null },
  });
  expectClean(r, 'accessLogs');
  const conn = r.body.data!.accessLogs as { nodes: AuditedRecord[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
  return { records: conn.nodes, endCursor: conn.pageInfo.endCursor, hasNextPage: conn.pageInfo.hasNextPage, raw: r };
}

/**
 * Every record matching the filter, following `endCursor` until `hasNextPage` is false.
 * Also returns the raw response bodies, so callers can check what the auditor was shown.
 */
export async function allAccessLogs(sys: TestSystem, token: string, filter: AccessLogFilterInput = {}, pageSize = 20): Promise<{ records: AuditedRecord[]; pages: number; bodies: string[] }> {
  const records: AuditedRecord[] = [];
  const bodies: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const page = await accessLogPage(sys, token, { filter, first: pageSize, after });
    pages += 1;
    records.push(...page.records);
    bodies.push(JSON.stringify(page.raw.body));
    if (!page.hasNextPage) break;
    if (!page.endCursor) throw new Error('accessLogs: hasNextPage without an endCursor');
    if (pages > 1000) throw new Error('accessLogs: pagination does not end');
    after = page.endCursor;
  }
  return { records, pages, bodies };
}

export const VERIFY_QUERY = `query AuditVerify($chainId: ID!, $fromSeq: SafeInt, $toSeq: SafeInt) {
  verifyAccessLog(chainId: $chainId, fromSeq: $fromSeq, toSeq: $toSeq) {
    chainId ok checked omitted fromSeq toSeq lastSeq checkpointsChecked latestCheckpointSeq status hashAlg unsignedTail
    problems { seq toSeq kind detail }
    lastTrustedCheckpoint { seq n time }
  }
}`;

export interface VerificationReportResult {
  chainId: string;
  ok: boolean;
  checked: number;
  omitted: number;
  lastSeq: number | null;
  checkpointsChecked: number;
  latestCheckpointSeq: number | null;
  problems: Array<{ seq: number; kind: string; detail: string }>;
}

/** `verifyAccessLog(chainId)` through the gateway as an auditor. */
export async function verifyAccessLogVia(sys: TestSystem, token: string, chainId: string): Promise<VerificationReportResult> {
  const r = await sys.gql(VERIFY_QUERY, { token, operationName: 'AuditVerify', variables: { chainId } });
  expectClean(r, 'verifyAccessLog');
  return r.body.data!.verifyAccessLog as VerificationReportResult;
}

/** The problems of a report as `kind@seq` strings, sorted, for compact assertions. */
export const problemKeys = (problems: ReadonlyArray<{ seq: number; kind: string }>): string[] => problems.map((p) => `${p.kind}@${p.seq}`).sort();
