import { statusFromErrors } from '../../../../gateway/apollo/response-status.js';

const err = (code: string, path?: Array<string | number>) => ({ message: code, ...(path ? { path } : {}), extensions: { code } });

describe('statusFromErrors', () => {
  it('is null for an answer without errors', () => {
    expect(statusFromErrors({ a: 1 }, undefined)).toBeNull();
    expect(statusFromErrors({ a: 1 }, [])).toBeNull();
  });
  it("answers with the documented status of the error when no data was produced", () => {
    expect(statusFromErrors(undefined, [err('PERSISTED_QUERY_NOT_FOUND')])).toBe(400);
    expect(statusFromErrors(null, [err('REVISION_CONFLICT', ['suspendProduct'])])).toBe(409);
  });
  it('answers with the error status when every root field is null because of an error at it', () => {
    expect(statusFromErrors({ product: null }, [err('FORBIDDEN', ['product'])])).toBe(403);
    expect(statusFromErrors({ client: null }, [err('SUBGRAPH_UNAVAILABLE')])).toBe(502);
  });
  it('lets the first explaining error decide when root fields fail with different codes', () => {
    expect(statusFromErrors({ a: null, b: null }, [err('NOT_FOUND', ['a']), err('FORBIDDEN', ['b'])])).toBe(404);
  });
  it('stays a success when any root field was served', () => {
    expect(statusFromErrors({ a: { id: 1 }, b: null }, [err('FORBIDDEN', ['b'])])).toBeNull();
  });
  it('stays a success for a root field that is simply null (an unknown id) or nested errors', () => {
    expect(statusFromErrors({ client: null }, [err('RESTRICTED_DATA', ['other'])])).toBeNull();
    expect(statusFromErrors({ client: { account: null } }, [err('SUBGRAPH_UNAVAILABLE', ['client', 'account'])])).toBeNull();
    expect(statusFromErrors({}, [err('FORBIDDEN', ['x'])])).toBeNull();
  });
  it('ignores codes the product does not document', () => {
    expect(statusFromErrors(null, [err('SOMETHING_ELSE', ['x'])])).toBeNull();
  });
});
