/**
 * The registry subgraph's input guard: every String/ID input of every mutation has a rule, the
 * SDL states each bound, and every text or date argument of every mutation (incidents included)
 * is refused with BAD_USER_INPUT, at its argument path, with nothing written, when it holds a
 * control character, a bidi control or an impossible date.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import { buildSchema, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { TEXT_RULES } from '../../../../registry/text.js';
import { mutationInputChecks, mutationTextInputs } from '../../../../subgraphs/registry/input-guard.js';
import { ARGUMENT_RULES, INPUT_FIELD_RULES, isFormatRule, type InputRule } from '../../../../subgraphs/registry/input-rules.js';
import { subgraphTypeDefs } from '../../../../subgraphs/shared/sdl.js';
import {
  ADMIN, activeDeveloper, allMet, application, certifiedProduct, createHarness, DAY, developerMutation, developerStaff, productMutation,
  REGISTER_DEVELOPER, REGISTER_PRODUCT, SUBMIT_SELF_CERTIFICATION, type GqlResult, type Harness,
} from './harness.js';

const schema: GraphQLSchema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs('registry') });
const inputs = mutationTextInputs(schema);
const ruleAt = new Map(inputs.map((i) => [i.coordinate, i.rule]));

describe('every text input of every registry mutation has a rule, and the SDL states it', () => {
  test('no String or ID input is left without a rule (the subgraph would refuse to start)', () => {
    expect(inputs.filter((i) => !i.rule).map((i) => i.coordinate)).toEqual([]);
    expect(() => mutationInputChecks(schema)).not.toThrow();
    expect(inputs.length).toBeGreaterThan(90);
  });

  test('an unclassified argument stops the checks from being built, naming it', () => {
    const extra = buildSchema('type Query { a: Int } input X { reason: String, colour: String } type Mutation { m(reason: String, nickname: ID, x: X, n: Int): Int }');
    expect(() => mutationInputChecks(extra)).toThrow(/Mutation\.m\(nickname:\).*X\.reason.*X\.colour|Mutation\.m\(nickname:\)/);
    expect(mutationTextInputs(extra).filter((i) => !i.rule).map((i) => i.coordinate).sort()).toEqual(['Mutation.m(nickname:)', 'X.colour', 'X.reason']);
  });

  test('no rule is stale: each names an argument or input field the schema has', () => {
    const argumentNames = new Set(inputs.filter((i) => i.coordinate.startsWith('Mutation.')).map((i) => i.coordinate.replace(/^.*\((\w+):\)$/, '$1')));
    expect(Object.keys(ARGUMENT_RULES).filter((name) => !argumentNames.has(name))).toEqual([]);
    expect(Object.keys(INPUT_FIELD_RULES).filter((c) => !ruleAt.has(c))).toEqual([]);
  });

  test('each free-text description states its bound and shape; each date says RFC 3339', () => {
    const wrong: string[] = [];
    for (const { coordinate, description, rule } of inputs) {
      const d = (description ?? '').toLowerCase();
      if (rule?.kind === 'instant') {
        if (!d.includes('rfc 3339') || !d.includes('offset')) wrong.push(`${coordinate}: ${description}`);
      } else if (rule && !isFormatRule(rule.rule)) {
        const shape = rule.rule.shape === 'prose' ? 'may span lines' : 'one line';
        if (!d.includes(`up to ${rule.rule.max} characters`) || !d.includes(shape)) wrong.push(`${coordinate}: ${description}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('free text is classified as the issue asks: names, tickets, contacts one line; reasons, evidence, reports, notes may span lines', () => {
    const shapeOf = (c: string) => (ruleAt.get(c) as Extract<InputRule, { kind: 'text' }>).rule;
    for (const c of ['RegisterDeveloperInput.legalName', 'ContactInput.name', 'RegisterProductInput.name', 'Mutation.approveDeveloper(ticket:)', 'NotifyIncidentInput.contact', 'Mutation.suspendProduct(productId:)']) expect([c, shapeOf(c).shape]).toEqual([c, 'line']);
    for (const c of ['Mutation.suspendProduct(reason:)', 'RequirementAssessmentInput.evidence', 'RequirementAssessmentInput.compensatingControl', 'NotifyIncidentInput.whatHappened', 'Mutation.triageIncident(note:)']) expect([c, shapeOf(c).shape]).toEqual([c, 'prose']);
    expect(shapeOf('RequirementAssessmentInput.evidence')).toBe(TEXT_RULES.evidence);
  });
});

// ── the sweep ────────────────────────────────────────────────────────────────────────────────

/** One String/ID value inside a mutation's variables: its path and schema coordinate. */
interface Leaf {
  path: Array<string | number>;
  coordinate: string;
}

function leavesOf(type: GraphQLInputType, value: unknown, path: Array<string | number>, coordinate: string, out: Leaf[]): void {
  if (value == null) return;
  if (isNonNullType(type)) return leavesOf(type.ofType, value, path, coordinate, out);
  if (isListType(type)) return (value as unknown[]).forEach((v, i) => leavesOf(type.ofType, v, [...path, i], coordinate, out));
  if (isInputObjectType(type)) {
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) leavesOf(type.getFields()[name]!.type, v, [...path, name], `${type.name}.${name}`, out);
    return;
  }
  if (isScalarType(type) && (type.name === 'String' || type.name === 'ID')) out.push({ path, coordinate });
}

function mutationLeaves(mutation: string, variables: Record<string, unknown>): Leaf[] {
  const field = schema.getMutationType()!.getFields()[mutation]!;
  const out: Leaf[] = [];
  for (const arg of field.args) leavesOf(arg.type, variables[arg.name], [arg.name], `Mutation.${mutation}(${arg.name}:)`, out);
  return out;
}

function poisoned(variables: Record<string, unknown>, path: Array<string | number>, replace: (old: string) => string): Record<string, unknown> {
  const copy = structuredClone(variables);
  let at: any = copy;
  for (const key of path.slice(0, -1)) at = at[key];
  const last = path.at(-1)!;
  at[last] = replace(at[last]);
  return copy;
}

/** A document for `mutation` declaring every argument given in `variables`. */
function documentFor(mutation: string, variables: Record<string, unknown>): string {
  const field = schema.getMutationType()!.getFields()[mutation]!;
  const args = field.args.filter((a) => a.name in variables);
  return `mutation(${args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')}) { ${mutation}(${args.map((a) => `${a.name}: $${a.name}`).join(', ')}) { __typename } }`;
}

const insert = (ch: string) => (old: string) => `${old.slice(0, 1)}${ch}${old.slice(1)}`;
// What each shape refuses, inserted into an otherwise valid value.
const LINE_POISONS = ['\u0000', '\u001b', '\n', '\r', '\t', '\u007f', '\u0085', '\u2028', '\u202e', '\u2067', '\ufeff', '\ud800'];
const PROSE_POISONS = ['\u0000', '\u001b', '\r', '\u000b', '\u007f', '\u009b', '\u2029', '\u202a', '\u2066', '\ufeff', '\udc00'];
const BAD_INSTANTS = ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00', '2026-01-01', 'March 7'];

function poisonsFor(rule: InputRule): Array<[string, (old: string) => string]> {
  if (rule.kind === 'instant') return BAD_INSTANTS.map((bad) => [bad, () => bad]);
  return (rule.rule.shape === 'line' ? LINE_POISONS : PROSE_POISONS).map((ch) => [`U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`, insert(ch)]);
}

let h: Harness;
/** Valid variables for each mutation, on records made for it: without the poison each call succeeds (checked last). */
const base: Record<string, Record<string, unknown>> = {};
const iso = (ms: number) => new Date(ms).toISOString();

async function writes(): Promise<unknown> {
  const incidents = await h.store.listIncidents({ limit: 1000 });
  return { revision: await h.store.currentRevision(), incidents: incidents.map((i) => [i.id, i.revision]) };
}

beforeAll(async () => {
  h = await createHarness();
  const now = h.clock.now;
  const change = { reason: 'Checked\r\nand\tagreed', ticket: 'T-1', effectiveAt: iso(now - DAY) };
  const registered = async () => (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application() })).registerDeveloper;
  const active = () => activeDeveloper(h);
  const suspended = async () => {
    const d = await active();
    return (await h.ok(ADMIN, developerMutation('suspendDeveloper'), { id: d.id, rev: d.revision, reason: 'Fixture' })).suspendDeveloper;
  };
  const owner = await active();
  const product = async () => (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId: owner.id, name: 'Ledger', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '2.0.0' } })).registerProduct;
  const selfCertified = async () => {
    const p = await product();
    return (await h.ok(ADMIN, SUBMIT_SELF_CERTIFICATION, { id: p.id, rev: p.revision, reason: 'Fixture', assessments: allMet() })).submitSelfCertification;
  };
  const certified = () => certifiedProduct(h, owner.id);
  const suspendedProduct = async () => {
    const p = await certified();
    return (await h.ok(ADMIN, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'Fixture' })).suspendProduct;
  };
  const dev = async (make: () => Promise<{ id: string; revision: number }>, extra: Record<string, unknown> = {}) => {
    const d = await make();
    return { developerId: d.id, expectedRevision: d.revision, ...change, ...extra };
  };
  const prd = async (make: () => Promise<{ id: string; revision: number }>, extra: Record<string, unknown> = {}) => {
    const p = await make();
    return { productId: p.id, expectedRevision: p.revision, ...change, ...extra };
  };

  base['registerDeveloper'] = { input: { ...application(), contact: { name: 'Sam Lee', email: 'sam@acme.example', phone: '+61 2 5550 0000' }, reason: 'New\napplication', ticket: 'APP-1' } };
  base['approveDeveloper'] = await dev(registered, { reviewDueAt: iso(now + 200 * DAY) });
  base['rejectDeveloper'] = await dev(registered);
  base['suspendDeveloper'] = await dev(active);
  base['reinstateDeveloper'] = await dev(suspended, { reviewDueAt: iso(now + 200 * DAY) });
  base['deregisterDeveloper'] = await dev(active);
  base['completeAnnualReview'] = await dev(active, { reviewDueAt: iso(now + 300 * DAY) });
  base['registerProduct'] = { input: { developerId: owner.id, name: 'Ledger Cloud', deploymentModel: 'CLOUD', dataHosting: ['AU', 'NZ'], minimumVersion: '2.0.0', reason: 'New\tproduct', ticket: 'PRD-1' } };
  const assessments = allMet({ ENCRYPTION_AT_REST: 'COMPENSATING_CONTROL' }).map((a) => ({ ...a, evidence: `Policy ${a.requirement}\nsee annex` }));
  base['submitSelfCertification'] = await prd(product, { assessments });
  base['certifyProduct'] = await prd(selfCertified, { tier: 'STANDARD', validFrom: iso(now - DAY), validUntil: iso(now + 365 * DAY), services: ['clients.read', 'lodgments.read'] });
  base['rejectCertification'] = await prd(selfCertified);
  base['whitelistServices'] = await prd(certified, { services: ['accounts.read'] });
  base['removeServices'] = await prd(certified, { services: ['lodgments.read'] });
  base['setMinimumVersion'] = await prd(product, { minimumVersion: '3.1.0' });
  base['setKeyBinding'] = await prd(certified, { required: true, thumbprints: ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'] });
  base['suspendProduct'] = await prd(certified, { until: iso(now + 7 * DAY) });
  base['reinstateProduct'] = await prd(suspendedProduct);
  base['revokeProduct'] = await prd(product);
  const manifestPending = async () => {
    const p = await selfCertified();
    return (await h.ok(ADMIN, 'mutation($id: ID!, $rev: Int!) { submitOperationManifest(productId: $id, expectedRevision: $rev, documents: ["{ __typename }"], reason: "Fixture") { id revision } }', { id: p.id, rev: p.revision })).submitOperationManifest;
  };
  base['submitOperationManifest'] = await prd(product, { documents: ['query A {\n\t__typename\n}\n', '{ __typename }'] });
  base['approveOperationManifest'] = await prd(manifestPending, { manifestVersion: 1 });
  base['setTrustedDocuments'] = await prd(product, { mode: 'LOG' });
  const batched = await certified();
  base['changeProducts'] = { action: 'SUSPEND', products: [{ productId: batched.id, expectedRevision: batched.revision }], ...change, until: iso(now + 7 * DAY) };
  base['grantClientAuthorisation'] = { org: '12345679016', clientId: 'C-000007', expiresAt: iso(now + 90 * DAY), ...change };
  const granted = (await h.ok(ADMIN, 'mutation { grantClientAuthorisation(org: "12345679016", clientId: "C-000008", reason: "Fixture") { revision } }')).grantClientAuthorisation;
  base['revokeClientAuthorisation'] = { org: '12345679016', clientId: 'C-000008', expectedRevision: granted.revision, ...change };
  const [someProduct] = await h.store.listProducts({ developerId: owner.id });
  const notify = { whatHappened: 'A laptop was stolen.\nIt held an export.', occurredAt: iso(now - 3_600_000), productIds: [someProduct!.id], affectedRecords: 4, contact: 'security@acme.example' };
  base['notifyIncident'] = { input: notify };
  const incident = (await h.ok(developerStaff(owner.id), 'mutation($input: NotifyIncidentInput!) { notifyIncident(input: $input) { id revision } }', { input: notify })).notifyIncident;
  base['triageIncident'] = { id: incident.id, expectedRevision: incident.revision, status: 'TRIAGED', note: 'Looked at it.\n\tContained.' };
});
afterAll(async () => {
  await h?.close();
});

const MUTATIONS = Object.keys(schema.getMutationType()!.getFields()).filter((f) => !f.startsWith('_'));

describe('every text and date argument of every mutation refuses what its rule refuses, writing nothing', () => {
  test('the sweep covers every mutation and every text input of the schema', () => {
    expect(MUTATIONS.filter((m) => !(m in base))).toEqual([]);
    const swept = new Set(MUTATIONS.flatMap((m) => mutationLeaves(m, base[m]!).map((l) => l.coordinate)));
    expect(inputs.map((i) => i.coordinate).filter((c) => !swept.has(c))).toEqual([]);
  });

  test.each(MUTATIONS)('%s', async (mutation) => {
    const variables = base[mutation]!;
    const before = await writes();
    const wrong: unknown[] = [];
    for (const leaf of mutationLeaves(mutation, variables)) {
      for (const [label, replace] of poisonsFor(ruleAt.get(leaf.coordinate)!)) {
        const r: GqlResult = await h.run(ADMIN, documentFor(mutation, variables), poisoned(variables, leaf.path, replace));
        const error = r.errors?.[0];
        const got = [error?.extensions?.['code'], error?.path, error?.extensions?.['field'], r.data ?? null];
        const want = ['BAD_USER_INPUT', [mutation], leaf.path.join('.'), null];
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push({ leaf: leaf.path.join('.'), label, got });
      }
    }
    expect(wrong).toEqual([]);
    expect(await writes()).toEqual(before);
  });

  test('an over-long value is refused at its path too', async () => {
    const variables = poisoned(base['registerDeveloper']!, ['input', 'legalName'], () => 'x'.repeat(TEXT_RULES.name.max + 1));
    const r = await h.run(ADMIN, documentFor('registerDeveloper', variables), variables);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.legalName', problem: 'TOO_LONG', maxLength: TEXT_RULES.name.max });
  });

  // Last: proves each refusal above was the poison's doing, not an invalid base.
  test.each(MUTATIONS)('%s without the poison succeeds', async (mutation) => {
    const r = await h.run(ADMIN, documentFor(mutation, base[mutation]!), base[mutation]!);
    expect(r.errors ?? []).toEqual([]);
    const answer = r.data?.[mutation];
    expect((Array.isArray(answer) ? answer[0] : answer)?.__typename).toEqual(expect.any(String));
  });
});
