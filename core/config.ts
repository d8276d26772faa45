/**
 * Configuration, resolved once: defaults in one constant, environment values merged in,
 * validated with zod (every problem listed in one error), then frozen. The request path reads
 * only the resolved object. README "Configuration" lists every variable below with its default.
 */
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { KNOWN_ROLES, PRODUCT_GRANT } from './roles.js';
import { SANITIZE_LIMITS, sanitizeClaim } from '../audit/sanitize.js';

/** The most event-loop turns the access-log writer lets a small batch gather for (AUDIT_GATHER_TURNS' limit; the writer caps its option at it too). */
export const MAX_GATHER_TURNS = 1_000;
/** The `iss` of the local development issuer (core/keys.ts, `npm run token`): the default issuer, refused in production. */
export const DEV_ISSUER = 'dsp-dev-issuer';

/** Decimal digits (a sign and surrounding white space allowed) as a number; anything else undefined. */
export function wholeNumberOf(text: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : undefined;
}

/**
 * The longest a timer can wait (Node's setTimeout limit, 2^31 − 1 ms, about 24.8 days): a longer
 * delay becomes 1 ms, so a duration past it would turn a checkpoint interval into a flood and a
 * timeout into an instant failure (review s18b 5).
 */
export const TIMER_MAX_MS = 2_147_483_647;
const TIMER_MAX_S = Math.floor(TIMER_MAX_MS / 1000);

/**
 * A whole number in [min, max]: a number (overrides) or decimal digits (environment; surrounding
 * white space allowed). Not z.coerce.number(): Number(' ') is 0 and Number('0x10') is 16, so a
 * blank variable would silently mean zero (PORT=" " an ephemeral port, a cache size of " " no
 * cache) and hex or exponent notation would pass as something nobody wrote.
 */
const intFrom = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const n = typeof value === 'number' ? value : wholeNumberOf(value);
      if (n !== undefined) return n;
      ctx.addIssue({ code: 'custom', message: `must be a whole number (decimal digits), got ${JSON.stringify(String(value).slice(0, 40))}` });
      return z.NEVER;
    })
    .pipe(z.number().int().min(min).max(max));
const BOOL_WORDS = ['true', 'false', '1', '0', 'on', 'off'] as const;
const bool = z.union([z.boolean(), z.enum(BOOL_WORDS).transform((v) => v === 'true' || v === '1' || v === 'on')], {
  error: (issue) => `must be one of ${BOOL_WORDS.join(', ')}, got ${JSON.stringify(String(issue.input).slice(0, 40))}`,
});
const csv = z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))]);
/**
 * A JSON value given as text (environment) or as a value (overrides). Not a union: zod reports
 * a union's failure as a bare "Invalid input", swallowing both "not JSON" and the field that is
 * wrong; parsing first and then piping keeps the schema's own messages and paths
 * (`rateLimits.tiers.gold.points: Invalid input: expected number, received undefined`).
 */
const jsonOf = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .unknown()
    .transform((value, ctx) => {
      if (typeof value !== 'string') return value;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `is not valid JSON (${(err as Error).message})` });
        return z.NEVER;
      }
      // JSON.parse keeps the last of two equal keys, silently: a second entry for an issuer (its
      // grants, its keys) or a tier would quietly replace the first.
      const repeated = repeatedJsonKey(value);
      if (repeated !== null) {
        ctx.addIssue({ code: 'custom', message: `names the key ${JSON.stringify(repeated)} twice in one object (JSON would keep only the last)` });
        return z.NEVER;
      }
      return parsed;
    })
    .pipe(schema);

/**
 * The first key that one object of `text` names twice, or null. `text` must be valid JSON (it is
 * scanned, not parsed again): strings are skipped whole, escapes included, and a string is a key
 * when it opens an object's entry.
 */
export function repeatedJsonKey(text: string): string | null {
  // One set of keys per open object; null for an open array.
  const open: Array<Set<string> | null> = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (keys && keyNext) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      keyNext = false;
      i = end;
    } else if (ch === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (ch === '[') {
      open.push(null);
      keyNext = false;
    } else if (ch === '}' || ch === ']') {
      open.pop();
    } else if (ch === ',') {
      keyNext = open.at(-1) != null;
    }
  }
  return null;
}

export const rateTierSchema = z.object({
  /** Sustained requests allowed per `duration` seconds. */
  points: z.number().int().positive(),
  duration: z.number().int().positive().max(TIMER_MAX_S),
  /** Extra requests allowed per `burstDuration` seconds on top of the sustained rate. */
  burst: z.number().int().min(0),
  burstDuration: z.number().int().positive().max(TIMER_MAX_S),
  /** Share of the product quota any one org may use (0–1]. */
  perOrgShare: z.number().positive().max(1),
});
export type RateTier = z.infer<typeof rateTierSchema>;

const limitSchema = z.object({ points: z.number().int().positive(), duration: z.number().int().positive().max(TIMER_MAX_S) });

export const DEFAULT_RATE_TIERS: Record<string, RateTier> = {
  // The demo tier is modest: a burst of a few thousand requests in a few seconds is refused.
  demo: { points: 100, duration: 1, burst: 200, burstDuration: 10, perOrgShare: 1 },
  standard: { points: 200, duration: 1, burst: 400, burstDuration: 10, perOrgShare: 0.5 },
  high: { points: 1000, duration: 1, burst: 2000, burstDuration: 10, perOrgShare: 0.5 },
};

const configSchema = z.object({
  env: z.enum(['development', 'production', 'test']),
  instanceId: z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
  host: z.string().min(1),
  /** Socket peers (addresses or CIDR subnets) whose X-Forwarded-For is believed. */
  trustedProxies: csv.pipe(z.array(z.string().regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, 'an IP address or CIDR subnet'))),
  port: intFrom(0, 65535),
  /** `npm start` only: the first subgraph's port (clients; the others follow); 0 = any free port. */
  subgraphPortBase: intFrom(0, 65530),
  dataDir: z.string().min(1),
  storeUrl: z.string().regex(/^(sqlite:|mongodb(\+srv)?:\/\/)/, 'must start with sqlite: or mongodb://'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  subgraphs: z.object({
    clients: z.url(),
    lodgments: z.url(),
    accounts: z.url(),
    registry: z.url(),
    audit: z.url(),
  }),
  subgraphTimeoutMs: intFrom(1, TIMER_MAX_MS),
  auth: z.object({
    issuers: csv.pipe(z.array(z.string().min(1)).min(1)),
    audience: z.string().min(1),
    algorithms: csv.pipe(z.array(z.enum(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])).min(1)),
    clockToleranceS: intFrom(0, 300),
    maxLifetimeS: intFrom(1),
    maxTokenBytes: intFrom(256),
    jwksFile: z.string().nullable(),
    /**
     * Each issuer's own key set: `iss` → an https URL (http outside production) or a JWKS file path.
     * Set, it names the trusted issuers (TOKEN_ISSUERS, if also set, must name the same) and a
     * token is verified only against its own issuer's keys. Null: one key set (JWKS_FILE/JWKS_URL)
     * for the one issuer TOKEN_ISSUERS names.
     */
    issuerKeys: jsonOf(z.record(z.string().min(1), z.string().min(1))).nullable(),
    /**
     * What each issuer may issue: `iss` → a list of `product` (product tokens) and staff roles
     * (KNOWN_ROLES). A token its issuer may not issue is refused (UNAUTHENTICATED, reason
     * `issuer_grant`). Required with several issuers, which must each be named; null with one:
     * it may issue every kind.
     */
    issuerGrants: jsonOf(z.record(z.string().min(1), z.array(z.string()).min(1))).nullable(),
    jwksUrl: z.url().nullable(),
    tokenCacheSize: intFrom(0),
    /** Approximate bytes the token cache may hold, in MiB. */
    tokenCacheMiB: intFrom(1),
    /** The gateway's signing key (an Ed25519 private JWK with a kid) from a secret store; null: generated under DATA_DIR. */
    gatewayKeyFile: z.string().min(1).nullable(),
    /** For a subgraph: the gateway's public key set (assertions, checkpoints); null: DATA_DIR/keys/gateway.jwks.json. Never the private key. */
    gatewayJwksFile: z.string().min(1).nullable(),
    /** DPoP proofs (RFC 9449): asymmetric algorithms accepted (never HMAC or none). */
    dpopAlgorithms: csv.pipe(z.array(z.enum(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])).min(1)),
    /** DPoP proofs: how far `iat` may lie from the gateway's clock, seconds (the replay cache keeps a jti twice as long). */
    dpopProofWindowS: intFrom(1, 300),
  }),
  /**
   * The /graphql endpoint as clients call it (scheme, host, port, path), what a DPoP proof's `htu`
   * must equal. Behind a proxy or load balancer it is the public address, which the gateway cannot
   * learn from the request without trusting a header; null: http://localhost:<bound port>/graphql.
   */
  publicUrl: z.url().nullable(),
  registry: z.object({
    pollMs: intFrom(10, TIMER_MAX_MS),
    stalenessMs: intFrom(100, TIMER_MAX_MS),
  }),
  enforcement: z.object({
    /** partial: refused fields are null with an error; reject: any refusal refuses the whole operation. */
    fieldDenial: z.enum(['partial', 'reject']),
    decisionCacheSize: intFrom(0),
    /** Approximate bytes of each of the two decision caches (document walks, field decisions), in MiB. */
    decisionCacheMiB: intFrom(1),
    /** Apollo's parsed-document cache and the gateway's query-plan cache, approximate MiB each. */
    documentCacheMiB: intFrom(1),
    queryPlanCacheMiB: intFrom(1),
    /** Seconds an entry of those caches may go unused before it is dropped (memory given back when idle: core/idle-expiry.ts). */
    cacheIdleS: intFrom(1, 86_400),
    assertionTtlS: intFrom(5, 300),
    /** Base64 key (≥ 32 bytes) shared by the gateway and the subgraphs for request signatures; null: created under DATA_DIR (development). */
    subgraphMacKey: z.string().nullable(),
  }),
  audit: z.object({
    hmacKey: z.string().nullable(),
    batchWindowMs: intFrom(0, 1000),
    /** The most event-loop turns a small batch behind a commit waits for more records (gateway/access-log/writer.ts gatherTurns); 0: none. */
    gatherTurns: intFrom(0, MAX_GATHER_TURNS),
    bufferMax: intFrom(1),
    checkpointIntervalMs: intFrom(100, TIMER_MAX_MS),
    /** A signed checkpoint after at most this many records (with checkpointIntervalMs, the unprotected window). */
    checkpointEvery: intFrom(1),
    retryMaxMs: intFrom(10, TIMER_MAX_MS),
    sqliteSync: z.enum(['full', 'normal']),
    /** Mongo time-series retention. */
    retentionDays: intFrom(365),
    /** Adopt the chains of a store whose ledger is empty (an upgrade from before the ledger); otherwise a start refuses. */
    adoptLegacyChains: bool,
  }),
  rateLimits: z.object({
    enabled: bool,
    tiers: jsonOf(z.record(z.string(), rateTierSchema)),
    staff: jsonOf(limitSchema),
    anonymous: jsonOf(limitSchema),
    /** The largest chunk of a quota an instance leases from the store (limits/quota-lease.ts); 1: every quota exact. */
    lease: intFrom(1),
  }),
  operationLimits: z.object({
    maxDepth: intFrom(1),
    maxAliases: intFrom(0),
    maxRootFields: intFrom(1),
    maxTokens: intFrom(10),
    maxDocumentBytes: intFrom(64),
    maxBodyBytes: intFrom(1024),
    maxDirectivesPerField: intFrom(0),
    maxCost: intFrom(1),
    maxMergedFields: intFrom(1),
    defaultListSize: intFrom(1),
    revealBounds: bool,
    allowBatchedRequests: bool,
    introspection: bool,
  }),
  tracing: z.object({
    /** OTLP/HTTP collector base URL; null: tracing off. */
    otlpEndpoint: z.url().nullable(),
    serviceName: z.string().min(1),
  }),
  monitoring: z.object({
    protectiveSuspension: z.enum(['off', 'log', 'on']),
    detectors: jsonOf(z.record(z.string(), z.record(z.string(), z.number()))),
    metricsBearer: z.string().nullable(),
  }),
});

export type Config = z.infer<typeof configSchema>;
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function defaults(): z.input<typeof configSchema> {
  return {
    env: 'development',
    instanceId: `${hostname().replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 40)}-${process.pid}`,
    host: '127.0.0.1',
    trustedProxies: [],
    port: 4000,
    subgraphPortBase: 4001,
    dataDir: 'data',
    storeUrl: 'sqlite:data/dsp.db',
    logLevel: 'info',
    subgraphs: {
      clients: 'http://127.0.0.1:4001/graphql',
      lodgments: 'http://127.0.0.1:4002/graphql',
      accounts: 'http://127.0.0.1:4003/graphql',
      registry: 'http://127.0.0.1:4004/graphql',
      audit: 'http://127.0.0.1:4005/graphql',
    },
    subgraphTimeoutMs: 10_000,
    auth: {
      issuers: [DEV_ISSUER],
      audience: 'dsp-gateway',
      algorithms: ['ES256', 'RS256', 'EdDSA'],
      clockToleranceS: 30,
      maxLifetimeS: 3600,
      maxTokenBytes: 8192,
      jwksFile: null,
      jwksUrl: null,
      issuerKeys: null,
      issuerGrants: null,
      tokenCacheSize: 10_000,
      tokenCacheMiB: 8,
      gatewayKeyFile: null,
      gatewayJwksFile: null,
      dpopAlgorithms: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      dpopProofWindowS: 60,
    },
    publicUrl: null,
    registry: { pollMs: 250, stalenessMs: 30_000 },
    enforcement: { fieldDenial: 'partial', decisionCacheSize: 10_000, decisionCacheMiB: 8, documentCacheMiB: 8, queryPlanCacheMiB: 8, cacheIdleS: 60, assertionTtlS: 60, subgraphMacKey: null },
    audit: { hmacKey: null, batchWindowMs: 0, gatherTurns: 16, bufferMax: 10_000, checkpointIntervalMs: 1_000, checkpointEvery: 1_000, retryMaxMs: 5_000, sqliteSync: 'full', retentionDays: 400, adoptLegacyChains: false },
    rateLimits: { enabled: true, tiers: DEFAULT_RATE_TIERS, staff: { points: 50, duration: 1 }, anonymous: { points: 20, duration: 1 }, lease: 20 },
    operationLimits: {
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 10,
      maxTokens: 4000,
      maxDocumentBytes: 32_768,
      maxBodyBytes: 262_144,
      maxDirectivesPerField: 5,
      maxCost: 5_000,
      maxMergedFields: 5_000,
      defaultListSize: 10,
      revealBounds: false,
      allowBatchedRequests: false,
      introspection: false,
    },
    tracing: { otlpEndpoint: null, serviceName: 'dsp-gateway' },
    monitoring: { protectiveSuspension: 'off', detectors: {}, metricsBearer: null },
  };
}

/** Environment variable → config path. README's configuration table mirrors this list. */
export const ENV_VARS: ReadonlyArray<readonly [string, string]> = [
  ['NODE_ENV', 'env'],
  ['INSTANCE_ID', 'instanceId'],
  ['HOST', 'host'],
  ['TRUSTED_PROXIES', 'trustedProxies'],
  ['PORT', 'port'],
  ['SUBGRAPH_PORT_BASE', 'subgraphPortBase'],
  ['DATA_DIR', 'dataDir'],
  ['STORE_URL', 'storeUrl'],
  ['LOG_LEVEL', 'logLevel'],
  ['CLIENTS_URL', 'subgraphs.clients'],
  ['LODGMENTS_URL', 'subgraphs.lodgments'],
  ['ACCOUNTS_URL', 'subgraphs.accounts'],
  ['REGISTRY_URL', 'subgraphs.registry'],
  ['AUDIT_URL', 'subgraphs.audit'],
  ['SUBGRAPH_TIMEOUT_MS', 'subgraphTimeoutMs'],
  ['TOKEN_ISSUERS', 'auth.issuers'],
  ['TOKEN_AUDIENCE', 'auth.audience'],
  ['TOKEN_ALGORITHMS', 'auth.algorithms'],
  ['TOKEN_CLOCK_TOLERANCE_S', 'auth.clockToleranceS'],
  ['TOKEN_MAX_LIFETIME_S', 'auth.maxLifetimeS'],
  ['TOKEN_MAX_BYTES', 'auth.maxTokenBytes'],
  ['JWKS_FILE', 'auth.jwksFile'],
  ['JWKS_URL', 'auth.jwksUrl'],
  ['TOKEN_ISSUER_KEYS', 'auth.issuerKeys'],
  ['TOKEN_ISSUER_GRANTS', 'auth.issuerGrants'],
  ['TOKEN_CACHE_SIZE', 'auth.tokenCacheSize'],
  ['TOKEN_CACHE_MIB', 'auth.tokenCacheMiB'],
  ['GATEWAY_KEY_FILE', 'auth.gatewayKeyFile'],
  ['GATEWAY_JWKS_FILE', 'auth.gatewayJwksFile'],
  ['DPOP_ALGORITHMS', 'auth.dpopAlgorithms'],
  ['DPOP_PROOF_WINDOW_S', 'auth.dpopProofWindowS'],
  ['PUBLIC_URL', 'publicUrl'],
  ['REGISTRY_POLL_MS', 'registry.pollMs'],
  ['REGISTRY_STALENESS_MS', 'registry.stalenessMs'],
  ['FIELD_DENIAL', 'enforcement.fieldDenial'],
  ['DECISION_CACHE_SIZE', 'enforcement.decisionCacheSize'],
  ['DECISION_CACHE_MIB', 'enforcement.decisionCacheMiB'],
  ['DOCUMENT_CACHE_MIB', 'enforcement.documentCacheMiB'],
  ['QUERY_PLAN_CACHE_MIB', 'enforcement.queryPlanCacheMiB'],
  ['CACHE_IDLE_S', 'enforcement.cacheIdleS'],
  ['ASSERTION_TTL_S', 'enforcement.assertionTtlS'],
  ['SUBGRAPH_MAC_KEY', 'enforcement.subgraphMacKey'],
  ['AUDIT_HMAC_KEY', 'audit.hmacKey'],
  ['AUDIT_BATCH_WINDOW_MS', 'audit.batchWindowMs'],
  ['AUDIT_GATHER_TURNS', 'audit.gatherTurns'],
  ['AUDIT_BUFFER_MAX', 'audit.bufferMax'],
  ['AUDIT_CHECKPOINT_INTERVAL_MS', 'audit.checkpointIntervalMs'],
  ['AUDIT_CHECKPOINT_EVERY', 'audit.checkpointEvery'],
  ['AUDIT_RETRY_MAX_MS', 'audit.retryMaxMs'],
  ['AUDIT_SQLITE_SYNC', 'audit.sqliteSync'],
  ['AUDIT_RETENTION_DAYS', 'audit.retentionDays'],
  ['AUDIT_ADOPT_LEGACY_CHAINS', 'audit.adoptLegacyChains'],
  ['RATE_LIMITS_ENABLED', 'rateLimits.enabled'],
  ['RATE_TIERS', 'rateLimits.tiers'],
  ['RATE_LIMIT_STAFF', 'rateLimits.staff'],
  ['RATE_LIMIT_ANONYMOUS', 'rateLimits.anonymous'],
  ['RATE_LIMIT_LEASE', 'rateLimits.lease'],
  ['OP_MAX_DEPTH', 'operationLimits.maxDepth'],
  ['OP_MAX_ALIASES', 'operationLimits.maxAliases'],
  ['OP_MAX_ROOT_FIELDS', 'operationLimits.maxRootFields'],
  ['OP_MAX_TOKENS', 'operationLimits.maxTokens'],
  ['OP_MAX_DOCUMENT_BYTES', 'operationLimits.maxDocumentBytes'],
  ['OP_MAX_BODY_BYTES', 'operationLimits.maxBodyBytes'],
  ['OP_MAX_DIRECTIVES_PER_FIELD', 'operationLimits.maxDirectivesPerField'],
  ['OP_MAX_COST', 'operationLimits.maxCost'],
  ['OP_MAX_MERGED_FIELDS', 'operationLimits.maxMergedFields'],
  ['OP_DEFAULT_LIST_SIZE', 'operationLimits.defaultListSize'],
  ['OP_REVEAL_BOUNDS', 'operationLimits.revealBounds'],
  ['ALLOW_BATCHED_REQUESTS', 'operationLimits.allowBatchedRequests'],
  ['INTROSPECTION', 'operationLimits.introspection'],
  ['PROTECTIVE_SUSPENSION', 'monitoring.protectiveSuspension'],
  ['DETECTORS', 'monitoring.detectors'],
  ['METRICS_BEARER', 'monitoring.metricsBearer'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'tracing.otlpEndpoint'],
  ['OTEL_SERVICE_NAME', 'tracing.serviceName'],
];

/**
 * Secrets that may also come from a file (`<NAME>_FILE`, e.g. a Docker or Kubernetes secret), so
 * they need not sit in the environment. Trailing white space (the newline editors add) is dropped.
 */
export const SECRET_FILE_VARS = ['AUDIT_HMAC_KEY', 'METRICS_BEARER', 'SUBGRAPH_MAC_KEY'] as const;

/** The environment with each `<NAME>_FILE` read into `<NAME>`; problems name the variable and the file. */
function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of SECRET_FILE_VARS) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE: set one, not both`);
      continue;
    }
    try {
      const value = readFileSync(file, 'utf8').trimEnd();
      if (!value) problems.push(`${name}_FILE: ${file} is empty`);
      else out[name] = value;
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = base[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) && k !== 'tiers' && k !== 'detectors') {
      base[k] = mergeDeep({ ...(b as Record<string, unknown>) }, v as Record<string, unknown>);
    } else {
      base[k] = v;
    }
  }
  return base;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Why a TRUSTED_PROXIES entry is neither an IP address nor a CIDR subnet, or null (gateway/http/client-ip.ts parses the good ones). */
export function trustedProxyProblem(entry: string): string | null {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return `TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR subnet`;
  const max = family === 6 ? 128 : 32;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= max)) return `TRUSTED_PROXIES: "${entry}" has a bad prefix length (at most ${max} bits)`;
  return null;
}

/** Where an issuer's key set is: a URL when it starts with a scheme, else a JWKS file path. */
export function issuerKeyLocation(value: string): { url: string } | { file: string } {
  return /^[a-z][a-z0-9+.-]*:/i.test(value) ? { url: value } : { file: value };
}

/** What TOKEN_ISSUER_GRANTS may name for an issuer: product tokens, and each staff role. */
export const ISSUER_GRANTS: readonly string[] = [PRODUCT_GRANT, ...KNOWN_ROLES];

/**
 * What each issuer may issue. Several issuers are several trust domains (a products IdP run for
 * the vendors' software, a staff IdP for the ATO's people): without this, a staff role in a token
 * from the products IdP would be honoured like one from the staff IdP. So with several issuers
 * each must be given what it may issue; with one, the grants are optional (it issues everything).
 * Runs after issuerKeyProblems has settled `c.auth.issuers`.
 */
function issuerGrantProblems(c: Config): string[] {
  const grants = c.auth.issuerGrants;
  if (!grants) return c.auth.issuers.length > 1 ? ['TOKEN_ISSUER_GRANTS: required with several issuers: say what each may issue (product, and which staff roles), e.g. {"https://products-idp":["product"],"https://staff-idp":["ato:admin","ato:auditor","dsp:developer"]}'] : [];
  const problems: string[] = [];
  for (const issuer of c.auth.issuers) if (!Object.hasOwn(grants, issuer)) problems.push(`TOKEN_ISSUER_GRANTS: names no grants for the trusted issuer ${issuer}`);
  for (const [issuer, list] of Object.entries(grants)) {
    if (!c.auth.issuers.includes(issuer)) problems.push(`TOKEN_ISSUER_GRANTS: ${issuer} is not a trusted issuer (TOKEN_ISSUERS / TOKEN_ISSUER_KEYS)`);
    const unknown = list.filter((g) => !ISSUER_GRANTS.includes(g));
    if (unknown.length) problems.push(`TOKEN_ISSUER_GRANTS (${issuer}): unknown grant ${unknown.join(', ')}; each is one of ${ISSUER_GRANTS.join(', ')}`);
  }
  return problems;
}

/**
 * The token issuers and their keys (review s18c F1): several issuers sharing one key set could
 * each sign tokens in another's name (a products IdP's key minting an ATO admin's token under the
 * staff IdP's `iss`), so several issuers need TOKEN_ISSUER_KEYS, one key set each. With it, the
 * issuers are its keys (TOKEN_ISSUERS, if given, must name the same). Fills `c.auth.issuers`.
 */
function issuerKeyProblems(c: Config, issuersGiven: boolean): string[] {
  const problems: string[] = [];
  const keys = c.auth.issuerKeys;
  if (!keys) {
    if (c.auth.issuers.length > 1) problems.push('TOKEN_ISSUERS: several issuers cannot share one key set (any of them could sign tokens in another\'s name); give each its own with TOKEN_ISSUER_KEYS');
    return problems;
  }
  const named = Object.keys(keys);
  if (named.length === 0) problems.push('TOKEN_ISSUER_KEYS: must name at least one issuer');
  if (c.auth.jwksFile || c.auth.jwksUrl) problems.push('TOKEN_ISSUER_KEYS and JWKS_FILE/JWKS_URL: set one, not both');
  if (issuersGiven && (c.auth.issuers.length !== named.length || c.auth.issuers.some((i) => !Object.hasOwn(keys, i)))) problems.push('TOKEN_ISSUERS: must name exactly the issuers of TOKEN_ISSUER_KEYS (or be left out)');
  // One key set named for two issuers is the shared set this exists to prevent (review s18d F8).
  const keySets = Object.values(keys);
  if (new Set(keySets).size !== keySets.length) problems.push('TOKEN_ISSUER_KEYS: each issuer needs a key set of its own; two issuers name the same one');
  for (const [issuer, value] of Object.entries(keys)) {
    const where = issuerKeyLocation(value);
    if (!('url' in where)) continue;
    let protocol: string;
    try {
      protocol = new URL(where.url).protocol;
    } catch {
      problems.push(`TOKEN_ISSUER_KEYS (${issuer}): not a URL`);
      continue;
    }
    if (protocol !== 'https:' && (c.env === 'production' || protocol !== 'http:')) problems.push(`TOKEN_ISSUER_KEYS (${issuer}): must be an https URL${c.env === 'production' ? ' in production' : ' (or http outside production)'}, or a file path`);
  }
  // The access record names a token's issuer as the audit log keeps claims (cleaned, capped): an
  // issuer it would change could be recorded as another's.
  for (const issuer of named) if (sanitizeClaim(issuer) !== issuer) problems.push(`TOKEN_ISSUER_KEYS: the issuer ${JSON.stringify(issuer)} must be printable text without surrounding spaces, at most ${SANITIZE_LIMITS.claim} characters`);
  if (!problems.length) (c.auth as { issuers: string[] }).issuers = named;
  return problems;
}

/**
 * Whose configuration it is. A subgraph started on its own (`npm run start:subgraph`) verifies
 * the gateway's assertions and signatures and never reads tokens, writes the access log or serves
 * /metrics, so production asks it for none of the gateway's secrets (review s18d F2): only
 * SUBGRAPH_MAC_KEY, and AUDIT_HMAC_KEY for the audit subgraph.
 */
export type ConfigRole = { role: 'gateway' } | { role: 'subgraph'; subgraph: string };

/**
 * Resolves the configuration: defaults, then environment variables, then explicit overrides
 * (tests and embedding). Throws ConfigError listing every problem at once.
 */
/** Whether a HOST value listens on this machine only (a loopback address or name). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Environment variables Apollo's libraries read by themselves (not this project's settings) that
 * weaken the gateway: refused in production (session 31's attacker review).
 */
const APOLLO_UNSAFE_SWITCHES: ReadonlyArray<[string, string]> = [
  ['APOLLO_DISABLE_SECURITY_RECURSIVE_SELECTIONS_CHECK', "turns off the query planner's guard against operations built to exhaust it"],
  ['APOLLO_DISABLE_SECURITY_NON_LOCAL_SELECTIONS_CHECK', "turns off the query planner's guard against operations built to exhaust it"],
  ['APOLLO_FEDERATION_DEBUG', 'writes query plans (operation text, and any literal TFN in it) to the console'],
];

/** Whether such a switch is on: anything but unset, empty, `false` or `0`, as Apollo reads its debug names. */
function apolloSwitchOn(value: string | undefined): boolean {
  return value !== undefined && !['', 'false', '0'].includes(value.trim().toLowerCase());
}

export function loadConfig(givenEnv: NodeJS.ProcessEnv = process.env, overrides: DeepPartial<Config> = {}, who: ConfigRole = { role: 'gateway' }): Readonly<Config> {
  const fileProblems: string[] = [];
  const env = withSecretFiles(givenEnv, fileProblems);
  if (fileProblems.length) throw new ConfigError(fileProblems);
  const raw = defaults() as unknown as Record<string, unknown>;
  const fromEnv: Record<string, unknown> = {};
  const envPathOf = new Map<string, string>();
  for (const [name, path] of ENV_VARS) {
    const value = env[name];
    envPathOf.set(path, name);
    if (value !== undefined && value !== '') setPath(fromEnv, path, value);
  }
  // NODE_ENV values other than ours (e.g. unset in jest: 'test') map onto the three we know.
  mergeDeep(raw, fromEnv);
  mergeDeep(raw, overrides as Record<string, unknown>);
  // Keys and databases default under DATA_DIR.
  // An empty STORE_URL counts as unset, like every variable (review s18b 9: it put the database under ./data).
  if (!env.STORE_URL && !(overrides as { storeUrl?: string }).storeUrl && raw.dataDir !== 'data') raw.storeUrl = `sqlite:${String(raw.dataDir)}/dsp.db`;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const path = i.path.join('.');
        // Name the variable even for a problem deep inside its value (e.g. auth.algorithms.0).
        let name: string | undefined;
        for (let n = i.path.length; n > 0 && !name; n--) name = envPathOf.get(i.path.slice(0, n).join('.'));
        return `${name ? `${name} (${path})` : path || '(root)'}: ${i.message}`;
      }),
    );
  }
  const problems: string[] = [];
  const c = parsed.data;
  if (c.auth.jwksFile && c.auth.jwksUrl) problems.push('JWKS_FILE and JWKS_URL: set one, not both');
  const keyProblems = issuerKeyProblems(c, !!env.TOKEN_ISSUERS || (overrides as { auth?: { issuers?: unknown } }).auth?.issuers !== undefined);
  problems.push(...keyProblems);
  // Only once the trusted issuers are settled: otherwise every grant would be judged against the default issuer.
  if (!keyProblems.length) problems.push(...issuerGrantProblems(c));
  const gateway = who.role === 'gateway';
  const prodGateway = c.env === 'production' && gateway;
  if (prodGateway && !c.auth.jwksFile && !c.auth.jwksUrl && !c.auth.issuerKeys) problems.push('JWKS_FILE, JWKS_URL or TOKEN_ISSUER_KEYS: required in production (the development issuer is not trusted there)');
  // A key set fetched over plain http can be swapped by anyone on the path, and with it any token
  // minted, an ATO admin's included (review s18c F2).
  if (c.env === 'production' && c.auth.jwksUrl && new URL(c.auth.jwksUrl).protocol !== 'https:') problems.push('JWKS_URL: must be an https URL in production (a key set fetched otherwise can be swapped on its way)');
  // The development issuer's key is created under DATA_DIR on every start and `npm run token` signs with it.
  if (prodGateway && c.auth.issuers.includes(DEV_ISSUER)) problems.push(`TOKEN_ISSUERS: name your token issuers in production; the development issuer (${DEV_ISSUER}, the default) is not trusted there`);
  if (c.env === 'production' && !c.audit.hmacKey && (gateway || who.subgraph === 'audit')) problems.push('AUDIT_HMAC_KEY: required in production');
  // The access log must outlive the process (review s18b 6).
  if (c.env === 'production' && /^sqlite::memory:|^sqlite:$|^sqlite:\?|mode=memory/i.test(c.storeUrl)) problems.push('STORE_URL: an in-memory database in production would lose the access log at the next restart');
  // Checked here, before anything starts (review s18b 10: a bad entry passed the pattern and stopped
  // the gateway only after its store, register and access-log chain were open).
  for (const entry of c.trustedProxies) {
    const problem = trustedProxyProblem(entry);
    if (problem) problems.push(problem);
  }
  for (const [name, url] of Object.entries(c.subgraphs)) {
    if (!/^https?:$/.test(new URL(url).protocol)) problems.push(`${name.toUpperCase()}_URL: must be an http(s) URL`);
  }
  // /metrics names every product and its refusal codes: never open to strangers in production.
  if (prodGateway && !c.monitoring.metricsBearer) problems.push('METRICS_BEARER: required in production (/metrics names products and refusal codes)');
  else if (prodGateway && c.monitoring.metricsBearer!.length < 16) problems.push('METRICS_BEARER: at least 16 characters in production (a secret, not a password to remember)');
  if (c.audit.hmacKey && Buffer.from(c.audit.hmacKey, 'base64').length < 32) problems.push('AUDIT_HMAC_KEY: must be at least 32 bytes, base64');
  if (c.env === 'production' && !c.enforcement.subgraphMacKey) problems.push('SUBGRAPH_MAC_KEY: required in production (every gateway and subgraph shares it)');
  if (c.enforcement.subgraphMacKey && Buffer.from(c.enforcement.subgraphMacKey, 'base64').length < 32) problems.push('SUBGRAPH_MAC_KEY: must be at least 32 bytes, base64');
  if (c.publicUrl && !/^https?:$/.test(new URL(c.publicUrl).protocol)) problems.push('PUBLIC_URL: must be an http(s) URL');
  if (c.publicUrl && (new URL(c.publicUrl).search || new URL(c.publicUrl).hash)) problems.push('PUBLIC_URL: must have no query or fragment (a DPoP proof htu has none)');
  if (!c.rateLimits.tiers['demo']) problems.push('RATE_TIERS: must define the "demo" tier the demo register uses');
  // NODE_ENV unset is development: the development issuer trusted and the console's "sign in as" an
  // ATO admin served. Harmless on the loopback default; listening beyond this machine, it is a
  // deployment that forgot NODE_ENV=production, so that must be said, not assumed.
  const envGiven = (env.NODE_ENV !== undefined && env.NODE_ENV !== '') || (overrides as { env?: unknown }).env !== undefined;
  if (gateway && !envGiven && !isLoopbackHost(c.host)) problems.push(`NODE_ENV: unset, so this gateway would run as development (the development token issuer trusted, the console's "sign in as" an ATO admin served) while HOST=${c.host} listens beyond this machine. Set NODE_ENV=production for a deployment, or NODE_ENV=development to serve the demo there`);
  if (c.env === 'production') {
    for (const [name, does] of APOLLO_UNSAFE_SWITCHES) if (apolloSwitchOn(env[name])) problems.push(`${name}: Apollo's own switch, read from the environment, ${does}: not in production`);
  }
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(c);
}
