/**
 * The pipeline's execute stage: Apollo runs the operation (its validation rules hold the
 * document-only operation limits; the enforcement plugin decides field authorisation; the
 * filtering gateway plans and executes). Apollo's hooks write into this stage's own notebook,
 * returned as the stage's facts once Apollo has answered.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { responseBodyText, toHttpGraphQLRequest } from '../../core/http.js';
import type { Answer } from '../pipeline.js';
import { OperationNotes, type Admission, type GatewayContext, type OperationFacts } from './context.js';

/** Codes in an answer Apollo produced without running our hooks (an HTTP-level refusal such as a missing query). */
function codesInBody(text: string): string[] {
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors ?? [];
    return errors.map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string');
  } catch {
    return [];
  }
}

/**
 * The request headers Apollo Server reads (@apollo/server 5: content negotiation, the POST body's
 * type, and the CSRF prevention's content type and preflight headers). Only these are handed to
 * Apollo: nothing in its run (our plugin, the data sources) reads the caller's other headers, and
 * copying all of them, the token among them, cost every request a map of lower-cased names.
 * A plugin that needs another header must add it here.
 */
export const APOLLO_REQUEST_HEADERS = ['accept', 'content-type', 'x-apollo-operation-name', 'apollo-require-preflight'] as const;

/** `request`: the body and query string Apollo sees (the trusted-documents stage may have put a manifest's document in place of a hash). */
export async function executeWithApollo(apollo: ApolloServer<GatewayContext>, req: IncomingMessage, request: { body: unknown; search: string }, admission: Admission, requestId: string): Promise<{ operation: OperationFacts; answer: Answer }> {
  const notes = new OperationNotes();
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: toHttpGraphQLRequest(req, request.body, { search: request.search, headerNames: APOLLO_REQUEST_HEADERS }),
    context: async () => ({ admission, requestId, notes, enforcement: null, walked: null }),
  });
  const text = await responseBodyText(response);
  const operation = notes.facts();
  const errorCodes = operation.errorCodes ?? codesInBody(text);
  // Apollo's HeaderMap is a Map of lower-case names, and this request's own: the answer keeps it rather than a copy.
  return { operation, answer: { status: response.status ?? 200, body: text, headers: response.headers, errorCodes, refusal: null } };
}
