/**
 * Gateway CPU per request for the trusted-documents stage (gateway/trusted-documents.ts) against a
 * manifest of 500 operations: a certified document sent whole (one SHA-256 and a map lookup), the
 * same sent as its hash (a lookup and the body rewritten), and a product with trusted documents
 * OFF (the stage does nothing).
 */
import { judgeDocument } from '../../gateway/trusted-documents.js';
import { documentHash, validateManifestDocuments } from '../../registry/operation-manifest.js';
import type { ManifestOperation, Product } from '../../registry/model.js';
import { timeSync, type OpCost } from './timing.js';

export interface TrustedDocumentsCost {
  case: string;
  cost: OpCost;
}

export function measureTrustedDocuments(options: { budgetMs: number }): TrustedDocumentsCost[] {
  const documents = Array.from({ length: 500 }, (_, i) => `query Op${i}($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n    abn\n    f${i}: gstRegistered\n  }\n}\n`);
  const operations = validateManifestDocuments(documents) as ManifestOperation[];
  const base = { trustedDocuments: null, manifest: { version: 1, operations, submittedAt: '', submittedBy: '', approvedAt: '', approvedBy: '' } } as unknown as Product;
  const off = { trustedDocuments: 'OFF', manifest: null } as unknown as Product;
  const none = '';
  const query = documents[250]!;
  const hash = documentHash(query);
  const variables = { clientId: 'C-000001' };
  return [
    { case: 'ENFORCE, document sent (SHA-256 + lookup)', cost: timeSync(() => judgeDocument(base, { query, variables }, none), options.budgetMs) },
    { case: 'ENFORCE, hash sent (lookup + rewrite)', cost: timeSync(() => judgeDocument(base, { documentId: hash, variables }, none), options.budgetMs) },
    { case: 'OFF, no hash (nothing to do)', cost: timeSync(() => judgeDocument(off, { query, variables }, none), options.budgetMs) },
  ];
}
