import { createHash } from 'node:crypto';
import { judgeDocument } from '../../../gateway/trusted-documents.js';
import { validateManifestDocuments } from '../../../registry/operation-manifest.js';
import type { Product } from '../../../registry/model.js';
import { productIn } from '../registry/fixtures.js';

const DOC = 'query A { __typename }';
const OTHER = 'query B { __typename }';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const none = '';

function withManifest(mode: Product['trustedDocuments'] = null): Product {
  const operations = validateManifestDocuments([DOC]) as Exclude<ReturnType<typeof validateManifestDocuments>, { code: string }>;
  return productIn('CERTIFIED', { manifest: { version: 3, operations, submittedAt: 'x', submittedBy: 'x', approvedAt: 'x', approvedBy: 'x' }, trustedDocuments: mode });
}

describe('judgeDocument', () => {
  it('does nothing for a product in OFF without a manifest, or staff, when no hash is sent', () => {
    expect(judgeDocument(productIn('CERTIFIED'), { query: OTHER }, none)).toEqual({ use: null, rewritten: null });
    expect(judgeDocument(null, { query: OTHER }, none)).toEqual({ use: null, rewritten: null });
  });

  it('ENFORCE: passes a certified document unchanged, refuses any other', () => {
    expect(judgeDocument(withManifest(), { query: DOC }, none)).toEqual({ use: { mode: 'ENFORCE', version: 3, entry: sha(DOC) }, rewritten: null });
    expect(judgeDocument(withManifest(), { query: OTHER }, none)).toMatchObject({ refusal: { code: 'OPERATION_NOT_CERTIFIED' }, use: { mode: 'ENFORCE', version: 3, entry: null } });
    expect(judgeDocument(withManifest(), { documentId: sha(OTHER) }, none)).toMatchObject({ refusal: { code: 'OPERATION_NOT_CERTIFIED' } });
  });

  it('LOG serves the other document, saying no entry ran; OFF with a manifest judges nothing unless a hash is sent', () => {
    expect(judgeDocument(withManifest('LOG'), { query: OTHER }, none)).toEqual({ use: { mode: 'LOG', version: 3, entry: null }, rewritten: null });
    expect(judgeDocument(withManifest('OFF'), { query: OTHER }, none)).toEqual({ use: null, rewritten: null });
    expect(judgeDocument(withManifest('OFF'), { documentId: sha(DOC) }, none)).toMatchObject({ use: { mode: 'OFF', version: 3, entry: sha(DOC) }, rewritten: { body: { query: DOC } } });
  });

  it('puts the manifest document in place of a hash, removing what Apollo must not see and keeping the rest', () => {
    const body = { documentId: `sha256:${sha(DOC)}`, extensions: { persistedQuery: { version: 1, sha256Hash: sha(DOC) }, other: 1 }, variables: { a: 1 }, operationName: 'A' };
    expect(judgeDocument(withManifest('LOG'), body, none).rewritten).toEqual({ body: { query: DOC, extensions: { other: 1 }, variables: { a: 1 }, operationName: 'A' }, search: '' });
    const search = new URLSearchParams({ documentId: sha(DOC), extensions: JSON.stringify({ persistedQuery: { sha256Hash: sha(DOC) } }), variables: '{}' }).toString();
    const rewritten = new URLSearchParams(judgeDocument(withManifest(), null, search).rewritten!.search);
    expect([rewritten.get('query'), rewritten.get('documentId'), rewritten.get('extensions'), rewritten.get('variables')]).toEqual([DOC, null, null, '{}']);
  });

  it('a document sent with its hash is checked against it, and the hash removed', () => {
    expect(judgeDocument(withManifest(), { query: DOC, documentId: sha(DOC) }, none).rewritten?.body).toEqual({ query: DOC });
    expect(judgeDocument(productIn('CERTIFIED'), { query: DOC, documentId: sha(OTHER) }, none).refusal?.code).toBe('BAD_REQUEST');
  });

  it.each([
    ['documentId not hex', { documentId: 'sha256:zz' }],
    ['documentId not text', { documentId: ['x'] }],
    ['uppercase hex', { documentId: sha(DOC).toUpperCase() }],
    ['persistedQuery without a hash', { extensions: { persistedQuery: {} } }],
    ['persistedQuery not an object', { extensions: { persistedQuery: true } }],
    ['two different hashes', { documentId: sha(DOC), extensions: { persistedQuery: { sha256Hash: sha(OTHER) } } }],
  ])('refuses %s with BAD_REQUEST', (_what, body) => {
    expect(judgeDocument(withManifest(), body, none).refusal?.code).toBe('BAD_REQUEST');
  });

  it('refuses unparseable GET extensions, and survives `null` extensions beside a hash', () => {
    expect(judgeDocument(withManifest(), null, new URLSearchParams({ extensions: '{' }).toString()).refusal?.code).toBe('BAD_REQUEST');
    const judged = judgeDocument(withManifest(), null, new URLSearchParams({ extensions: 'null', documentId: sha(DOC) }).toString());
    expect(new URLSearchParams(judged.rewritten!.search).get('query')).toBe(DOC);
  });

  it('a hash no manifest holds: PERSISTED_QUERY_NOT_FOUND outside ENFORCE (the client resends the document)', () => {
    expect(judgeDocument(productIn('CERTIFIED'), { documentId: sha(DOC) }, none).refusal?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(judgeDocument(null, { documentId: sha(DOC) }, none).refusal?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(judgeDocument(withManifest('LOG'), { documentId: sha(OTHER) }, none).refusal?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
