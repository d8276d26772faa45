// Docker HEALTHCHECK for the image: liveness of whichever server this container runs (the
// gateway on PORT, or a subgraph on SUBGRAPH_PORT). /healthz answers while the process serves
// HTTP; readiness (store, registry freshness, subgraphs) is the gateway's /readyz.
const port = process.env.SUBGRAPH_PORT || process.env.PORT || '4000';
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
