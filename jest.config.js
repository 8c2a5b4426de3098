/** Every suite talks to the real Postgres and Redis on this machine; globalSetup stops at once when either is down. */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testRegex: '.*\\.(e2e-)?spec\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // oauth4webapi ships ES modules only: Node 20 requires them natively, Jest 30 on Node 20 does not.
    '/node_modules/oauth4webapi/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2023', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
