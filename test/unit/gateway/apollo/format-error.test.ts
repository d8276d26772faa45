import { GraphQLError } from 'graphql';
import { ERROR_DETAIL_KEYS } from '../../../../core/errors.js';
import { createFormatError, withoutSuggestions } from '../../../../gateway/apollo/format-error.js';
import { limitError } from '../../../../limits/operation-limits/index.js';

function recordingLogger() {
  const errors: unknown[] = [];
  const warnings: unknown[] = [];
  return { errors, warnings, logger: { error: (obj: unknown) => errors.push(obj), warn: (obj: unknown) => warnings.push(obj) } as never };
}

describe('formatError', () => {
  it('passes our own codes through, without a stack or a service name', () => {
    const { logger, errors } = recordingLogger();
    const format = createFormatError(logger, { exposeStack: false });
    const out = format({ message: 'no', path: ['client'], extensions: { code: 'CLIENT_NOT_AUTHORISED', serviceName: 'clients', stacktrace: ['at x'] } }, new GraphQLError('no'));
    expect(out).toEqual({ message: 'no', path: ['client'], extensions: { code: 'CLIENT_NOT_AUTHORISED' } });
    expect(errors).toHaveLength(0);
  });

  it("keeps an operation-limit rule's own code, which Apollo relabels GRAPHQL_VALIDATION_FAILED", () => {
    const format = createFormatError(recordingLogger().logger, { exposeStack: false });
    const original = limitError('DEPTH', 12, false, 50);
    const wrapped = new GraphQLError(original.message, { originalError: original, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const out = format({ message: original.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, wrapped);
    expect(out.extensions).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'DEPTH' });
  });

  it("never hands on a subgraph's response details (its URL, status and body)", () => {
    const { logger } = recordingLogger();
    const out = createFormatError(logger, { exposeStack: false })({ message: 'x', extensions: { code: 'BAD_USER_INPUT', response: { url: 'http://10.0.0.5:4001/graphql', status: 400, body: {} } } }, new GraphQLError('x'));
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it("maps a subgraph error without a code of ours onto SUBGRAPH_UNAVAILABLE, without the subgraph's words (review s18a F3)", () => {
    const { logger, errors } = recordingLogger();
    const format = createFormatError(logger, { exposeStack: false });
    const out = format({ message: 'connect ECONNREFUSED 10.9.8.7:5432 (accounts-db.internal)', path: ['client', 'account'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'accounts', host: 'accounts-db.internal:5432' } }, null);
    expect(out).toEqual({ message: 'A service could not answer part of this request.', path: ['client', 'account'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(errors).toHaveLength(1);
  });

  it("logs a masked error's message and stack cut short: a message may quote a subgraph's whole value (session 33's review)", () => {
    const { logger, errors } = recordingLogger();
    const format = createFormatError(logger, { exposeStack: false });
    const huge = 'x'.repeat(1_000_000);
    const error = new GraphQLError(`Invalid value ${huge}`, { originalError: new TypeError(`Cannot create property on string '${huge}'`) });
    format({ message: error.message }, error);
    format({ message: huge, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }, error);
    expect(errors).toHaveLength(2);
    for (const logged of errors) expect(JSON.stringify(logged).length).toBeLessThan(12_000);
    expect(JSON.stringify(errors[0])).toContain('Cannot create property on string');
  });

  it('masks and logs anything without a known code (a bug, or a foreign error that could leak internals)', () => {
    const { logger, errors } = recordingLogger();
    const format = createFormatError(logger, { exposeStack: false });
    const out = format({ message: 'connect ECONNREFUSED 10.0.0.7:4001', path: ['client'], extensions: { code: 'SOMETHING_ELSE' } }, new Error('boom'));
    expect(out).toEqual({ message: 'Internal server error', path: ['client'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(errors).toHaveLength(1);
  });

  it('strips "did you mean" suggestions from messages', () => {
    expect(withoutSuggestions('Value "CERTIFED" does not exist in "ProductStatus" enum. Did you mean the enum value "CERTIFIED"?')).toBe('Value "CERTIFED" does not exist in "ProductStatus" enum.');
    const format = createFormatError(recordingLogger().logger, { exposeStack: false });
    expect(format({ message: 'Unknown. Did you mean "x"?', extensions: { code: 'BAD_USER_INPUT' } }, null).message).toBe('Unknown.');
  });

  it("shows a subgraph's coded error with our detail keys only, and logs the names of the others, not their values (s31 F5)", () => {
    const { logger, warnings } = recordingLogger();
    const format = createFormatError(logger, { exposeStack: false });
    const extensions = { code: 'NOT_FOUND', serviceName: 'registry', productId: 'PRD-X', internalHost: 'registry-db01.internal', query: 'SELECT doc FROM products WHERE id = ?' };
    const out = format({ message: 'No product has this id.', path: ['product'], extensions }, new GraphQLError('x'));
    expect(out).toEqual({ message: 'No product has this id.', path: ['product'], extensions: { code: 'NOT_FOUND', productId: 'PRD-X' } });
    expect(warnings).toEqual([{ subgraph: 'registry', code: 'NOT_FOUND', dropped: ['internalHost', 'query'] }]);
    expect(JSON.stringify(warnings)).not.toContain('registry-db01');
  });

  it('logs at most 20 dropped names, each cut to 64 characters, whatever a subgraph sends', () => {
    const { logger, warnings } = recordingLogger();
    const extensions = Object.fromEntries([['code', 'NOT_FOUND'], ['serviceName', 'clients'], ...Array.from({ length: 50 }, (_, i) => [`${i}-${'k'.repeat(10_000)}`, i])]);
    createFormatError(logger, { exposeStack: false })({ message: 'x', extensions }, new GraphQLError('x'));
    const dropped = (warnings as Array<{ dropped: string[] }>)[0]!.dropped;
    expect(dropped).toHaveLength(20);
    expect(Math.max(...dropped.map((d) => d.length))).toBe(64);
  });

  it('lets every listed detail key through, so that our own errors keep what they say', () => {
    const { logger, warnings } = recordingLogger();
    const extensions = Object.fromEntries([['code', 'BAD_USER_INPUT'], ...ERROR_DETAIL_KEYS.map((k, i) => [k, i])]);
    const out = createFormatError(logger, { exposeStack: false })({ message: 'x', extensions }, new GraphQLError('x'));
    expect(out.extensions).toEqual(extensions);
    expect(warnings).toHaveLength(0);
  });
});
