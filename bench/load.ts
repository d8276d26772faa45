/**
 * One measured load run with autocannon: fixed connections, fixed duration, the workload's bodies
 * cycled per connection. Every response's latency is kept (not only autocannon's fixed
 * percentiles), so cells measured in several rounds merge exactly and p95 is available.
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  bodies: string[];
  headers: Record<string, string>;
  /** Headers made afresh for every request (a DPoP proof, which is good for one request only). */
  perRequestHeaders?: () => Record<string, string>;
  /** Requests per second across all connections (autocannon `overallRate`); unset = as fast as the server answers. */
  overallRate?: number;
}

export interface LoadRun {
  /** 2xx responses that carried no GraphQL `errors`. */
  ok: number;
  /** Non-2xx responses, 2xx responses with `errors`, socket errors and timeouts. */
  failed: number;
  /** Elapsed seconds as autocannon measured. */
  durationS: number;
  /** Latency of every 2xx response, ms. */
  latenciesMs: Float64Array;
}

export function runLoad(spec: LoadSpec): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let n = 0;
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        requests: spec.bodies.map((body) => {
          const fresh = spec.perRequestHeaders;
          if (!fresh) return { method: 'POST', body };
          return { method: 'POST', body, setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, ...fresh() } }) };
        }),
        timeout: 10,
        ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
        // A refusal, an error or a partial answer must not pass for throughput.
        verifyBody: (body) => !body.includes('"errors"'),
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          ok: Math.max(0, result['2xx'] - result.mismatches),
          failed: result.non2xx + result.mismatches + result.errors,
          durationS: result.duration,
          latenciesMs: latencies.subarray(0, n),
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (n === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n++] = responseTimeMs;
    });
  });
}
