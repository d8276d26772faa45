import { createHash } from 'node:crypto';
import { certifyProduct } from '../../../registry/product-certification.js';
import {
  approveOperationManifest, documentHash, manifestIndexOf, MAX_MANIFEST_OPERATIONS, setTrustedDocuments, submitOperationManifest, trustedDocumentsModeOf, validateManifestDocuments,
} from '../../../registry/operation-manifest.js';
import type { Product } from '../../../registry/model.js';
import { accepted, ADMIN, DAY, denied, NOW, productIn, REQUEST } from './fixtures.js';

const STAFF = 'sam (dsp:developer)';
const DOC = 'query A($id: ID!) {\n\tclient(clientId: $id) { id }\n}\n';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

function submitted(p: Product = productIn('CERTIFIED'), docs: unknown[] = [DOC]): Product {
  return accepted(submitOperationManifest(p, docs, REQUEST, STAFF, NOW)).next;
}

describe('manifest documents', () => {
  it('keeps each document exactly as sent, named by the SHA-256 of its text, with its operation names', () => {
    const ops = validateManifestDocuments([DOC, '{ a: __typename }', 'query B { x } query C { y }']);
    expect(ops).toEqual([
      { hash: sha(DOC), document: DOC, operationNames: ['A'] },
      { hash: sha('{ a: __typename }'), document: '{ a: __typename }', operationNames: [] },
      { hash: sha('query B { x } query C { y }'), document: 'query B { x } query C { y }', operationNames: ['B', 'C'] },
    ]);
    expect(documentHash(DOC)).toBe(sha(DOC));
  });

  it('drops a document sent twice (same hash), keeping the order', () => {
    expect(validateManifestDocuments([DOC, '{ x }', DOC])).toHaveLength(2);
  });

  it.each([
    ['a carriage return (the hash would not survive a line-ending change)', 'query A {\r\n x }', 'CONTROL_CHARACTER'],
    ['a NUL', 'query A { x }\u0000', 'CONTROL_CHARACTER'],
    ['a bidi override', 'query A { x } # \u202E', 'BIDI_CONTROL'],
    ['text that is not GraphQL', 'query {', 'NOT_GRAPHQL'],
    ['a document with fragments only', 'fragment F on Client { id }', 'NO_OPERATION'],
    ['a document too long', `{ x } #${'y'.repeat(40_000)}`, 'TOO_LONG'],
  ])('refuses %s with BAD_USER_INPUT naming the document', (_what, text, problem) => {
    expect(validateManifestDocuments(['{ ok }', text])).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'documents.1', problem } });
  });

  it('refuses an empty manifest, a blank or non-text document, and more than the bound', () => {
    for (const docs of [[], ['   '], [42]]) expect(validateManifestDocuments(docs)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const many = Array.from({ length: MAX_MANIFEST_OPERATIONS + 1 }, (_, i) => `{ f${i} }`);
    expect(validateManifestDocuments(many)).toMatchObject({ details: { maxItems: MAX_MANIFEST_OPERATIONS } });
    expect(validateManifestDocuments(many.slice(1))).toHaveLength(MAX_MANIFEST_OPERATIONS);
  });
});

describe('submitting and approving versions', () => {
  it('submits version 1 as pending, with the submitter; nothing is in force yet', () => {
    const p = submitted();
    expect(p.pendingManifest).toMatchObject({ version: 1, submittedBy: STAFF, approvedAt: null, approvedBy: null });
    expect(p.manifest ?? null).toBeNull();
    expect(trustedDocumentsModeOf(p)).toBe('OFF');
  });

  it('approves the named pending version: in force, ENFORCE by default, both people on record', () => {
    const { next, note } = accepted(approveOperationManifest(submitted(), 1, REQUEST, ADMIN, NOW + 1000));
    expect(next.manifest).toMatchObject({ version: 1, submittedBy: STAFF, approvedBy: ADMIN, approvedAt: new Date(NOW + 1000).toISOString() });
    expect(next.pendingManifest).toBeNull();
    expect(note).toMatchObject({ action: 'approveOperationManifest', actor: ADMIN });
    expect(trustedDocumentsModeOf(next)).toBe('ENFORCE');
    expect(manifestIndexOf(next)!.get(sha(DOC))!.document).toBe(DOC);
  });

  it('numbers a resubmission after the approved one and after a pending one it replaces', () => {
    const approved = accepted(approveOperationManifest(submitted(), 1, REQUEST, ADMIN, NOW)).next;
    const v2 = submitted(approved, ['{ two }']);
    expect([v2.manifest!.version, v2.pendingManifest!.version]).toEqual([1, 2]);
    const v3 = submitted(v2, ['{ three }']);
    expect([v3.manifest!.version, v3.pendingManifest!.version]).toEqual([1, 3]);
    // The version the admin reviewed, not whatever was submitted since.
    expect(denied(approveOperationManifest(v3, 2, REQUEST, ADMIN, NOW)).details).toMatchObject({ pendingVersion: 3 });
    expect(denied(approveOperationManifest(approved, 1, REQUEST, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  it('approves with the certification when the admin names the pending version', () => {
    const p = submitted(productIn('SELF_CERTIFIED'));
    const input = { tier: 'STANDARD' as const, validFrom: new Date(NOW).toISOString(), validUntil: new Date(NOW + 365 * DAY).toISOString(), services: ['clients.read'] };
    const certified = accepted(certifyProduct(p, { ...input, manifestVersion: 1 }, REQUEST, ADMIN, NOW)).next;
    expect([certified.status, certified.manifest?.approvedBy, certified.pendingManifest]).toEqual(['CERTIFIED', ADMIN, null]);
    const without = accepted(certifyProduct(p, input, REQUEST, ADMIN, NOW)).next;
    expect([without.manifest ?? null, without.pendingManifest?.version]).toEqual([null, 1]);
    expect(denied(certifyProduct(p, { ...input, manifestVersion: 7 }, REQUEST, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });
});

describe('trusted-documents mode', () => {
  it('is the admin setting when set, else ENFORCE with an approved manifest and OFF without', () => {
    const approved = accepted(approveOperationManifest(submitted(), 1, REQUEST, ADMIN, NOW)).next;
    expect(trustedDocumentsModeOf(accepted(setTrustedDocuments(approved, 'LOG', REQUEST, ADMIN, NOW)).next)).toBe('LOG');
    expect(trustedDocumentsModeOf(accepted(setTrustedDocuments(approved, 'OFF', REQUEST, ADMIN, NOW)).next)).toBe('OFF');
    expect(trustedDocumentsModeOf(accepted(setTrustedDocuments(productIn('CERTIFIED'), 'ENFORCE', REQUEST, ADMIN, NOW)).next)).toBe('ENFORCE');
    expect(trustedDocumentsModeOf(accepted(setTrustedDocuments(approved, null, REQUEST, ADMIN, NOW)).next)).toBe('ENFORCE');
    expect(denied(setTrustedDocuments(approved, 'SOMETIMES' as never, REQUEST, ADMIN, NOW)).details).toMatchObject({ field: 'mode' });
  });
});
