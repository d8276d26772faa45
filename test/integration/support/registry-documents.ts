/**
 * GraphQL documents for every root field of schema/registry.graphql, built from one table of
 * argument types, so a test names a field and its variables and never hand-writes a document
 * (a typo in a hand-written document would fail for the wrong reason).
 */

export const DEVELOPER_FIELDS =
  'id abn legalName status statusReason revision reviewDueAt eligibility { abnValid declarationsAccepted taxObligationsCurrent abnUnique reasons }';
export const PRODUCT_FIELDS =
  'id developerId name status effectiveStatus blockedBy statusReason services minimumVersion revision certification { tier validFrom validUntil expired certifiedBy } suspension { reason until actor resumeStatus } selfCertification { submittedBy assessments { requirement outcome } }';
export const HISTORY_FIELDS = 'id entityType entityId action actor reason ticket effectiveAt recordedAt revision fromStatus toStatus beforeJson afterJson';
export const AUTHORISATION_FIELDS = 'org clientId expiresAt revoked active revision';

const CHANGE = { expectedRevision: 'Int!', reason: 'String!', ticket: 'String', effectiveAt: 'String' } as const;
const PRODUCT_CHANGE = { productId: 'ID!', ...CHANGE } as const;
const DEVELOPER_CHANGE = { developerId: 'ID!', ...CHANGE } as const;

interface FieldSpec {
  operation: 'query' | 'mutation';
  args: Readonly<Record<string, string>>;
  selection: string;
}

/** Every root field of the registry schema: its operation type, argument types and what to select. */
export const REGISTRY_FIELDS = {
  developer: { operation: 'query', args: { id: 'ID!' }, selection: DEVELOPER_FIELDS },
  developers: { operation: 'query', args: { status: 'DeveloperStatus', refused: 'Boolean' }, selection: DEVELOPER_FIELDS },
  product: { operation: 'query', args: { id: 'ID!' }, selection: PRODUCT_FIELDS },
  products: { operation: 'query', args: { developerId: 'ID', status: 'ProductStatus', refused: 'Boolean', blockedBy: 'String' }, selection: PRODUCT_FIELDS },
  productHistory: { operation: 'query', args: { productId: 'ID!' }, selection: HISTORY_FIELDS },
  developerHistory: { operation: 'query', args: { developerId: 'ID!' }, selection: HISTORY_FIELDS },
  clientAuthorisations: { operation: 'query', args: { org: 'String', clientId: 'String' }, selection: AUTHORISATION_FIELDS },
  clientAuthorisationHistory: { operation: 'query', args: { org: 'String!', clientId: 'String!' }, selection: HISTORY_FIELDS },
  certificationsExpiring: { operation: 'query', args: { withinDays: 'Int!' }, selection: PRODUCT_FIELDS },
  reviewsDue: { operation: 'query', args: { withinDays: 'Int!' }, selection: DEVELOPER_FIELDS },
  registryHistory: { operation: 'query', args: { filter: 'RegistryHistoryFilterInput', first: 'Int', beforeRevision: 'Int' }, selection: HISTORY_FIELDS },

  registerDeveloper: { operation: 'mutation', args: { input: 'RegisterDeveloperInput!' }, selection: DEVELOPER_FIELDS },
  approveDeveloper: { operation: 'mutation', args: { ...DEVELOPER_CHANGE, reviewDueAt: 'String' }, selection: DEVELOPER_FIELDS },
  rejectDeveloper: { operation: 'mutation', args: DEVELOPER_CHANGE, selection: DEVELOPER_FIELDS },
  suspendDeveloper: { operation: 'mutation', args: DEVELOPER_CHANGE, selection: DEVELOPER_FIELDS },
  reinstateDeveloper: { operation: 'mutation', args: { ...DEVELOPER_CHANGE, reviewDueAt: 'String' }, selection: DEVELOPER_FIELDS },
  deregisterDeveloper: { operation: 'mutation', args: DEVELOPER_CHANGE, selection: DEVELOPER_FIELDS },
  completeAnnualReview: { operation: 'mutation', args: { ...DEVELOPER_CHANGE, reviewDueAt: 'String' }, selection: DEVELOPER_FIELDS },

  registerProduct: { operation: 'mutation', args: { input: 'RegisterProductInput!' }, selection: PRODUCT_FIELDS },
  submitSelfCertification: { operation: 'mutation', args: { ...PRODUCT_CHANGE, assessments: '[RequirementAssessmentInput!]!' }, selection: PRODUCT_FIELDS },
  certifyProduct: {
    operation: 'mutation',
    args: { ...PRODUCT_CHANGE, tier: 'CertificationTier!', validFrom: 'String!', validUntil: 'String!', services: '[String!]!' },
    selection: PRODUCT_FIELDS,
  },
  rejectCertification: { operation: 'mutation', args: PRODUCT_CHANGE, selection: PRODUCT_FIELDS },
  submitOperationManifest: { operation: 'mutation', args: { ...PRODUCT_CHANGE, documents: '[String!]!' }, selection: PRODUCT_FIELDS },
  approveOperationManifest: { operation: 'mutation', args: { ...PRODUCT_CHANGE, manifestVersion: 'Int!' }, selection: PRODUCT_FIELDS },
  setTrustedDocuments: { operation: 'mutation', args: { ...PRODUCT_CHANGE, mode: 'TrustedDocumentsMode' }, selection: PRODUCT_FIELDS },
  whitelistServices: { operation: 'mutation', args: { ...PRODUCT_CHANGE, services: '[String!]!' }, selection: PRODUCT_FIELDS },
  removeServices: { operation: 'mutation', args: { ...PRODUCT_CHANGE, services: '[String!]!' }, selection: PRODUCT_FIELDS },
  setMinimumVersion: { operation: 'mutation', args: { ...PRODUCT_CHANGE, minimumVersion: 'String!' }, selection: PRODUCT_FIELDS },
  suspendProduct: { operation: 'mutation', args: { ...PRODUCT_CHANGE, until: 'String' }, selection: PRODUCT_FIELDS },
  reinstateProduct: { operation: 'mutation', args: PRODUCT_CHANGE, selection: PRODUCT_FIELDS },
  revokeProduct: { operation: 'mutation', args: PRODUCT_CHANGE, selection: PRODUCT_FIELDS },
  changeProducts: {
    operation: 'mutation',
    args: { action: 'ProductBatchAction!', products: '[ProductRevisionInput!]!', reason: 'String!', ticket: 'String', effectiveAt: 'String', until: 'String' },
    selection: `productId code message product { ${PRODUCT_FIELDS} }`,
  },

  grantClientAuthorisation: {
    operation: 'mutation',
    args: { org: 'String!', clientId: 'String!', expectedRevision: 'Int', expiresAt: 'String', reason: 'String!', ticket: 'String', effectiveAt: 'String' },
    selection: AUTHORISATION_FIELDS,
  },
  revokeClientAuthorisation: {
    operation: 'mutation',
    args: { org: 'String!', clientId: 'String!', ...CHANGE },
    selection: AUTHORISATION_FIELDS,
  },
} as const satisfies Record<string, FieldSpec>;

export type RegistryField = keyof typeof REGISTRY_FIELDS;

/**
 * A one-field document for `field`, declaring a variable for each key of `variables` (only those,
 * so optional arguments left out stay unset). An unknown variable name is a test bug: it throws.
 */
export function registryDocument(field: RegistryField, variables: Record<string, unknown> = {}): string {
  const spec: FieldSpec = REGISTRY_FIELDS[field];
  const names = Object.keys(variables);
  const unknown = names.filter((n) => !(n in spec.args));
  if (unknown.length) throw new Error(`registryDocument(${field}): no argument ${unknown.join(', ')}`);
  const definitions = names.map((n) => `$${n}: ${spec.args[n]}`).join(', ');
  const args = names.map((n) => `${n}: $${n}`).join(', ');
  return `${spec.operation}${definitions ? `(${definitions})` : ''} { ${field}${args ? `(${args})` : ''} { ${spec.selection} } }`;
}
