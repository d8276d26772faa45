/**
 * Integration harness: the real system (store, keys, subgraphs, gateway) on ephemeral loopback
 * ports with a fresh data directory, plus token minting and a GraphQL client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, DeepPartial } from '../../core/config.js';
import type { DevKeyMaterial } from '../../core/keys.js';
import { decodeJwt } from 'jose';
import { signDevToken, type DevTokenOptions } from '../../gateway/auth/dev-tokens.js';
import { signDpopProof, type ProofOptions } from '../../gateway/auth/dev-dpop.js';
import { startSystem, type RunningSystem, type SystemOptions } from '../../scripts/system.js';

export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

export interface TestSystem extends Omit<RunningSystem, 'keys'> {
  /** A test system runs outside production, so the development issuer's key is there. */
  keys: DevKeyMaterial;
  dataDir: string;
  /** A development token, issued on the system's clock unless `options.now` says otherwise. */
  token(options?: DevTokenOptions): Promise<string>;
  /** A token bound (cnf.jkt) to the demo DPoP key, which the demo register binds PRD-ENHANCED to. */
  boundToken(options?: DevTokenOptions): Promise<string>;
  /**
   * `Authorization: DPoP <token>` and a fresh proof by the demo key for a POST of it to /graphql,
   * on the system's clock; `proof` overrides what the proof says (a test of a wrong one).
   */
  dpopHeaders(token: string, proof?: Partial<ProofOptions>): Promise<Record<string, string>>;
  gql(query: string, options?: { token?: string | null; variables?: Record<string, unknown>; operationName?: string; headers?: Record<string, string> }): Promise<GraphQLResult>;
  post(body: string, headers?: Record<string, string>): Promise<GraphQLResult>;
}

export async function startTestSystem(overrides: DeepPartial<Config> = {}, options: Omit<SystemOptions, 'overrides' | 'env' | 'ephemeralPorts'> & { storeUrl?: string } = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsp-test-'));
  const system = await startSystem({
    ...options,
    env: { NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    ephemeralPorts: true,
    overrides: {
      dataDir,
      storeUrl: options.storeUrl ?? `sqlite:${join(dataDir, 'dsp.db')}`,
      instanceId: 'test-gw',
      audit: { sqliteSync: 'normal' },
      // Tests send bursts from one address and one staff user that are not about quotas; files
      // that test quotas set rateLimits themselves (which replaces these).
      rateLimits: { staff: { points: 10_000, duration: 1 }, anonymous: { points: 10_000, duration: 1 } },
      ...overrides,
      registry: { pollMs: 50, ...(overrides.registry ?? {}) },
    },
  });
  const url = system.gateway.url;
  const now = options.now ?? Date.now;
  async function dpopHeaders(token: string, proof: Partial<ProofOptions> = {}): Promise<Record<string, string>> {
    const key = system.demoDpopKey;
    if (!key) throw new Error('no demo DPoP key: the system was started without the demo register');
    return { authorization: `DPoP ${token}`, dpop: await signDpopProof(key, { htm: 'POST', htu: system.gateway.publicUrl, accessToken: token, now: now(), ...proof }) };
  }
  async function post(body: string, headers: Record<string, string> = {}): Promise<GraphQLResult> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    let parsed: GraphQLResult['body'];
    try {
      parsed = JSON.parse(text) as GraphQLResult['body'];
    } catch {
      throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
  const issuer = system.keys.issuer;
  if (!issuer) throw new Error('a test system runs outside production and has the development issuer key');
  return {
    ...system,
    keys: { ...system.keys, issuer },
    dataDir,
    // Issued on the system's clock (an injected one moves only when the test moves it): on the
    // real clock, a file running longer than the token clock tolerance (30 s) had its later tokens
    // refused as issued in the future.
    token: (o = {}) => signDevToken(issuer, { now: now(), ...o }, system.config),
    boundToken: (o = {}) => signDevToken(issuer, { now: now(), jkt: system.demoDpopKey?.thumbprint, ...o }, system.config),
    dpopHeaders,
    async gql(query, o = {}) {
      const token = o.token === undefined ? await signDevToken(issuer, { now: now() }, system.config) : o.token;
      // A token bound to a key (cnf.jkt) goes the DPoP way, with a fresh proof; any other as Bearer.
      const bound = token ? isBound(token) : false;
      const headers: Record<string, string> = { ...(bound && token ? await dpopHeaders(token) : token ? { authorization: `Bearer ${token}` } : {}), ...(o.headers ?? {}) };
      return post(JSON.stringify({ query, ...(o.variables ? { variables: o.variables } : {}), ...(o.operationName ? { operationName: o.operationName } : {}) }), headers);
    },
    post,
    async close() {
      await system.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether the token carries cnf.jkt (false for anything that is not a JWT: tests send garbage too). */
function isBound(token: string): boolean {
  try {
    return typeof (decodeJwt(token) as { cnf?: { jkt?: unknown } }).cnf?.jkt === 'string';
  } catch {
    return false;
  }
}

export const codesOf = (r: GraphQLResult): string[] => (r.body.errors ?? []).map((e) => String(e.extensions?.code));
