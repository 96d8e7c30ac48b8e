// Unit tests (pure code, no stack), integration tests (the real stack), the long scenarios, and the fault
// suite (its own throwaway stack; quick form by default, long with HOOKSTREAM_TEST_FULL=1).
/** @type {import('jest').Config} */
const shared = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^@hookstream/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  testEnvironment: 'node',
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
      testEnvironment: '<rootDir>/test/support/integration-environment.ts',
      slowTestThreshold: 30,
    },
    {
      ...shared,
      displayName: 'full',
      testMatch: ['<rootDir>/test/full/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
      testEnvironment: '<rootDir>/test/support/integration-environment.ts',
    },
    {
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
      testEnvironment: '<rootDir>/test/support/integration-environment.ts',
    },
  ],
};
