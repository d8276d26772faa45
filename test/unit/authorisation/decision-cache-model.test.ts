/**
 * Review (cert): a model check of the caller memo and the decision cache against a fresh
 * evaluation. Random products with timed facts (certification start and end, a suspension with
 * `until`, an authorisation expiry) near a few instants, random request instants (forwards and
 * backwards) and random register changes: whatever the caches hold, every answer must equal the
 * answer computed afresh at that instant.
 */
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import type { VerifiedToken } from '../../../core/verified-token.js';
import { DIRECTIVES } from '../../../authorisation/directives/index.js';
import { buildRequirementMap } from '../../../authorisation/requirement-map.js';
import { createCallerResolver, resolveCaller, type RegistryView } from '../../../authorisation/caller.js';
import { createDecisionCache } from '../../../authorisation/decision-cache.js';
import { analyseOperation } from '../../../authorisation/operation-analysis.js';
import { decideFields } from '../../../authorisation/field-decision.js';
import { authorisationAnswerAt } from '../../../registry/authorisations.js';
import type { ClientAuthorisation, Product } from '../../../registry/model.js';
import { NOW, developerIn, productIn } from '../registry/fixtures.js';

const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read") @clientAccess(argument: "clientId")
}
type Client @requiresService(service: "clients.read") {
  id: ID!
  name: String
  secret: String @restricted
}
`;
const schema = buildSchema(SDL);
const map = buildRequirementMap(SDL);
const ORG = '12345679016';
const token: VerifiedToken = Object.freeze({ sub: 'u', iss: 'i', jti: null, exp: 0, softwareId: 'PRD-TEST', softwareVersion: '2.1.0', org: ORG, scopes: Object.freeze(['clients.read']) as string[], roles: Object.freeze([]) as unknown as string[], developerId: null, mfa: false, kind: 'product' }) as VerifiedToken;

let seed = 12345;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const instants = [NOW, NOW + 1000, NOW + 2000, NOW + 3000, NOW + 4000];
const pick = () => instants[rnd(instants.length)]! + rnd(3) - 1;
const iso = (ms: number) => new Date(ms).toISOString();

function randomProduct(): Product {
  const from = rnd(2) ? NOW - 100_000 : pick();
  const until = Math.max(from + 1, pick());
  const suspended = rnd(3) === 0;
  return productIn(suspended ? 'SUSPENDED' : 'CERTIFIED', {
    certification: { tier: rnd(2) ? 'ENHANCED' : 'STANDARD', validFrom: iso(from), validUntil: iso(until), certifiedAt: iso(NOW - 200_000), certifiedBy: 'a' },
    suspension: suspended ? { reason: 'r', since: iso(NOW - 1000), until: rnd(2) ? iso(pick()) : null, actor: 'a', resumeStatus: 'CERTIFIED' } : null,
  });
}
function randomAuthorisation(): ClientAuthorisation {
  return { org: ORG, clientId: 'C-000001', grantedAt: iso(NOW - 100_000), expiresAt: rnd(2) ? iso(pick()) : null, revoked: rnd(5) === 0, revision: 1 };
}

test('the caller memo and the decision cache always answer as a fresh evaluation would', () => {
  const state = { revision: 1, product: randomProduct(), auth: randomAuthorisation() };
  const view: RegistryView = {
    revision: () => state.revision,
    product: (id) => (id === state.product.id ? state.product : undefined),
    developer: (id) => (id === 'DEV-TEST' ? developerIn('ACTIVE') : undefined),
    products: () => [state.product].values(),
    clientAuthorisation: (org, clientId, at) => authorisationAnswerAt(org === state.auth.org && clientId === state.auth.clientId ? state.auth : undefined, at),
  };
  const resolve = createCallerResolver(view);
  const cache = createDecisionCache(100);
  const document = parse('{ client(clientId: "C-000001") { id name secret } }');
  const operation = document.definitions[0] as OperationDefinitionNode;
  const mismatches: string[] = [];
  for (let i = 0; i < 20_000 && mismatches.length < 5; i++) {
    if (rnd(10) === 0) {
      state.revision++;
      if (rnd(2)) state.product = randomProduct();
      else state.auth = randomAuthorisation();
    }
    const at = pick();
    const cached = resolve(token, at);
    const fresh = resolveCaller(token, view, at);
    if ((cached.denial?.code ?? null) !== (fresh.denial?.code ?? null)) mismatches.push(`denial at ${at - NOW}: cached ${cached.denial?.code} fresh ${fresh.denial?.code} ${JSON.stringify(state.product.certification)} ${JSON.stringify(state.product.suspension)}`);
    if (fresh.denial) continue;
    const analysis = cache.analyse('k', schema, document, operation, map);
    const c = cache.decide('k', analysis, document, null, cached.caller, cached.grantsKey, {}, cached.at).decision.refused.map((r) => r.denial.code).join(',');
    const f = decideFields(analyseOperation(schema, document, operation, map), fresh.caller, {}, at).refused.map((r) => r.denial.code).join(',');
    if (c !== f) mismatches.push(`decision at ${at - NOW}: cached [${c}] fresh [${f}]`);
  }
  expect(mismatches).toEqual([]);
});
