/**
 * The enforcement plugin's two hooks, driven directly: didResolveOperation notes the operation,
 * coerces variables, checks the variable-aware cost, decides fields and either refuses the
 * operation or leaves the filtered document for the executor; willSendResponse settles the status
 * and notes the error codes.
 */
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { DIRECTIVES } from '../../../../authorisation/directives/index.js';
import { buildRequirementMap } from '../../../../authorisation/requirement-map.js';
import { createDecisionCache } from '../../../../authorisation/decision-cache.js';
import { loadConfig } from '../../../../core/config.js';
import { OperationNotes, type GatewayContext } from '../../../../gateway/apollo/context.js';
import { createEnforcementPlugin } from '../../../../gateway/apollo/enforcement-plugin.js';
import type { FilteringGateway } from '../../../../gateway/apollo/filtering-gateway.js';
import { productCaller } from '../../../helpers/caller.js';

const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read") @clientAccess(argument: "clientId")
  clients(first: Int): [Client!]! @requiresService(service: "clients.read")
}
type Client @requiresService(service: "clients.read") {
  id: ID!
  name: String
  lodgments: [String!] @requiresService(service: "lodgments.read")
}
`;
const apiSchema = buildSchema(SDL);
const requirements = buildRequirementMap(SDL);
const gateway = { current: () => ({ apiSchema, requirements }) } as unknown as FilteringGateway;
const limits = loadConfig({}).operationLimits;

async function hooks(fieldDenial: 'partial' | 'reject' = 'partial') {
  const plugin = createEnforcementPlugin({ gateway, cache: createDecisionCache(100), fieldDenial, operationLimits: { ...limits, maxCost: 100 } });
  return (await plugin.requestDidStart!({} as never))!;
}

function requestContext(query: string, variables: Record<string, unknown> = {}, services = ['clients.read', 'lodgments.read']) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const caller = productCaller({ services });
  const contextValue: GatewayContext = {
    admission: { token: {} as never, resolved: { caller, product: null, developer: null, denial: null, at: 0, grantsKey: `g|${services.join(',')}` } },
    requestId: 'r',
    notes: new OperationNotes(),
    enforcement: null,
  };
  return { document, operation, operationName: operation.name?.value ?? null, queryHash: `h-${query.length}`, request: { variables }, contextValue } as never as Parameters<NonNullable<Awaited<ReturnType<typeof hooks>>['didResolveOperation']>>[0] & { contextValue: GatewayContext };
}

const codeOf = (p: Promise<unknown>) => p.then(() => null, (e: { extensions?: { code?: string; http?: { status?: number } } }) => [e.extensions?.code, e.extensions?.http?.status]);

describe('enforcement plugin', () => {
  it('notes the operation, the coordinates, the services and the clients for the access record', async () => {
    const h = await hooks();
    const rc = requestContext('query Q($id: ID!) { client(clientId: $id) { id name } }', { id: 'C-000001' });
    await h.didResolveOperation!(rc);
    expect(rc.contextValue.notes.facts()).toMatchObject({ operationName: 'Q', operationType: 'query', coordinates: ['Query.client', 'Client.id', 'Client.name'], services: ['clients.read'], clientIds: ['C-000001'], reasons: [] });
    expect(rc.contextValue.enforcement).toBeNull();
  });

  it('refuses a wrongly typed variable as BAD_USER_INPUT 400', async () => {
    const h = await hooks();
    expect(await codeOf(h.didResolveOperation!(requestContext('query Q($id: ID!) { client(clientId: $id) { id } }', { id: { not: 'an id' } })))).toEqual(['BAD_USER_INPUT', 400]);
  });

  it('refuses an operation whose cost with the given variables passes the bound', async () => {
    const h = await hooks();
    expect(await codeOf(h.didResolveOperation!(requestContext('query Q($n: Int) { clients(first: $n) { id name } }', { n: 1000 })))).toEqual(['OPERATION_LIMIT_EXCEEDED', 400]);
    await expect(h.didResolveOperation!(requestContext('query Q($n: Int) { clients(first: $n) { id name } }', { n: 5 }))).resolves.toBeUndefined();
  });

  it('leaves a filtered document for the executor when only some fields are refused', async () => {
    const h = await hooks();
    const rc = requestContext('{ client(clientId: "C-000001") { id lodgments } }', {}, ['clients.read']);
    await h.didResolveOperation!(rc);
    expect(rc.contextValue.notes.facts().reasons).toEqual([{ code: 'SERVICE_NOT_WHITELISTED', coordinate: 'Client.lodgments' }]);
    expect(rc.contextValue.enforcement?.refused.map((r) => r.entry.coordinate)).toEqual(['Client.lodgments']);
  });

  it('refuses the whole operation with 403 when nothing is left, or when FIELD_DENIAL=reject', async () => {
    expect(await codeOf((await hooks()).didResolveOperation!(requestContext('{ client(clientId: "C-000009") { id } }')))).toEqual(['CLIENT_NOT_AUTHORISED', 403]);
    expect(await codeOf((await hooks('reject')).didResolveOperation!(requestContext('{ client(clientId: "C-000001") { id lodgments } }', {}, ['clients.read'])))).toEqual(['SERVICE_NOT_WHITELISTED', 403]);
  });

  it("gives an answer whose every root field failed its error's status, and notes the codes", async () => {
    const h = await hooks();
    const rc = { contextValue: { notes: new OperationNotes() }, response: { http: { status: undefined as number | undefined }, body: { kind: 'single', singleResult: { data: null, errors: [{ message: 'x', path: ['suspendProduct'], extensions: { code: 'REVISION_CONFLICT' } }] } } } };
    await h.willSendResponse!(rc as never);
    expect([rc.response.http.status, rc.contextValue.notes.facts().errorCodes]).toEqual([409, ['REVISION_CONFLICT']]);
  });
});
