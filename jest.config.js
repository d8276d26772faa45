/**
 * Jest runs the TypeScript sources as native ESM (NODE_OPTIONS=--experimental-vm-modules, set by
 * `npm test`), transformed by @swc/jest: it strips types in about a millisecond a file without
 * type-checking (that is `npm run lint`'s job), where ts-jest would type-check every file again.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
