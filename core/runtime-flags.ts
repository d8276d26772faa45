/**
 * The Node flags and environment the gateway process runs with in production: the Dockerfile's
 * NODE_OPTIONS and ENV, the npm start scripts and the memory soak (bench/soak.ts) all use these
 * (test/unit/core/runtime-flags.test.ts keeps the Dockerfile and package.json in step).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256', '--expose-gc'];
export const GATEWAY_ENV: Readonly<Record<string, string>> = {};
