import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ensureKeys, keySecretsOf } from '../../../core/keys.js';
import { ConfigError, loadConfig } from '../../../core/config.js';
import { freshDirs } from '../../helpers/temp-dirs.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.storeUrl).toBe('sqlite:data/dsp.db');
    expect(c.registry.pollMs).toBe(250);
    expect(c.auth.algorithms).toEqual(['ES256', 'RS256', 'EdDSA']);
    expect(c.operationLimits.introspection).toBe(false);
  });
  it('reads environment variables and coerces their types', () => {
    const c = loadConfig({ PORT: '5000', TOKEN_ALGORITHMS: 'ES256,EdDSA', INTROSPECTION: 'true', RATE_TIERS: '{"demo":{"points":5,"duration":1,"burst":0,"burstDuration":1,"perOrgShare":1}}' });
    expect(c.port).toBe(5000);
    expect(c.auth.algorithms).toEqual(['ES256', 'EdDSA']);
    expect(c.operationLimits.introspection).toBe(true);
    expect(c.rateLimits.tiers['demo']!.points).toBe(5);
  });
  it('lists every problem at once, by variable name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', STORE_URL: 'postgres://x', TOKEN_ALGORITHMS: 'HS256' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT');
    expect(problems).toContain('STORE_URL');
    expect(problems).toContain('TOKEN_ALGORITHMS');
  });
  it('reads whole numbers as decimal digits only: blank, hex, exponent and fractional values are refused by name, not read as 0 or 16', () => {
    expect(loadConfig({ PORT: ' 5001 ', AUDIT_GATHER_TURNS: '0' }).port).toBe(5001);
    expect(loadConfig({ AUDIT_GATHER_TURNS: '0' }).audit.gatherTurns).toBe(0);
    for (const [name, value] of [['PORT', ' '], ['AUDIT_GATHER_TURNS', '\t'], ['TOKEN_CACHE_SIZE', '0x10'], ['DECISION_CACHE_SIZE', '1e3'], ['PORT', '80.5'], ['PORT', '99999999999999999999']] as const) {
      let error: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toContain(name);
    }
    expect(() => loadConfig({ PORT: '65536' })).toThrow(/PORT/);
    expect(() => loadConfig({ AUDIT_GATHER_TURNS: '1001' })).toThrow(/AUDIT_GATHER_TURNS/);
    expect(loadConfig({}, { port: 4100 }).port).toBe(4100);
  });
  it('refuses production without explicit issuer keys and audit key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });
  describe('production token issuers and their keys (review s18c F2)', () => {
    const secret = Buffer.alloc(32, 7).toString('base64');
    const prod = { NODE_ENV: 'production', AUDIT_HMAC_KEY: secret, SUBGRAPH_MAC_KEY: secret, METRICS_BEARER: 'scrape-secret-0123456789', TOKEN_ISSUERS: 'https://issuer.example' };
    it('starts with named issuers and an https key set', () => {
      expect(loadConfig({ ...prod, JWKS_URL: 'https://issuer.example/jwks.json' }).auth.issuers).toEqual(['https://issuer.example']);
    });
    it.each(['http://issuer.example/jwks.json', 'ftp://issuer.example/jwks.json', 'file:///etc/jwks.json', 'data:application/json,{"keys":[]}'])('refuses the key set URL %s', (url) => {
      expect(() => loadConfig({ ...prod, JWKS_URL: url })).toThrow(/JWKS_URL: must be an https URL in production/);
    });
    it('refuses the development issuer, by default or by name', () => {
      const { TOKEN_ISSUERS: _issuers, ...unnamed } = prod;
      expect(() => loadConfig({ ...unnamed, JWKS_FILE: '/keys/jwks.json' })).toThrow(/TOKEN_ISSUERS: name your token issuers in production/);
      expect(() => loadConfig({ ...prod, TOKEN_ISSUERS: 'https://issuer.example,dsp-dev-issuer', JWKS_FILE: '/keys/jwks.json' })).toThrow(/TOKEN_ISSUERS: name your token issuers/);
    });
    it('refuses an in-memory store in production (review s18b 6)', () => {
      for (const url of ['sqlite::memory:', 'sqlite:', 'sqlite:file:x?mode=memory']) expect(() => loadConfig({ ...prod, JWKS_FILE: '/k.json', STORE_URL: url })).toThrow(/STORE_URL: an in-memory database in production/);
      expect(loadConfig({ ...prod, JWKS_FILE: '/k.json', STORE_URL: 'sqlite:/var/lib/dsp/dsp.db' }).storeUrl).toBe('sqlite:/var/lib/dsp/dsp.db');
      expect(loadConfig({ STORE_URL: 'sqlite::memory:' }).storeUrl).toBe('sqlite::memory:');
    });
    it('leaves development as it was', () => {
      expect(loadConfig({ JWKS_URL: 'http://localhost:8080/jwks.json' }).auth.issuers).toEqual(['dsp-dev-issuer']);
    });
    // Apollo reads these from the environment by itself (session 31's attacker review): two turn
    // off the query planner's guards against operations built to exhaust it, and the debug one
    // writes query plans, operation text and any literal TFN in it, to the console.
    it.each([
      ['APOLLO_DISABLE_SECURITY_RECURSIVE_SELECTIONS_CHECK', 'true'],
      ['APOLLO_DISABLE_SECURITY_NON_LOCAL_SELECTIONS_CHECK', 'true'],
      ['APOLLO_FEDERATION_DEBUG', 'true'],
      ['APOLLO_FEDERATION_DEBUG', 'query-planning'],
    ])("refuses Apollo's %s=%s in production, for the gateway and a subgraph, and not in development", (name, value) => {
      const base = { ...prod, JWKS_FILE: '/k.json' };
      expect(loadConfig(base).env).toBe('production');
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}: Apollo's own switch`));
      expect(() => loadConfig({ ...base, [name]: value }, {}, { role: 'subgraph', subgraph: 'clients' })).toThrow(new RegExp(name));
      expect(loadConfig({ ...base, [name]: 'false' }).env).toBe('production');
      expect(loadConfig({ [name]: value }).env).toBe('development');
    });
  });
  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c.auth)).toBe(true);
  });
  it('reads the DPoP settings and PUBLIC_URL, refusing a symmetric algorithm and a URL a proof htu could not equal', () => {
    const c = loadConfig({ PUBLIC_URL: 'https://api.example.gov.au/graphql', DPOP_ALGORITHMS: 'ES256', DPOP_PROOF_WINDOW_S: '30' });
    expect([c.publicUrl, c.auth.dpopAlgorithms, c.auth.dpopProofWindowS]).toEqual(['https://api.example.gov.au/graphql', ['ES256'], 30]);
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(() => loadConfig({ DPOP_ALGORITHMS: 'HS256' })).toThrow(/DPOP_ALGORITHMS/);
    expect(() => loadConfig({ PUBLIC_URL: 'https://api.example.gov.au/graphql?x=1' })).toThrow(/PUBLIC_URL: must have no query/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://api.example.gov.au/graphql' })).toThrow(/PUBLIC_URL: must be an http/);
    expect(() => loadConfig({ DPOP_PROOF_WINDOW_S: '0' })).toThrow(/DPOP_PROOF_WINDOW_S/);
  });
});

describe('JSON variables say what is wrong', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('names text that is not JSON', () => {
    const [problem] = problemsOf({ RATE_TIERS: '{bad' });
    expect(problem).toMatch(/^RATE_TIERS \(rateLimits\.tiers\): is not valid JSON/);
  });

  it('names the field of a tier that is missing or wrong', () => {
    const tier = { points: 5, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1 };
    const { points: _points, ...noPoints } = tier;
    expect(problemsOf({ RATE_TIERS: JSON.stringify({ demo: tier, gold: noPoints }) })).toEqual([expect.stringMatching(/^RATE_TIERS \(rateLimits\.tiers\.gold\.points\): .*expected number, received undefined/)]);
    expect(problemsOf({ RATE_LIMIT_STAFF: '{"points":"many","duration":1}' })).toEqual([expect.stringMatching(/^RATE_LIMIT_STAFF \(rateLimits\.staff\.points\): .*expected number/)]);
  });

  it('refuses a key named twice in one object, where JSON.parse would silently keep the last', () => {
    // The products IdP's second entry would have replaced its first: it could then mint an ATO admin.
    const keys = '{"https://p.example":"/k/p.json","https://s.example":"/k/s.json"}';
    const grants = '{"https://p.example":["product"],"https://s.example":["ato:admin"],"https://p.example":["ato:admin"]}';
    expect(problemsOf({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: grants })).toEqual([expect.stringMatching(/^TOKEN_ISSUER_GRANTS \(auth\.issuerGrants\): names the key "https:\/\/p\.example" twice/)]);
    // Deeper down too, and a key spelt with an escape is the same key.
    const tier = '{"points":5,"duration":1,"burst":0,"burstDuration":1,"perOrgShare":1';
    expect(problemsOf({ RATE_TIERS: `{"demo":${tier},"points":6}}` })).toEqual([expect.stringMatching(/names the key "points" twice/)]);
    expect(problemsOf({ RATE_TIERS: `{"demo":${tier}},"d\\u0065mo":${tier}}}` })).toEqual([expect.stringMatching(/names the key "demo" twice/)]);
  });

  it('takes equal keys in different objects, and quotes, braces and commas inside strings, as they are', () => {
    const tier = { points: 5, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1 };
    expect(problemsOf({ RATE_TIERS: JSON.stringify({ demo: tier, gold: tier }) })).toEqual([]);
    const grants = { 'https://p.example/"a{,}[b]\\': ['product'], 'https://s.example': ['ato:admin'] };
    const keys = { 'https://p.example/"a{,}[b]\\': '/k/p.json', 'https://s.example': '/k/s.json' };
    expect(loadConfig({ TOKEN_ISSUER_KEYS: JSON.stringify(keys), TOKEN_ISSUER_GRANTS: JSON.stringify(grants) }).auth.issuerGrants).toEqual(grants);
  });
});

describe('secrets from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = randomBytes(32).toString('base64');

  it('reads AUDIT_HMAC_KEY_FILE, SUBGRAPH_MAC_KEY_FILE and METRICS_BEARER_FILE, dropping the trailing newline', () => {
    for (const [name, value] of [['hmac', key], ['mac', key], ['bearer', 's3cret-token']]) writeFileSync(join(dir, name!), `${value}\n`);
    const c = loadConfig({ AUDIT_HMAC_KEY_FILE: join(dir, 'hmac'), SUBGRAPH_MAC_KEY_FILE: join(dir, 'mac'), METRICS_BEARER_FILE: join(dir, 'bearer') });
    expect([c.audit.hmacKey, c.enforcement.subgraphMacKey, c.monitoring.metricsBearer]).toEqual([key, key, 's3cret-token']);
  });

  it('refuses a variable given twice, and a file that cannot be read, naming them', () => {
    expect(() => loadConfig({ METRICS_BEARER: 'a', METRICS_BEARER_FILE: join(dir, 'bearer') })).toThrow(/METRICS_BEARER and METRICS_BEARER_FILE: set one, not both/);
    expect(() => loadConfig({ AUDIT_HMAC_KEY_FILE: join(dir, 'missing') })).toThrow(/AUDIT_HMAC_KEY_FILE: cannot read .*missing \(ENOENT\)/);
  });

  it('takes the gateway signing key from GATEWAY_KEY_FILE instead of generating one under DATA_DIR', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'from-the-vault' };
    writeFileSync(join(dir, 'gateway.jwk'), JSON.stringify(jwk));
    const dataDir = join(dir, 'data');
    const keys = await ensureKeys(dataDir, keySecretsOf(loadConfig({ GATEWAY_KEY_FILE: join(dir, 'gateway.jwk') })));
    expect(keys.gateway.kid).toBe('from-the-vault');
    expect(keys.gateway.publicJwks.keys[0]).toMatchObject({ kid: 'from-the-vault', crv: 'Ed25519', x: jwk.x });
    expect(keys.gateway.publicJwks.keys[0]).not.toHaveProperty('d');
    expect(existsSync(join(dataDir, 'keys', 'gateway.private.json'))).toBe(false);
    writeFileSync(join(dir, 'not-a-key.jwk'), JSON.stringify({ kty: 'EC', crv: 'P-256' }));
    await expect(ensureKeys(dataDir, { gatewayKeyFile: join(dir, 'not-a-key.jwk') })).rejects.toThrow(/GATEWAY_KEY_FILE: must hold an Ed25519 private JWK/);
  });
});

describe('key files under DATA_DIR (review s18b 8)', () => {
  const fresh = freshDirs('dsp-keyfiles-');
  const dataDirWith = (file: string, content: string) => {
    const dataDir = fresh();
    mkdirSync(join(dataDir, 'keys'), { mode: 0o700 });
    writeFileSync(join(dataDir, 'keys', file), content, { mode: 0o600 });
    return dataDir;
  };

  it.each([['subgraph-mac.b64'], ['audit-hmac.b64']])('refuses %s when it holds no 32-byte key, naming the file', async (file) => {
    for (const content of ['', '\n', 'QUJD', 'not base64 at all!', Buffer.alloc(31).toString('base64')]) {
      await expect(ensureKeys(dataDirWith(file, content))).rejects.toThrow(new RegExp(`${file.replace('.', '\\.')}: must hold a base64 key of at least 32 bytes`));
    }
    const good = randomBytes(32).toString('base64');
    const keys = await ensureKeys(dataDirWith(file, `${good}\n`));
    expect((file === 'subgraph-mac.b64' ? keys.subgraphMacKey : keys.hmacKey).toString('base64')).toBe(good);
  });

  it('names a private key file that is not a key', async () => {
    await expect(ensureKeys(dataDirWith('gateway.private.json', ''))).rejects.toThrow(/gateway\.private\.json: not a private JSON Web Key for EdDSA/);
  });
});

describe('durations and addresses (review s18b 5, 6, 9)', () => {
  it.each([['SUBGRAPH_TIMEOUT_MS'], ['REGISTRY_POLL_MS'], ['REGISTRY_STALENESS_MS'], ['AUDIT_CHECKPOINT_INTERVAL_MS'], ['AUDIT_RETRY_MAX_MS']])('refuses %s past what a timer can wait (2^31 − 1 ms)', (name) => {
    expect(() => loadConfig({ [name]: '3000000000' })).toThrow(new RegExp(`${name} \\(`));
    expect(() => loadConfig({ [name]: '2147483647' })).not.toThrow();
  });
  it('refuses a rate-limit window past what a timer can wait', () => {
    expect(() => loadConfig({ RATE_LIMIT_STAFF: JSON.stringify({ points: 5, duration: 3_000_000 }) })).toThrow(/RATE_LIMIT_STAFF \(rateLimits\.staff\.duration\)/);
    const tier = { points: 5, duration: 1, burst: 0, burstDuration: 3_000_000, perOrgShare: 1 };
    expect(() => loadConfig({ RATE_TIERS: JSON.stringify({ demo: tier }) })).toThrow(/RATE_TIERS \(rateLimits\.tiers\.demo\.burstDuration\)/);
  });
  it('refuses a subgraph URL that is not http(s)', () => {
    expect(() => loadConfig({ ACCOUNTS_URL: 'file:///etc/passwd' })).toThrow(/ACCOUNTS_URL: must be an http\(s\) URL/);
  });
  it('treats an empty STORE_URL as unset: the database goes under DATA_DIR', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/dsp', STORE_URL: '' }).storeUrl).toBe('sqlite:/var/lib/dsp/dsp.db');
  });
});

describe('TRUSTED_PROXIES (review s18b 10)', () => {
  it.each([['999.1.1.1'], ['10.0.0.0/99'], ['::1/129'], ['1.2.3']])('refuses %s before anything starts', (entry) => {
    expect(() => loadConfig({ TRUSTED_PROXIES: entry })).toThrow(/TRUSTED_PROXIES: /);
  });
  it('takes addresses and subnets of both families', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '172.28.0.10, 10.0.0.0/8, ::1, fd00::/8' }).trustedProxies).toEqual(['172.28.0.10', '10.0.0.0/8', '::1', 'fd00::/8']);
  });
});

describe('switches and the metrics bearer (review s18b 13)', () => {
  it('names the words a switch takes', () => {
    expect(() => loadConfig({ RATE_LIMITS_ENABLED: 'flase' })).toThrow(/RATE_LIMITS_ENABLED \(rateLimits\.enabled\): must be one of true, false, 1, 0, on, off, got "flase"/);
    expect(loadConfig({ RATE_LIMITS_ENABLED: 'off' }).rateLimits.enabled).toBe(false);
  });
  it('wants a metrics bearer of at least 16 characters in production', () => {
    const secret = Buffer.alloc(32, 7).toString('base64');
    const prod = { NODE_ENV: 'production', AUDIT_HMAC_KEY: secret, SUBGRAPH_MAC_KEY: secret, TOKEN_ISSUERS: 'https://issuer.example', JWKS_FILE: '/k.json' };
    expect(() => loadConfig({ ...prod, METRICS_BEARER: 'a' })).toThrow(/METRICS_BEARER: at least 16 characters in production/);
    expect(loadConfig({ ...prod, METRICS_BEARER: 'x'.repeat(16) }).monitoring.metricsBearer).toBe('x'.repeat(16));
  });
});

describe('a subgraph\'s configuration in production (review s18d F2)', () => {
  const mac = Buffer.alloc(32, 9).toString('base64');
  it('asks a subgraph for the MAC key only, and the audit subgraph for the audit HMAC key too', () => {
    expect(loadConfig({ NODE_ENV: 'production', SUBGRAPH_MAC_KEY: mac }, {}, { role: 'subgraph', subgraph: 'clients' }).env).toBe('production');
    expect(() => loadConfig({ NODE_ENV: 'production' }, {}, { role: 'subgraph', subgraph: 'clients' })).toThrow(/SUBGRAPH_MAC_KEY: required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', SUBGRAPH_MAC_KEY: mac }, {}, { role: 'subgraph', subgraph: 'audit' })).toThrow(/AUDIT_HMAC_KEY: required in production/);
    expect(loadConfig({ NODE_ENV: 'production', SUBGRAPH_MAC_KEY: mac, AUDIT_HMAC_KEY: mac }, {}, { role: 'subgraph', subgraph: 'audit' }).audit.hmacKey).toBe(mac);
  });
  it('still asks the gateway for everything', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SUBGRAPH_MAC_KEY: mac })).toThrow(/JWKS_FILE, JWKS_URL or TOKEN_ISSUER_KEYS: required in production/);
  });
});

describe('NODE_ENV left unset on a gateway that listens beyond this machine', () => {
  it('refuses to guess development (the development issuer, "sign in as" an admin) on a non-loopback HOST', () => {
    for (const env of [{ HOST: '0.0.0.0' }, { HOST: '::', NODE_ENV: '' }, { HOST: '10.1.2.3' }]) expect(() => loadConfig(env)).toThrow(/NODE_ENV: unset, so this gateway would run as development/);
  });
  it('runs as before on a loopback HOST, or when NODE_ENV is said', () => {
    for (const env of [{}, { HOST: '127.0.0.1' }, { HOST: 'localhost' }, { HOST: '::1' }, { HOST: '[::1]' }, { HOST: '0.0.0.0', NODE_ENV: 'development' }, { HOST: '0.0.0.0', NODE_ENV: 'test' }]) expect(() => loadConfig(env)).not.toThrow();
    expect(() => loadConfig({ HOST: '0.0.0.0' }, { env: 'development' })).not.toThrow();
  });
  it('leaves a subgraph alone (it serves no console and trusts no client token)', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' }, {}, { role: 'subgraph', subgraph: 'clients' })).not.toThrow();
  });
});
