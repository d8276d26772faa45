/**
 * The audit subgraph (port 4005): auditors read the access log, its summary, and verify its hash
 * chains. Every root field needs ato:auditor with MFA (schema directives, enforced by the
 * gateway, and again here). Auditors' own queries are logged by the gateway like any other.
 */
import type { JWK } from 'jose';
import { GraphQLNonNull, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { storedChainIdLabel, type LedgerEntry, type AccessLogPage, type AccessRecord, type ChainedAccessRecord, type UnreadableRow } from '../../audit/record.js';
import { chainKeyOf } from '../../audit/chain.js';
import { verifyAccessLog, verifyChainInLog, withTrustedLedgerHead, type AccessLogVerification, type OneChainVerification } from '../../audit/verify-store.js';
import { withinApiInt } from '../../audit/api-int.js';
import { printable } from '../../audit/sanitize.js';
import type { AssertionClaims } from '../../core/assertion.js';
import { CodedError } from '../../core/errors.js';
import { StoreUnavailableError, type Store } from '../../store/port.js';
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphContext, SubgraphDefinition } from '../shared/server.js';
import { toStoreFilter, type AccessLogFilterInput } from '../../audit/filter.js';
import { auditorDenial } from './guard.js';
import { whyUnpresentable } from './presentable.js';

export interface AuditSubgraphDeps {
  store: Store;
  /** The audit HMAC key (the gateway's), to digest a client id filter. */
  hmacKey: Buffer;
  /** The gateway's public JWKS, to verify checkpoint signatures. */
  gatewayJwks: { keys: JWK[] };
}

/** Largest page an auditor may ask for. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

function requireAuditor(identity: AssertionClaims | undefined): void {
  const refused = auditorDenial(identity);
  if (refused) throw CodedError.from(refused);
}

/** A store that cannot answer now (down, busy, closed): the coded 503 an auditor can retry on, not a masked 500. */
async function readable<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new CodedError('AUDIT_UNAVAILABLE', 'The access log cannot be read now; try again.');
    throw err;
  }
}

/** Each resolver's store failures as readable() gives them. */
function readingResolvers<R extends Record<string, (...args: never[]) => Promise<unknown>>>(resolvers: R): R {
  return Object.fromEntries(Object.entries(resolvers).map(([name, resolve]) => [name, (...args: never[]) => readable(resolve(...args))])) as R;
}

function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE;
  if (first < 1) throw new CodedError('BAD_USER_INPUT', '`first` must be at least 1.', { details: { field: 'first' } });
  return Math.min(first, MAX_PAGE);
}

function seqArg(value: number | null | undefined, name: string): number | null {
  if (value == null) return null;
  if (value < 1) throw new CodedError('BAD_USER_INPUT', `\`${name}\` must be at least 1.`, { details: { field: name } });
  return value;
}

interface TrustedLedgerArgs {
  trustedLedgerSeq?: number | null;
  trustedLedgerHash?: string | null;
}

/** The ledger head an auditor recorded earlier, given as two arguments, both or neither. */
function trustedLedgerHeadArg(args: TrustedLedgerArgs): { seq: number; hash: string } | null {
  if ((args.trustedLedgerSeq == null) !== (args.trustedLedgerHash == null)) throw new CodedError('BAD_USER_INPUT', 'Give trustedLedgerSeq and trustedLedgerHash together.', { details: { field: 'trustedLedgerHash' } });
  return args.trustedLedgerSeq != null ? { seq: seqArg(args.trustedLedgerSeq, 'trustedLedgerSeq')!, hash: String(args.trustedLedgerHash) } : null;
}

const ACCESS_RECORD_FIELDS = {
  // A reason stored without a coordinate reads as null, not as a missing field.
  reasons: (record: AccessRecord) => (record.reasons ?? []).map((r) => ({ code: r.code, coordinate: r.coordinate ?? null })),
  changes: (record: AccessRecord) => record.changes ?? [],
};

/** A page's records that fit AccessRecord, and the rest listed apart with why (presentable.ts). */
function servable(page: AccessLogPage, recordType: GraphQLObjectType): { shown: ChainedAccessRecord[]; unreadable: UnreadableRow[] } {
  const shown: ChainedAccessRecord[] = [];
  const unreadable = (page.unreadable ?? []).map((row) => ({ ...row, reason: printable(row.reason) }));
  for (const record of page.records) {
    const why = whyUnpresentable(new GraphQLNonNull(recordType), record, { AccessRecord: ACCESS_RECORD_FIELDS });
    if (!why) {
      shown.push(record);
      continue;
    }
    const { chainId, seq } = (record ?? {}) as { chainId?: unknown; seq?: unknown };
    unreadable.push({
      chainId: storedChainIdLabel(chainId),
      seq: Number.isSafeInteger(seq) ? (seq as number) : null,
      reason: printable(`the stored record does not fit AccessRecord (${why.slice(0, 300)})`),
    });
  }
  return { shown, unreadable };
}

/**
 * One-chain verifications of a long stretch (no toSeq, or more than LONG_RANGE seqs) running at
 * once, at most: each reads and hashes that much of the chain on this subgraph's event loop, and
 * a chain may be the whole log. Callers asking for the same chain and range share a run. The
 * whole-log verification is never refused: there is at most one run of it, which every caller
 * shares whatever trusted ledger head it gives (the head is judged per caller, cheaply), so no
 * caller can keep another from verifying the log by asking with made-up heads.
 */
export const MAX_WHOLE_LOG_VERIFICATIONS = 2;
const LONG_RANGE = 10_000;

export function auditSubgraph(deps: AuditSubgraphDeps): SubgraphDefinition {
  const { store, hmacKey, gatewayJwks } = deps;
  const chainKey = chainKeyOf(hmacKey);
  /** A verification's report with the ledger rows it was made from (a trusted head is judged against those, not a later read). */
  type Run<T> = Promise<{ report: T; entries: readonly LedgerEntry[] | null }>;
  /** The whole-log verification running, if any: shared by every caller (see MAX_WHOLE_LOG_VERIFICATIONS). */
  let wholeLog: Run<AccessLogVerification> | null = null;
  /** The long one-chain verifications running, by chain and range, with the auditor who started each. */
  const chainRuns = new Map<string, { started: Run<OneChainVerification | null>; by: string }>();
  async function run<T>(verify: (onLedgerRead: (entries: readonly LedgerEntry[]) => void) => Promise<T>): Run<T> {
    let entries: readonly LedgerEntry[] | null = null;
    const report = await verify((read) => (entries = read));
    return { report, entries };
  }
  /**
   * Whether a caller's trusted head lies past every ledger row a run read: a run the caller joined
   * may have begun before that head was recorded (the ledger grew since), so its rows cannot judge
   * the head either way, and the caller waits for a run begun after it asked. (A run begun after
   * the caller asked judges it: past its rows, the tail was removed.)
   */
  function pastRows(entries: readonly LedgerEntry[] | null, head: { seq: number } | null): boolean {
    return head !== null && entries !== null && !entries.some((e) => e.seq >= head.seq);
  }
  /**
   * The run `find` gives (joined), else the one `start` begins; a caller who joined a run whose
   * ledger rows end before its trusted head gets a run begun after it asked (pastRows).
   */
  async function joinOrStart<T>(find: () => Run<T> | undefined, start: () => Run<T>, trustedLedgerHead: { seq: number } | null): Run<T> {
    const running = find();
    const shared = await (running ?? start());
    return running && pastRows(shared.entries, trustedLedgerHead) ? await (find() ?? start()) : shared;
  }
  /**
   * A shared report with the caller's trusted ledger head judged against the ledger the report was
   * made from: judged against a later read, a ledger cut while the report read it and put back
   * since would pass. A report that read no ledger (the store unreadable) is judged against a read now.
   */
  async function judgedAgainst<T extends { ok: boolean; ledger: AccessLogVerification['ledger'] }>({ report, entries }: { report: T; entries: readonly LedgerEntry[] | null }, trustedLedgerHead: { seq: number; hash: string } | null): Promise<T> {
    if (!trustedLedgerHead) return report;
    if (entries) return withTrustedLedgerHead(report, entries, trustedLedgerHead);
    // The ledger could not be read (verifyAccessLog's report says so, not ok): a read now fails the
    // same way, and would answer the auditor an uncoded error instead of that report.
    if (!report.ok) return report;
    return withTrustedLedgerHead(report, await store.readLedger(), trustedLedgerHead);
  }
  return {
    name: 'audit',
    typeDefs: subgraphTypeDefs('audit'),
    resolvers: {
      // Seqs and counts: whole numbers past Int's 2^31-1 (schema/audit.graphql).
      SafeInt: GraphQLSafeInt,
      Query: readingResolvers({
        async accessLogs(_: unknown, args: { filter?: AccessLogFilterInput | null; first?: number | null; after?: string | null }, ctx: SubgraphContext, info: GraphQLResolveInfo) {
          requireAuditor(ctx.identity);
          const filter = toStoreFilter(args.filter, hmacKey);
          const page = await store.queryAccessLogs(filter, { first: pageSize(args.first), after: args.after ?? null });
          const { shown, unreadable } = servable(page, info.schema.getType('AccessRecord') as GraphQLObjectType);
          return {
            edges: shown.map((node) => ({ node })),
            nodes: shown,
            unreadable,
            pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
            // Counted only when asked for (a function field is resolved by graphql's default resolver).
            totalCount: () => readable(store.countAccessLogs(filter)),
          };
        },

        async accessSummary(_: unknown, args: { filter?: AccessLogFilterInput | null }, ctx: SubgraphContext) {
          requireAuditor(ctx.identity);
          return store.summarizeAccessLogs(toStoreFilter(args.filter, hmacKey));
        },

        async verifyAccessLog(_: unknown, args: { chainId: string; fromSeq?: number | null; toSeq?: number | null } & TrustedLedgerArgs, ctx: SubgraphContext) {
          requireAuditor(ctx.identity);
          const fromSeq = seqArg(args.fromSeq, 'fromSeq');
          const toSeq = seqArg(args.toSeq, 'toSeq');
          if (fromSeq !== null && toSeq !== null && toSeq < fromSeq) throw new CodedError('BAD_USER_INPUT', '`toSeq` must not be below `fromSeq`.', { details: { field: 'toSeq' } });
          const trustedLedgerHead = trustedLedgerHeadArg(args);
          // The file's header and schema too (cheap): a trigger or a view can show this chain's
          // reads something other than what is stored. The whole-file check is verifyAccessLogs'.
          const storageProblems = await store.storageProblems({ consistency: false });
          const long = toSeq === null || toSeq - (fromSeq ?? 1) >= LONG_RANGE;
          const verify = (onLedgerRead: (entries: readonly LedgerEntry[]) => void) => verifyChainInLog(store, args.chainId, gatewayJwks, { chainKey, fromSeq, toSeq, trustedLedgerHead: null, onLedgerRead });
          const runKey = JSON.stringify([args.chainId, fromSeq, toSeq]);
          const startLong = (): Run<OneChainVerification | null> => {
            // One long run per auditor: the key is the caller's range, so one auditor asking with
            // made-up ranges would otherwise take every slot and lock the others out.
            // An auditor is a subject at an issuer (with several issuers the same sub may be two people).
            const by = `${ctx.identity?.subjectIssuer ?? ''}\u0000${ctx.identity?.sub ?? ''}`;
            if ([...chainRuns.values()].some((r) => r.by === by)) throw new CodedError('AUDIT_UNAVAILABLE', 'A long verification of yours is running; try again once it has finished, or verify a shorter range.');
            if (chainRuns.size >= MAX_WHOLE_LOG_VERIFICATIONS) throw new CodedError('AUDIT_UNAVAILABLE', 'Other long verifications are running; try again once they have finished, or verify a shorter range.');
            const started = run(verify).finally(() => chainRuns.delete(runKey));
            chainRuns.set(runKey, { started, by });
            return started;
          };
          const shared = long ? await joinOrStart(() => chainRuns.get(runKey)?.started, startLong, trustedLedgerHead) : await run(verify);
          const report = shared.report && (await judgedAgainst({ report: shared.report, entries: shared.entries }, trustedLedgerHead));
          if (!report) throw new CodedError('NOT_FOUND', 'No access log chain has this id.', { details: { chainId: args.chainId } });
          const { ledger, ...chain } = report;
          return withinApiInt({ ...chain, ok: chain.ok && storageProblems.length === 0, storageProblems, ledgerProblems: ledger.problems, ledgerProblemsOmitted: ledger.omitted });
        },

        async verifyAccessLogs(_: unknown, args: TrustedLedgerArgs, ctx: SubgraphContext) {
          requireAuditor(ctx.identity);
          const trustedLedgerHead = trustedLedgerHeadArg(args);
          // A caller asking while a verification runs gets its report (begun at most that run ago).
          const start = () => (wholeLog = run((onLedgerRead) => verifyAccessLog(store, gatewayJwks, { chainKey, trustedLedgerHead: null, onLedgerRead })).finally(() => (wholeLog = null)));
          const shared = await joinOrStart(() => wholeLog ?? undefined, start, trustedLedgerHead);
          const result = await judgedAgainst(shared, trustedLedgerHead);
          return withinApiInt({ ok: result.ok, chains: result.chains, storageProblems: result.storageProblems, ledger: { entries: result.ledger.entries, headSeq: result.ledger.head?.seq ?? null, headHash: result.ledger.head?.hash ?? null, problems: result.ledger.problems, omitted: result.ledger.omitted } });
        },

        async accessLogChains(_: unknown, _args: unknown, ctx: SubgraphContext) {
          requireAuditor(ctx.identity);
          return withinApiInt(await store.listChains());
        },
      }),
      AccessRecord: ACCESS_RECORD_FIELDS,
    },
  };
}
