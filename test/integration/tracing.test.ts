/**
 * Traces (issue 17): one real request through the running system with the SDK's in-memory
 * exporter. One root span; the pipeline stages, field authorisation and the access-log commit as
 * its children; Apollo's plan and one fetch span per subgraph call; each subgraph's own span
 * continuing the trace from the `traceparent` it received; the trace id in the access record.
 * With tracing off, no traceparent reaches a subgraph and the record carries no trace id.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { accessLogPage, AUDITOR } from './support/access-log-auditor.js';

const QUERY = 'query Traced { client(clientId: "C-000001") { id name lodgments { period } account { balance } } }';

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({}, { spanExporter: exporter });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('gives one request one trace: root span, stages, field authorisation, plan, a fetch per subgraph, the subgraphs continuing it, and the trace id in the access record', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    exporter.reset();
    const r = await sys.gql(QUERY, { token, operationName: 'Traced' });
    expect(r.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((s) => s.name === 'POST /graphql');
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const children = (parent: ReadableSpan) => inTrace.filter((s) => parentOf(s) === parent.spanContext().spanId).map((s) => s.name);
    expect(parentOf(root)).toBeUndefined();
    expect(children(root)).toEqual(['method', 'authenticate', 'admit product', 'sender constraint', 'rate limit', 'audit capacity', 'read body', 'still admitted', 'trusted document', 'pre-parse limits', 'execute', 'access-log commit']);
    const names = inTrace.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['field authorisation', 'gateway.plan', 'gateway.fetch']));
    // One fetch per subgraph call (clients, then lodgments and accounts), each continued by that subgraph.
    const fetches = inTrace.filter((s) => s.name === 'gateway.fetch');
    const subgraphSpans = inTrace.filter((s) => s.name.startsWith('subgraph '));
    expect(subgraphSpans.map((s) => s.name).sort()).toEqual(['subgraph accounts', 'subgraph clients', 'subgraph lodgments']);
    expect(fetches).toHaveLength(3);
    const fetchIds = new Set(fetches.map((f) => f.spanContext().spanId));
    for (const s of subgraphSpans) expect(fetchIds.has(parentOf(s)!)).toBe(true);

    const auditor = await sys.token(AUDITOR);
    const page = await accessLogPage(sys, auditor, { filter: { operationName: 'Traced' } });
    expect(page.records.map((x) => (x as { traceId?: string }).traceId)).toEqual([traceId]);
    // The auditor's own request is traced too, under another trace.
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'POST /graphql').length).toBeGreaterThan(1);
  });

  it('puts no document text and no token on any span', async () => {
    exporter.reset();
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    await sys.gql('{ client(clientId: "C-000002") { id tfnMasked } }', { token });
    const attributes = JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes));
    expect(attributes).not.toContain('C-000002');
    expect(attributes).not.toContain(token.slice(-20));
  });
});

describe('tracing off', () => {
  it('sends no traceparent and records no trace id', async () => {
    const sys = await startTestSystem();
    try {
      const seen: Array<string | undefined> = [];
      for (const s of Object.values(sys.subgraphs)) s.server.prependListener('request', (req) => seen.push(req.headers.traceparent as string | undefined));
      const r = await sys.gql(QUERY, { token: await sys.token({ product: 'PRD-CERTIFIED' }), operationName: 'Traced' });
      expect(r.status).toBe(200);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((t) => t === undefined)).toBe(true);
      const page = await accessLogPage(sys, await sys.token(AUDITOR), { filter: { operationName: 'Traced' } });
      expect(page.records).toHaveLength(1);
      expect((page.records[0] as { traceId?: string | null }).traceId ?? null).toBeNull();
    } finally {
      await sys.close();
    }
  });
});
