/**
 * The "bare" gateway: plain @apollo/gateway behind @apollo/server's standalone HTTP server, on the
 * same supergraph, with nothing of ours but a data source that adds a gateway assertion (signed
 * once per subgraph at start) and the per-request signature, so the subgraphs accept its
 * requests (and, as "bare-http", DSP Gateway's subgraph transport and one-byte schema names: see
 * `transport`). It is what a team would run without DSP Gateway, and the denominator of the headline
 * ratio (the request signature, a few µs, is therefore in both sides).
 */
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { CryptoKey } from 'jose';
import { createAssertionSigner } from '../core/assertion.js';
import { createRequestSigner, SIGNATURE_HEADER, type RequestSigner } from '../core/request-signature.js';
import { createSubgraphFetcher } from '../gateway/subgraphs/transport.js';
import { internSchemaNames } from '../gateway/apollo/schema-names.js';
import type { AssertedIdentity } from './child/protocol.js';

export interface BareGatewayOptions {
  supergraphSdl: string;
  /** Subgraph name → URL (overrides the supergraph's). */
  subgraphUrls: Record<string, string>;
  /** The gateway key that subgraphs trust. */
  gatewayKey: { privateKey: CryptoKey; kid: string };
  /** The request-signature key the subgraphs share. */
  subgraphMacKey: Buffer;
  identity: AssertedIdentity;
  /** Assertion lifetime, s. Default 3600 (longer than any benchmark run, so it is signed once). */
  assertionTtlS?: number;
  /**
   * 'apollo-default' (default): Apollo's own fetcher (make-fetch-happen). 'node-http': the same
   * subgraph transport DSP Gateway uses (gateway/subgraph-fetcher.ts), and the schema's names
   * interned one-byte before @apollo/gateway loads it as DSP Gateway does
   * (gateway/apollo/schema-names.ts; without it every answer is two-byte text), so that a
   * comparison isolates what enforcement itself costs.
   */
  transport?: 'apollo-default' | 'node-http';
}

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** Adds a pre-signed assertion and signs each request; otherwise the gateway's default data source (and default fetcher). */
class PresignedAssertionDataSource extends RemoteGraphQLDataSource {
  constructor(
    url: string,
    name: string,
    private readonly authorization: string,
    requestSigner: RequestSigner,
    fetcher?: Fetcher,
  ) {
    super(fetcher ? { url, fetcher } : { url });
    const inner = this.fetcher;
    this.fetcher = ((input: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => {
      if (init.headers) init.headers[SIGNATURE_HEADER] = requestSigner.sign({ audience: name, method: init.method ?? 'POST', authorization, body: init.body ?? '' });
      return (inner as unknown as (i: string, n: unknown) => unknown)(input, init);
    }) as unknown as Fetcher;
  }

  override willSendRequest({ request }: GraphQLDataSourceProcessOptions): void {
    request.http?.headers.set('authorization', this.authorization);
  }
}

export async function startBareGateway(options: BareGatewayOptions): Promise<{ url: string; close(): Promise<void> }> {
  const signer = createAssertionSigner({ privateKey: options.gatewayKey.privateKey, kid: options.gatewayKey.kid, ttlS: options.assertionTtlS ?? 3600 });
  const id = options.identity;
  const authorizations = new Map<string, string>();
  for (const name of Object.keys(options.subgraphUrls)) {
    const token = await signer.sign(name, { sub: id.sub, org: id.org, softwareId: id.softwareId, softwareVersion: id.softwareVersion, developerId: id.developerId, tier: id.tier, roles: [], mfa: false, requestId: null });
    authorizations.set(name, `Bearer ${token}`);
  }
  const fetcher = options.transport === 'node-http' ? (createSubgraphFetcher({ timeoutMs: 10_000 }) as unknown as Fetcher) : undefined;
  const requestSigner = createRequestSigner({ key: options.subgraphMacKey });
  const releaseSchemaNames = options.transport === 'node-http' ? internSchemaNames(options.supergraphSdl) : () => {};
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => new PresignedAssertionDataSource(options.subgraphUrls[name] ?? url!, name, authorizations.get(name) ?? '', requestSigner, fetcher),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url: new URL('/graphql', url).href,
    async close() {
      await server.stop();
      releaseSchemaNames();
    },
  };
}
