/**
 * Who may introspect the schema, decided per request. Pure.
 *
 * Apollo Server's `introspection: false` is a validation rule, and Apollo skips validation for a
 * document it has validated before: a rule cannot say yes to one caller and no to the next with
 * the same document. So wherever introspection depends on the caller (development: staff signed in
 * with MFA may explore the API from the console), Apollo's rule is off and this decision runs in
 * didResolveOperation, on every request, for every caller.
 */
import { Kind, visit, type DocumentNode } from 'graphql';
import { denial, type Denial } from '../core/errors.js';
import { ADMIN, AUDITOR, DEVELOPER_STAFF, roleDenial } from '../core/roles.js';
import type { VerifiedToken } from '../core/verified-token.js';

/**
 * `everyone`: INTROSPECTION=true (a local sandbox). `staff`: outside production, a staff token with
 * a known role and MFA (the console's explorer); products never. `nobody`: production's default.
 */
export type IntrospectionPolicy = 'everyone' | 'staff' | 'nobody';

/** The policy the configuration gives: the global switch wins; otherwise staff may outside production. */
export function introspectionPolicyOf(config: { env: string; operationLimits: { introspection: boolean } }): IntrospectionPolicy {
  if (config.operationLimits.introspection) return 'everyone';
  return config.env === 'production' ? 'nobody' : 'staff';
}

const META = new Set(['__schema', '__type']);

/**
 * Whether the document asks for the schema (`__schema` or `__type` anywhere, in any operation or
 * fragment). Conservative like Apollo's own rule: a document that holds an introspection operation
 * is refused whichever operation is run. `__typename` is not introspection.
 */
export function selectsIntrospection(document: DocumentNode): boolean {
  let found = introspecting.get(document);
  if (found === undefined) {
    found = walkForIntrospection(document);
    introspecting.set(document, found);
  }
  return found;
}

/**
 * The answer per document object: a pure function of the document, asked on every request, and
 * Apollo's document store hands every request with the same text the same parsed document. Held
 * weakly, so an entry lives exactly as long as that document does.
 */
const introspecting = new WeakMap<DocumentNode, boolean>();

function walkForIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (META.has(node.name.value)) {
        found = true;
        return false;
      }
      return undefined;
    },
  });
  return found;
}

/** Null when `token` may introspect under `policy`; otherwise the refusal (400, as Apollo's rule answers). */
export function introspectionDenial(policy: IntrospectionPolicy, token: Pick<VerifiedToken, 'kind' | 'roles' | 'mfa'>): Denial | null {
  if (policy === 'everyone') return null;
  if (policy === 'staff' && token.kind === 'staff' && roleDenial(token, [ADMIN, AUDITOR, DEVELOPER_STAFF], 'Introspection') === null) return null;
  return denial('GRAPHQL_VALIDATION_FAILED', 'GraphQL introspection is not allowed.');
}
