import { ConfigError, loadConfig } from '../../../core/config.js';

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
  it('refuses production without explicit issuer keys and audit key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });
  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c.auth)).toBe(true);
  });
});
