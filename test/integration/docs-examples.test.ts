/**
 * The curl examples of docs/tokens.md work when pasted: each `curl` command of a checked section
 * is run as written (through bash, with curl), against a running system instead of localhost:4000
 * and with the token its section mints, and answers the status (and code) its comment line says
 * (`# … → 403 OPERATION_NOT_CERTIFIED`). The DPoP example runs whole, npm scripts included, on the
 * running system's data directory.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const run = promisify(execFile);
const TOKENS_MD = readFileSync(new URL('../../docs/tokens.md', import.meta.url), 'utf8');

interface Example {
  expectation: string;
  status: number;
  code: string | null;
  command: string;
}

/** The sh block of a `## heading` section: its `TOKEN=$(npm run -s token -- …)` options and its curl examples. */
function examplesOf(heading: string): { tokenArgs: string; examples: Example[] } {
  const section = TOKENS_MD.split(/\n## /).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`docs/tokens.md has no section "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const tokenArgs = /TOKEN=\$\(npm run -s token -- ([^)]*)\)/.exec(block)![1]!;
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^# .*→ (\d{3})(?: ([A-Z_]+))?/.exec(lines[i]!);
    if (m && lines[i + 1]?.startsWith('curl ')) examples.push({ expectation: lines[i]!, status: Number(m[1]), code: m[2] ?? null, command: lines[i + 1]! });
  }
  return { tokenArgs, examples };
}

/** Mints what `npm run token -- <args>` would, for the options the docs use. */
function tokenOptions(args: string): { product?: string } {
  const product = /--product (\S+)/.exec(args)?.[1];
  return product ? { product } : {};
}

describe('docs/tokens.md examples work when pasted', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  const section = examplesOf('Sending a certified operation by hash');

  it('the section has examples of every outcome it describes', () => {
    expect(section.examples.map((e) => e.status)).toEqual([200, 200, 200, 403, 403]);
  });

  it('the DPoP example runs as pasted: npm run token -- --dpop, npm run dpop-proof and curl (served with the proof, refused as Bearer)', async () => {
    const block = /```sh\n([\s\S]*?)```/.exec(TOKENS_MD.split(/\n## /).find((s) => s.startsWith('DPoP: sender-constrained tokens'))!.split('**Try it**')[1]!)![1]!;
    const script = block.replaceAll('http://localhost:4000/graphql', sys.gateway.url);
    const repo = new URL('../../', import.meta.url).pathname;
    const { stdout } = await run('bash', ['-c', script], { cwd: repo, env: { ...process.env, DATA_DIR: sys.dataDir, PUBLIC_URL: sys.gateway.publicUrl, NODE_ENV: '', NODE_OPTIONS: '' } });
    const answers = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { data?: { client?: { id?: string } }; errors?: Array<{ extensions?: Record<string, unknown> }> });
    expect(answers.map((a) => a.data?.client?.id ?? a.errors?.[0]?.extensions)).toEqual(['C-000003', expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'dpop', dpop: 'bound_token_as_bearer' })]);
  }, 60_000);

  it.each(section.examples.map((e) => [e.expectation, e] as const))('%s', async (_name, example) => {
    const token = await sys.token(tokenOptions(section.tokenArgs));
    const command = `${example.command.replaceAll('http://localhost:4000/graphql', sys.gateway.url)} -w '\\n%{http_code}'`;
    const { stdout } = await run('bash', ['-c', command], { env: { ...process.env, TOKEN: token } });
    const lines = stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    const body = JSON.parse(lines.join('\n')) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    expect([status, body.errors?.[0]?.extensions?.code ?? null]).toEqual([example.status, example.code]);
    if (example.status === 200) expect(body.data).toEqual({ client: { id: 'C-000001', name: expect.any(String) } });
  });
});
