/**
 * OpenTelemetry tracing (W3C `traceparent`), on the OpenTelemetry SDK's Node tracer provider.
 * On when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (spans exported over OTLP/HTTP in batches) or when
 * a test hands in an exporter; off otherwise, and then nothing is created on the request path:
 * callers receive no tracer and skip their spans, and Apollo Gateway's own spans go to the API's
 * no-op provider.
 *
 * Registered globally (tracer provider, AsyncLocalStorage context manager, W3C propagator) so
 * Apollo Gateway's spans (`gateway.plan`, `gateway.fetch`, …) join the request's trace and the
 * subgraph transport can inject the active context. One registration per process; `shutdown`
 * flushes and unregisters.
 *
 * Why not @opentelemetry/sdk-node: it bundles metrics, logs, gRPC and auto-instrumentation we do
 * not use, and its current releases need Node ≥ 22.15 (the suite runs on Node 20).
 */
import { context, propagation, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

export interface Tracing {
  tracer: Tracer;
  /** Flushes pending spans and unregisters the provider. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<it>/v1/traces`. */
  otlpEndpoint?: string | null;
  /** An exporter to use instead (tests: the SDK's InMemorySpanExporter, exported span by span). */
  exporter?: SpanExporter;
}

/** Starts tracing, or returns null when it is off (no endpoint, no exporter). */
export function startTracing(options: TracingOptions): Tracing | null {
  if (!options.exporter && !options.otlpEndpoint) return null;
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlpEndpoint!.replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': options.serviceName }), spanProcessors: [processor] });
  provider.register();
  return {
    tracer: trace.getTracer('dsp-gateway'),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Runs `fn` inside a child span of the active one when tracing is on, and plainly when it is off:
 * then it is `fn(null)` itself, its own value or promise (no span object, no context switch, no
 * promise wrapped around it on every request). A thrown error marks the span as failed; the error
 * itself (which may quote input) is not recorded.
 */
export function inSpan<R>(tracer: Tracer | null | undefined, name: string, fn: (span: Span | null) => R): R | Promise<Awaited<R>> {
  if (!tracer) return fn(null);
  return tracer.startActiveSpan(name, async (span): Promise<Awaited<R>> => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
