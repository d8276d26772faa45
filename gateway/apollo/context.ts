/**
 * What the Apollo stage of the pipeline hands Apollo, and what it gets back. Apollo's hooks cannot
 * return values, so the stage gives them a notebook of its own (`OperationNotes`) and, once Apollo
 * has answered, returns what was noted as that stage's facts. Nothing outside the Apollo stage
 * writes to it, and nothing reads it before the stage has finished.
 */
import type { AccessChange, DecisionReason } from '../../audit/record.js';
import type { ResolvedCaller } from '../../authorisation/caller.js';
import type { FilteredOperation, RefusedField } from '../../authorisation/field-decision.js';
import type { OperationAnalysis } from '../../authorisation/operation-analysis.js';
import type { VerifiedToken } from '../../core/verified-token.js';
import type { CoercedVariables } from './coerce-once.js';

/** The caller the earlier stages admitted: the verified token and the register's view of it. */
export interface Admission {
  token: VerifiedToken;
  resolved: ResolvedCaller;
}

/** What Apollo's run established about the operation (the Apollo stage's facts). */
export interface OperationFacts {
  operationName: string | null;
  operationType: string | null;
  documentHash: string | null;
  coordinates: readonly string[];
  services: readonly string[];
  clientIds: readonly string[];
  /** Fields refused by authorisation, with their codes. */
  reasons: readonly DecisionReason[];
  /** A registry mutation's reason and ticket (change-notes.ts). */
  changes?: readonly AccessChange[];
  /** Every `extensions.code` in the answer; null when Apollo answered without running our hooks. */
  errorCodes: readonly string[] | null;
  subgraphs: readonly string[];
  /** Some operation of the request is a mutation (in a batch the first names the record, not necessarily this one). */
  mutation?: boolean;
  /**
   * Some operation answered with data (its own status a success, statusFromErrors). In a batch the
   * HTTP status is shared: one refused operation sets 403 for all, while another's data was served.
   */
  dataServed?: boolean;
}

/** The notebook Apollo's hooks (enforcement plugin, data source) write while one request runs. */
export class OperationNotes {
  operationName: string | null = null;
  operationType: string | null = null;
  documentHash: string | null = null;
  coordinates: readonly string[] = [];
  services: readonly string[] = [];
  clientIds: readonly string[] = [];
  reasons: readonly DecisionReason[] = [];
  changes: readonly AccessChange[] = [];
  errorCodes: string[] | null = null;
  dataServed = false;
  mutation = false;
  private readonly subgraphsCalled = new Set<string>();

  subgraphCalled(name: string): void {
    this.subgraphsCalled.add(name);
  }

  /** The notes as immutable facts. */
  facts(): OperationFacts {
    return {
      operationName: this.operationName,
      operationType: this.operationType,
      documentHash: this.documentHash,
      coordinates: this.coordinates,
      services: this.services,
      clientIds: this.clientIds,
      reasons: this.reasons,
      changes: this.changes,
      errorCodes: this.errorCodes,
      subgraphs: [...this.subgraphsCalled],
      dataServed: this.dataServed,
      mutation: this.mutation,
    };
  }
}

/** What the enforcement plugin leaves for the filtering executor. */
export interface FieldEnforcement {
  filtered: FilteredOperation;
  refused: readonly RefusedField[];
}

export interface GatewayContext {
  admission: Admission;
  /** The gateway's request id (x-request-id, the access record's requestId). */
  requestId: string;
  notes: OperationNotes;
  enforcement: FieldEnforcement | null;
  /** Set by the enforcement plugin once it has coerced the operation's variables without error (coerce-once.ts). */
  variablesCoerced?: CoercedVariables | null;
  /** The operation's walk, once field authorisation has run (the enforcement plugin): a refused response path's coordinate is looked up in it. */
  walked?: OperationAnalysis | null;
  /** Response path → coordinate, built from `walked` on the first lookup. */
  coordinateOfPath?: Map<string, string>;
}
