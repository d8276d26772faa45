/**
 * The access record of a console development-tool request ("sign in as", a product token): the
 * record /graphql writes (gateway/access-log/access-record.ts), operation type `console`, nothing
 * attempted on the schema, appended through the gateway's access-log writer like any other.
 */
import type { IncomingMessage } from 'node:http';
import { CodedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { accessRecordOf } from '../gateway/access-log/access-record.js';
import type { AccessLogWriter } from '../gateway/access-log/writer.js';
import { arrivalOf, type Answer } from '../gateway/pipeline.js';
import type { DevAction, DevArrival } from './dev-tools.js';

export interface ConsoleRecorderOptions {
  writer: Pick<AccessLogWriter, 'append'>;
  instanceId: string;
  /** Digests client ids (none here, but the record is built by the one function that needs it). */
  hmacKey: Buffer;
  newRequestId: () => string;
  clientIpOf: (req: IncomingMessage) => string | null;
  logger?: Logger;
}

/** Resolves the record's request id once it is durable, or null when it could not be written. */
export function createConsoleRecorder(options: ConsoleRecorderOptions): (req: IncomingMessage, at: DevArrival, action: DevAction) => Promise<string | null> {
  return async (req, at, action) => {
    const arrival = { ...arrivalOf(req, options.newRequestId(), at.arrivedAt, options.clientIpOf(req)), startedAt: at.startedAt };
    const answer: Answer = { status: action.status, body: '', headers: new Map(), errorCodes: action.errorCodes, refusal: action.status >= 400 ? (action.errorCodes[0] ?? 'REFUSED') : null };
    const operation = { operationName: action.operationName, operationType: 'console', documentHash: null, coordinates: [], services: [], clientIds: [], reasons: [], errorCodes: action.errorCodes, subgraphs: [] };
    try {
      await options.writer.append(accessRecordOf({ arrival, ...(action.token ? { token: action.token } : {}), operation }, answer, { instanceId: options.instanceId, hmacKey: options.hmacKey }));
      return arrival.requestId;
    } catch (err) {
      // A CodedError is the writer refusing (full buffer, closed): already logged where it arose.
      if (!(err instanceof CodedError)) options.logger?.error({ err, requestId: arrival.requestId }, 'console: access record not written');
      return null;
    }
  };
}
