/**
 * Operation manifests: certification covers what a product runs, not only what it may read.
 *
 * Developer staff submit the documents their product sends (a new manifest version, pending);
 * the ATO admin approves a pending version (on its own, or while certifying), and the approved
 * version is what the gateway holds the product to. Each document is identified by the SHA-256
 * (lowercase hex) of its exact text, the hash Apollo's persisted queries and the GraphQL over
 * HTTP `documentId` convention use, so a client may send the hash instead of the document.
 *
 * The trusted-documents mode says what happens to a document that is not in the approved
 * manifest: OFF serves it, LOG serves it but flags it, ENFORCE refuses it. A product with no
 * mode set gets ENFORCE as soon as it has an approved manifest (and OFF before): certifying a
 * manifest is opting in. Pure, apart from hashing.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, type DocumentNode } from 'graphql';
import { denial, type Denial } from '../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from './change-note.js';
import { toIso } from './instants.js';
import { TRUSTED_DOCUMENT_MODES, type ManifestOperation, type OperationManifest, type Product, type TrustedDocumentsMode } from './model.js';
import { transitionProduct } from './product-transitions.js';
import { findUnsafeCharacter, TEXT_RULES } from './text.js';

/** Most documents one manifest version may hold. */
export const MAX_MANIFEST_OPERATIONS = 500;

/** The identity of a document: SHA-256 of its exact UTF-8 text, lowercase hex. */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What the gateway applies to `product` now: the admin's setting, else ENFORCE once a manifest is approved. */
export function trustedDocumentsModeOf(product: Pick<Product, 'trustedDocuments' | 'manifest'>): TrustedDocumentsMode {
  return product.trustedDocuments ?? (product.manifest ? 'ENFORCE' : 'OFF');
}

const byManifest = new WeakMap<OperationManifest, ReadonlyMap<string, ManifestOperation>>();

/** The approved manifest's documents by hash; built once per manifest object (records are immutable). */
export function manifestIndexOf(product: Pick<Product, 'manifest'>): ReadonlyMap<string, ManifestOperation> | null {
  const manifest = product.manifest;
  if (!manifest) return null;
  let index = byManifest.get(manifest);
  if (!index) {
    index = new Map(manifest.operations.map((op) => [op.hash, op]));
    byManifest.set(manifest, index);
  }
  return index;
}

/**
 * One submitted document as stored, or why not. The text is kept exactly as sent (no trimming,
 * no line-ending change) because its hash is its identity; so a carriage return, which a later
 * reader could silently turn into a different text, is refused along with every other control
 * character but LF and TAB.
 */
function manifestOperationOf(text: unknown, index: number): ManifestOperation | Denial {
  const field = `documents.${index}`;
  if (typeof text !== 'string' || text.trim() === '') return denial('BAD_USER_INPUT', `${field} must be a GraphQL document.`, { field });
  if ([...text].length > TEXT_RULES.document.max) return denial('BAD_USER_INPUT', `${field} is longer than ${TEXT_RULES.document.max} characters.`, { field, problem: 'TOO_LONG', maxLength: TEXT_RULES.document.max });
  const unsafe = findUnsafeCharacter(text, 'prose') ?? (text.includes('\r') ? { problem: 'CONTROL_CHARACTER' as const, codePoint: 'U+000D', position: [...text.slice(0, text.indexOf('\r'))].length } : null);
  if (unsafe) return denial('BAD_USER_INPUT', `${field} contains a character a document may not hold (${unsafe.codePoint} at position ${unsafe.position}); use LF line endings.`, { field, ...unsafe });
  let document: DocumentNode;
  try {
    document = parse(text, { noLocation: true });
  } catch (err) {
    return denial('BAD_USER_INPUT', `${field} is not a GraphQL document: ${(err as Error).message}`, { field, problem: 'NOT_GRAPHQL' });
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) return denial('BAD_USER_INPUT', `${field} defines no operation.`, { field, problem: 'NO_OPERATION' });
  const names = operations.flatMap((op) => (op.name ? [op.name.value] : []));
  return { hash: documentHash(text), document: text, operationNames: names };
}

/** The documents of a new manifest version, deduplicated by hash in the order sent, or the first problem. */
export function validateManifestDocuments(documents: readonly unknown[]): ManifestOperation[] | Denial {
  if (!Array.isArray(documents) || documents.length === 0) return denial('BAD_USER_INPUT', 'A manifest needs at least one document.', { field: 'documents' });
  if (documents.length > MAX_MANIFEST_OPERATIONS) return denial('BAD_USER_INPUT', `A manifest holds at most ${MAX_MANIFEST_OPERATIONS} documents.`, { field: 'documents', maxItems: MAX_MANIFEST_OPERATIONS });
  const seen = new Map<string, ManifestOperation>();
  for (let i = 0; i < documents.length; i++) {
    const op = manifestOperationOf(documents[i], i);
    if (isDenial(op)) return op;
    if (!seen.has(op.hash)) seen.set(op.hash, op);
  }
  return [...seen.values()];
}

function nextVersion(product: Product): number {
  return Math.max(product.manifest?.version ?? 0, product.pendingManifest?.version ?? 0) + 1;
}

/** A new pending manifest version (replacing any version still pending); the approved one stays in force. */
export function submitOperationManifest(product: Product, documents: readonly unknown[], request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'submitOperationManifest', request, actor, now, () => {
    const operations = validateManifestDocuments(documents);
    if (isDenial(operations)) return operations;
    const pendingManifest: OperationManifest = { version: nextVersion(product), operations, submittedAt: toIso(now), submittedBy: actor, approvedAt: null, approvedBy: null };
    return { pendingManifest };
  });
}

/**
 * The pending version, approved: what `approveOperationManifest` and a certification that names a
 * version apply. The version is named so an admin approves what they reviewed, not whatever was
 * submitted since.
 */
export function approvedManifest(product: Product, version: number, actor: string, now: number): Pick<Product, 'manifest' | 'pendingManifest'> | Denial {
  const pending = product.pendingManifest;
  if (!pending) return denial('BAD_USER_INPUT', 'The product has no manifest awaiting approval.', { field: 'manifestVersion' });
  if (pending.version !== version) return denial('BAD_USER_INPUT', `Version ${version} is not the one awaiting approval (${pending.version}).`, { field: 'manifestVersion', pendingVersion: pending.version });
  return { manifest: { ...pending, approvedAt: toIso(now), approvedBy: actor }, pendingManifest: null };
}

export function approveOperationManifest(product: Product, version: number, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'approveOperationManifest', request, actor, now, () => approvedManifest(product, version, actor, now));
}

/** Sets (or, with null, clears back to the default) what the gateway does with documents outside the manifest. */
export function setTrustedDocuments(product: Product, mode: TrustedDocumentsMode | null, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'setTrustedDocuments', request, actor, now, () => {
    if (mode !== null && !(TRUSTED_DOCUMENT_MODES as readonly string[]).includes(mode)) return denial('BAD_USER_INPUT', 'Unknown trusted-documents mode.', { field: 'mode' });
    return { trustedDocuments: mode };
  });
}
