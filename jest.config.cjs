// Nest 12 ships ESM only, so jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules)
// and swc emits ES modules; a CommonJS transform cannot load @nestjs/* (createRequireEsmError).
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  },
];
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^#contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^#infra$': '<rootDir>/libs/infra/src/index.ts',
    '^#testing$': '<rootDir>/libs/testing/src/index.ts',
    '^#client-sdk$': '<rootDir>/libs/client-sdk/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
    },
    { ...shared, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
    // Kills and restarts processes, a private Redis and a private Postgres: `npm run test:faults`.
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
    // Calls over impaired, cut and switched networks, in namespaces of their own (root): `npm run test:networks`.
    { ...shared, displayName: 'networks', testMatch: ['<rootDir>/test/networks/**/*.network-spec.ts'] },
    // Malformed input, a flood and an invite loop from signed-in users (issue 12): `npm run test:hostile`.
    { ...shared, displayName: 'hostile', testMatch: ['<rootDir>/test/hostile/**/*.hostile-spec.ts'] },
  ],
  // A global option (ignored inside projects): e2e flows wait out real ring and grace timers.
  testTimeout: 60000,
};
