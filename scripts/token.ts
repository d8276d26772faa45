/**
 * `npm run token -- [options]`: prints a token signed by the local development issuer
 * (created under DATA_DIR/keys on first use). The token alone goes to stdout, so
 * `TOKEN=$(npm run -s token -- --product PRD-LIMITED)` works. docs/tokens.md describes the claims.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { ensureDemoDpopKey, ensureKeys, keySecretsOf } from '../core/keys.js';
import { signDevToken, type DevTokenOptions } from '../gateway/auth/dev-tokens.js';
import { KNOWN_ROLES } from '../core/verified-token.js';

const USAGE = `Usage: npm run token -- [options]

Product token (the default; software_id = --product):
  --product <id>       software_id                  (default PRD-CERTIFIED)
  --version <semver>   software_version             (default 2.1.0)
  --org <abn>          org, 11-digit ABN            (default 12345679016)
  --scope "<s> <s>"    space-separated services     (default "clients.read lodgments.read lodgments.write accounts.read")
Staff token (no software_id):
  --role <role>        ato:admin | ato:auditor | dsp:developer (repeatable; not with --product)
  --developer <id>     developer_id (for dsp:developer)
DPoP (RFC 9449):
  --dpop               cnf.jkt: bound to the demo DPoP key (DATA_DIR/keys/demo-dpop.private.json);
                       --product then defaults to PRD-ENHANCED, the demo product that requires it.
                       Send it as "Authorization: DPoP <token>" with a proof from npm run dpop-proof.
Either:
  --mfa                amr ["pwd","mfa"]            (default ["pwd"])
  --ttl <seconds>      lifetime                     (default 900, at most TOKEN_MAX_LIFETIME_S)
  --sub <subject>      sub                          (default demo-user)
  --help               this text

Examples:
  npm run -s token -- --product PRD-LIMITED --scope clients.read
  npm run -s token -- --role ato:admin --mfa --sub alice
  TOKEN=$(npm run -s token -- --dpop) && npm run -s dpop-proof -- --token "$TOKEN"`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]): { help: boolean; options: Omit<DevTokenOptions, 'ttlS'>; ttl: string | undefined; dpop: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        product: { type: 'string' },
        version: { type: 'string' },
        org: { type: 'string' },
        scope: { type: 'string' },
        role: { type: 'string', multiple: true },
        developer: { type: 'string' },
        mfa: { type: 'boolean' },
        ttl: { type: 'string' },
        sub: { type: 'string' },
        dpop: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const options: Omit<DevTokenOptions, 'ttlS'> = {};
  if (values.product !== undefined) options.product = values.product;
  if (values.version !== undefined) options.version = values.version;
  if (values.org !== undefined) options.org = values.org;
  if (values.scope !== undefined) options.scope = values.scope;
  if (values.role !== undefined) options.roles = values.role;
  if (values.developer !== undefined) options.developer = values.developer;
  if (values.mfa) options.mfa = true;
  if (values.sub !== undefined) options.sub = values.sub;
  return { help: values.help ?? false, options, ttl: values.ttl, dpop: values.dpop ?? false };
}

async function main(): Promise<void> {
  const { help, options, ttl, dpop } = parse(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Nothing trusts the development issuer in production, so its key is never created there.
  // Refused before the configuration is read (NODE_ENV is what makes it production): a production
  // deployment's environment need not be complete where this runs (exit 2, nothing written).
  if (process.env.NODE_ENV === 'production') fail('the development issuer is not trusted in production: no token is signed and no key is written there (tokens come from your configured issuer)');
  const config = loadConfig();
  if (options.roles && options.product !== undefined) fail('--role makes a staff token; it cannot be combined with --product');
  if (options.roles && (options.version !== undefined)) fail('--version belongs to product tokens; it cannot be combined with --role');
  const unknownRole = options.roles?.find((r) => !(KNOWN_ROLES as readonly string[]).includes(r));
  if (unknownRole !== undefined) fail(`--role ${unknownRole}: not one of ${KNOWN_ROLES.join(', ')}`);
  if (options.org !== undefined && !/^\d{11}$/.test(options.org)) fail('--org must be an 11-digit ABN');
  let ttlS: number | undefined;
  if (ttl !== undefined) {
    if (!/^\d+$/.test(ttl) || Number(ttl) <= 0) fail('--ttl must be a positive number of seconds');
    ttlS = Number(ttl);
    if (ttlS > config.auth.maxLifetimeS) fail(`--ttl ${ttlS} exceeds TOKEN_MAX_LIFETIME_S (${config.auth.maxLifetimeS}); the gateway would refuse the token`);
  }
  const keys = await ensureKeys(config.dataDir, keySecretsOf(config));
  if (dpop) {
    options.jkt = (await ensureDemoDpopKey(config.dataDir)).thumbprint;
    if (!options.roles && options.product === undefined) options.product = 'PRD-ENHANCED';
  }
  const token = await signDevToken(keys.issuer, { ...options, ...(ttlS !== undefined ? { ttlS } : {}) }, config);
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
