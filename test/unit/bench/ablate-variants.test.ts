import { describe, expect, it } from '@jest/globals';
import { parseVariant } from '../../../bench/ablate-variants.js';

describe('bench/ablate.ts variant names', () => {
  it('reads the kind, the options, a revision and extra variables', () => {
    expect(parseVariant('bare')).toEqual({ name: 'bare', kind: 'bare', env: {}, pageSize: null, mature: null, revision: null, nodeDefaults: false, memoryDisk: false });
    expect(parseVariant('bare-nodedefaults')).toMatchObject({ kind: 'bare', nodeDefaults: true });
    expect(parseVariant('durable-nodedefaults-norl')).toMatchObject({ kind: 'durable', nodeDefaults: true, env: { RATE_LIMITS_ENABLED: 'false' } });
    expect(parseVariant('durable-mature2000000-page8192')).toMatchObject({ kind: 'durable', mature: 2_000_000, pageSize: 8192 });
    expect(parseVariant('bare@3dc7f40')).toMatchObject({ kind: 'bare', revision: '3dc7f40' });
    expect(parseVariant('off-norl-lease500')).toMatchObject({ kind: 'off', env: { RATE_LIMITS_ENABLED: 'false', RATE_LIMIT_LEASE: '500' }, pageSize: null });
    expect(parseVariant('durable-page16384@HEAD~2+AUDIT_GATHER_TURNS=0+NODE_OPTIONS=--max-old-space-size=256')).toEqual({
      name: 'durable-page16384@HEAD~2+AUDIT_GATHER_TURNS=0+NODE_OPTIONS=--max-old-space-size=256',
      kind: 'durable',
      env: { AUDIT_GATHER_TURNS: '0', NODE_OPTIONS: '--max-old-space-size=256' },
      pageSize: 16384,
      mature: null,
      revision: 'HEAD~2',
      nodeDefaults: false,
      memoryDisk: false,
    });
    expect(parseVariant('durable-shm@HEAD~1')).toMatchObject({ kind: 'durable', memoryDisk: true, pageSize: null, revision: 'HEAD~1' });
    // An '@' in a value is part of the value, not a revision.
    expect(parseVariant('durable+INSTANCE_ID=a@b')).toMatchObject({ env: { INSTANCE_ID: 'a@b' }, revision: null });
  });

  it('refuses what it does not know, instead of measuring the default under a misleading name', () => {
    for (const [spec, message] of [
      ['enforced', /starts with bare, durable or off/],
      ['durable-pages4096', /unknown option -pages4096/],
      ['off-lease', /unknown option -lease/],
      ['durable-mature', /unknown option -mature/],
      ['durable@', /'@' without a revision/],
      ['durable+lower=1', /\+lower=1 is not NAME=value/],
      ['durable+FLAG', /\+FLAG is not NAME=value/],
      ['durable-shm2', /unknown option -shm2/],
      ['bare-shm', /bare takes a revision and -nodedefaults only/],
      ['bare-norl', /bare takes a revision and -nodedefaults only/],
      ['bare+X=1', /bare takes a revision and -nodedefaults only/],
    ] as const) {
      expect(() => parseVariant(spec)).toThrow(message);
    }
  });
});
