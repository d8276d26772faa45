/**
 * The Mongo adapter without a server: mongoose's own validation of every model (valid documents
 * pass; missing fields and bad enum values are refused), the indexes each schema declares, the
 * record <-> document conversion the chain hash depends on. Connection options, errors, the
 * transaction loop and the registry's queries have their own files under test/unit/store/mongo/.
 * The adapter's behaviour against a real server is the store contract suite's job (test/contract),
 * which runs wherever MongoDB is reachable.
 */
import mongoose from 'mongoose';
import { computeRecordHash } from '../../../audit/chain.js';
import { CodedError } from '../../../core/errors.js';
import { decodeCursor, encodeCursor } from '../../../store/mongo/cursor.js';
import { alertToDocument, documentToRecord, incidentToDocument, recordToDocument } from '../../../store/mongo/documents.js';
import { matchOf } from '../../../store/mongo/access-log-store.js';
import { registerModels, type AnyModel, type Models } from '../../../store/mongo/models/index.js';
import {
  note,
  sampleAlert,
  sampleAuthorisation,
  sampleCheckpoint,
  sampleDeveloper,
  sampleHead,
  sampleIncident,
  sampleProduct,
  sampleRecord,
} from '../../contract/samples.js';

// A Mongoose instance that never connects: models compile and validate without a server.
const models: Models = registerModels(new mongoose.Mongoose());

type Doc = Record<string, unknown>;

/** Paths mongoose reports as invalid for `doc`, with the kind of each failure. */
function problems(model: AnyModel, doc: Doc): Record<string, string> {
  const err = new model(doc).validateSync();
  if (!err) return {};
  return Object.fromEntries(Object.entries(err.errors).map(([path, e]) => [path, (e as { kind: string }).kind]));
}

const without = (doc: Doc, key: string): Doc => {
  const copy = { ...doc };
  delete copy[key];
  return copy;
};

const historyDoc = (): Doc => ({
  id: 'h-1',
  entityType: 'PRODUCT',
  entityId: 'P-1',
  ...note({ reason: '' }),
  ticket: null,
  recordedAt: '2030-01-01T00:00:00.000Z',
  before: null,
  after: { ...sampleProduct('P-1', 'DEV-1'), revision: 1 },
  revision: 1,
});

/** A valid document per model, as the adapter writes it. */
const VALID: Record<keyof Models, () => Doc> = {
  Developer: () => ({ ...sampleDeveloper('DEV-1'), revision: 1 }),
  Product: () => ({ ...sampleProduct('P-1', 'DEV-1'), revision: 2 }),
  ClientAuthorisation: () => ({ ...sampleAuthorisation('12345679016', 'C-000001'), revision: 3 }),
  RegistryHistory: historyDoc,
  Counter: () => ({ _id: 'registry', seq: 7 }),
  AccessRecord: () => recordToDocument(sampleRecord('chain-1', 1)),
  Checkpoint: () => ({ ...sampleCheckpoint('chain-1', 1) }),
  ChainHead: () => ({ ...sampleHead('chain-1') }),
  LedgerEntry: () => ({ seq: 1, kind: 'CLOSE', chainId: 'chain-1', instanceId: 'gw', time: '2030-01-01T00:00:00.000Z', hashAlg: null, ending: { how: 'CRASH', lastSeq: 5, lastHash: 'a'.repeat(64), lastCheckpointSeq: 3, lastCheckpointN: 2, unsignedRecords: 2 }, prevHash: '0'.repeat(64), hash: 'b'.repeat(64), signature: 'x.y.z' }),
  Alert: () => alertToDocument(sampleAlert('ALERT-1')),
  Incident: () => incidentToDocument({ ...sampleIncident('INC-1'), revision: 1 }),
};

describe('mongo models: validation without a server', () => {
  it.each(Object.keys(VALID) as Array<keyof Models>)('%s accepts a valid document', (name) => {
    expect(problems(models[name], VALID[name]())).toEqual({});
  });

  // Every top-level field of these documents is required by the domain type.
  it.each(['Developer', 'Product', 'ClientAuthorisation', 'RegistryHistory', 'AccessRecord', 'Checkpoint', 'ChainHead', 'Incident', 'Counter'] as const)(
    '%s refuses a document missing any one of its fields',
    (name) => {
      const valid = VALID[name]();
      for (const key of Object.keys(valid)) {
        expect([key, problems(models[name], without(valid, key))[key]]).toEqual([key, 'required']);
      }
    },
  );

  it('Alert refuses a document missing any field of the domain type', () => {
    const valid = VALID.Alert();
    for (const key of Object.keys(sampleAlert('A'))) expect([key, problems(models.Alert, without(valid, key))[key]]).toEqual([key, 'required']);
  });

  it('refuses missing fields inside nested objects', () => {
    const dev = VALID.Developer();
    expect(problems(models.Developer, { ...dev, contact: { name: 'x' } })).toMatchObject({ 'contact.email': 'required' });
    expect(problems(models.Developer, { ...dev, eligibility: { abnValid: true } })).toMatchObject({ 'eligibility.declarationsAccepted': 'required' });
    const product = VALID.Product();
    const cert = product.certification as Doc;
    expect(problems(models.Product, { ...product, certification: without(cert, 'validUntil') })).toMatchObject({ 'certification.validUntil': 'required' });
    const record = VALID.AccessRecord();
    expect(problems(models.AccessRecord, { ...record, meta: { productId: 'PRD-A' } })).toMatchObject({ 'meta.decision': 'required' });
    expect(problems(models.AccessRecord, { ...record, reasons: [{ coordinate: 'Query.client' }] })).toMatchObject({ 'reasons.0.code': 'required' });
  });

  it('accepts null where the domain type is nullable but not where it is not', () => {
    expect(problems(models.Developer, { ...VALID.Developer(), statusReason: null })).toEqual({});
    expect(problems(models.Product, { ...VALID.Product(), certification: null, selfCertification: null, suspension: null })).toEqual({});
    expect(problems(models.AccessRecord, { ...VALID.AccessRecord(), meta: { productId: null, decision: 'DENIED' }, org: null })).toEqual({});
    expect(problems(models.Developer, { ...VALID.Developer(), abn: null })).toEqual({ abn: 'required' });
    expect(problems(models.AccessRecord, { ...VALID.AccessRecord(), chainId: null })).toEqual({ chainId: 'required' });
  });

  it('accepts empty strings and absent optional fields', () => {
    expect(problems(models.RegistryHistory, historyDoc())).toEqual({});
    const contact = { name: 'A', email: 'a@example.com' };
    expect(problems(models.Developer, { ...VALID.Developer(), contact, legalName: '' })).toEqual({});
  });

  it.each([
    ['Developer', { status: 'ACTIVATED' }, 'status'],
    ['Developer', { roles: ['DEVELOPER', 'HACKER'] }, 'roles.1'],
    ['Product', { status: 'APPROVED' }, 'status'],
    ['Product', { deploymentModel: 'MAINFRAME' }, 'deploymentModel'],
    ['Product', { certification: { ...(VALID.Product().certification as Doc), tier: 'GOLD' } }, 'certification.tier'],
    ['Product', { suspension: { reason: 'r', since: 's', until: null, actor: 'a', resumeStatus: 'PAUSED' } }, 'suspension.resumeStatus'],
    [
      'Product',
      { selfCertification: { submittedAt: 's', submittedBy: 'b', assessments: [{ requirement: 'ENCRYPTION_AT_REST', outcome: 'MAYBE', evidence: '' }] } },
      'selfCertification.assessments.0.outcome',
    ],
    [
      'Product',
      { selfCertification: { submittedAt: 's', submittedBy: 'b', assessments: [{ requirement: 'FIREWALL', outcome: 'MET', evidence: '' }] } },
      'selfCertification.assessments.0.requirement',
    ],
    ['RegistryHistory', { entityType: 'INCIDENT' }, 'entityType'],
    ['AccessRecord', { meta: { productId: 'PRD-A', decision: 'MAYBE' } }, 'meta.decision'],
    ['Alert', { risk: 'CRITICAL' }, 'risk'],
    ['Alert', { status: 'ACKNOWLEDGED' }, 'status'],
    ['Incident', { status: 'CLOSED' }, 'status'],
    ['Incident', { source: 'PRESS' }, 'source'],
    ['Incident', { risk: 'EXTREME' }, 'risk'],
    ['Incident', { notes: [{ at: 'a', actor: 'b', status: 'DONE', note: '' }] }, 'notes.0.status'],
  ] as Array<[keyof Models, Doc, string]>)('%s refuses the bad enum value %j', (name, change, path) => {
    expect(problems(models[name], { ...VALID[name](), ...change })).toEqual({ [path]: 'enum' });
  });

  it('refuses revisions and sequence numbers below their minimum', () => {
    expect(problems(models.Developer, { ...VALID.Developer(), revision: -1 })).toEqual({ revision: 'min' });
    expect(problems(models.AccessRecord, { ...VALID.AccessRecord(), seq: 0 })).toEqual({ seq: 'min' });
    expect(problems(models.Incident, { ...VALID.Incident(), revision: 0 })).toEqual({ revision: 'min' });
  });

  it('refuses a value of the wrong type', () => {
    expect(problems(models.AccessRecord, { ...VALID.AccessRecord(), httpStatus: 'teapot' })).toEqual({ httpStatus: 'Number' });
    expect(problems(models.AccessRecord, { ...VALID.AccessRecord(), time: 'not a date' })).toEqual({ time: 'date' });
  });
});

describe('mongo models: indexes and collections', () => {
  /** The options of the index declared on exactly these keys, or undefined. */
  const indexOn = (name: keyof Models, keys: Record<string, 1 | -1>): Doc | undefined =>
    models[name].schema.indexes().find(([fields]) => JSON.stringify(fields) === JSON.stringify(keys))?.[1] as Doc | undefined;

  it.each([
    ['Developer', { id: 1 }],
    ['Product', { id: 1 }],
    ['ClientAuthorisation', { org: 1, clientId: 1 }],
    ['RegistryHistory', { id: 1 }],
    ['Checkpoint', { chainId: 1, seq: 1, time: 1 }],
    ['ChainHead', { chainId: 1 }],
    ['Alert', { id: 1 }],
    ['Incident', { id: 1 }],
  ] as Array<[keyof Models, Record<string, 1>]>)('%s declares a unique index on %j', (name, keys) => {
    expect(indexOn(name, keys)).toMatchObject({ unique: true });
  });

  it.each([
    ['Developer', { abn: 1 }],
    ['Developer', { revision: 1 }],
    ['Product', { developerId: 1 }],
    ['Product', { revision: 1 }],
    ['ClientAuthorisation', { revision: 1 }],
    ['RegistryHistory', { entityType: 1, entityId: 1, revision: 1 }],
    ['AccessRecord', { chainId: 1, seq: 1 }],
    ['AccessRecord', { time: -1, chainId: -1, seq: -1 }],
    ['AccessRecord', { 'meta.productId': 1, time: -1 }],
    ['Alert', { status: 1, raisedAtDate: -1 }],
    ['Incident', { productIds: 1, detectedAtDate: -1 }],
  ] as Array<[keyof Models, Record<string, 1 | -1>]>)('%s declares a non-unique index on %j', (name, keys) => {
    const options = indexOn(name, keys);
    expect(options).toBeDefined();
    expect(options?.unique).toBeFalsy();
  });

  it('declares the access records as time-series with no unique index (MongoDB refuses those there)', () => {
    const schema = models.AccessRecord.schema;
    expect(schema.get('timeseries')).toMatchObject({ timeField: 'time', metaField: 'meta' });
    expect(schema.indexes().filter(([, options]) => (options as Doc).unique)).toEqual([]);
    // Only meta fields may be multikey on a time-series collection: no index on the array fields.
    const indexed = schema.indexes().flatMap(([fields]) => Object.keys(fields));
    expect(indexed).not.toContain('clientDigests');
    expect(indexed).not.toContain('errorCodes');
  });

  it('leaves collection and index creation to init()', () => {
    for (const model of Object.values(models)) {
      expect([model.modelName, model.schema.get('autoIndex'), model.schema.get('autoCreate')]).toEqual([model.modelName, false, false]);
    }
    expect(Object.values(models).map((m) => m.collection.collectionName).sort()).toEqual(
      ['access_checkpoints', 'access_records', 'alerts', 'chain_heads', 'chain_ledger', 'client_authorisations', 'counters', 'developers', 'incidents', 'products', 'registry_history'],
    );
  });
});

describe('mongo documents: access records round-trip exactly', () => {
  it('gives back the record as appended, so its hash still verifies', () => {
    const record = sampleRecord('chain-1', 3, { time: '2030-01-01T10:00:00Z', productId: null, reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Client.tfn' }, { code: 'X' }] });
    const doc = recordToDocument(record);
    expect(doc.time).toEqual(new Date('2030-01-01T10:00:00.000Z'));
    expect(doc.meta).toEqual({ productId: null, decision: 'ALLOWED' });
    const back = documentToRecord({ ...doc, _id: 'x' });
    expect(back).toEqual(record);
    expect(back.time).toBe('2030-01-01T10:00:00Z');
    expect(computeRecordHash(back)).toBe(computeRecordHash(record));
  });

  it('refuses a record whose time is not an ISO date-time', () => {
    expect(() => recordToDocument(sampleRecord('chain-1', 1, { time: 'yesterday' }))).toThrow(CodedError);
  });

  it('turns filters into the stored fields, time range [from, to)', () => {
    expect(matchOf({ from: '2030-01-01T00:00:00.000Z', to: '2030-01-02T00:00:00.000Z', productId: 'PRD-A', decision: 'DENIED', errorCode: 'X', clientDigest: 'd' })).toEqual({
      time: { $gte: new Date('2030-01-01T00:00:00.000Z'), $lt: new Date('2030-01-02T00:00:00.000Z') },
      'meta.productId': 'PRD-A',
      'meta.decision': 'DENIED',
      errorCodes: 'X',
      clientDigests: 'd',
    });
    expect(() => matchOf({ from: 'soon' })).toThrow(CodedError);
  });

  it('issues cursors it can read back and refuses any other', () => {
    const key = { timeMs: Date.parse('2030-01-01T00:00:00.000Z'), chainId: 'gw1-1', seq: 42 };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    for (const bad of ['!!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(CodedError);
    }
  });
});
