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
  // A worker's event loop is empty within a few milliseconds of Jest's "end" message (measured: no
  // handle, timer or socket left), but the process then frees a heap of 500–800 MB, the module graphs
  // of the ~20 suites it ran; on a loaded 2-core machine that took 550–650 ms, past Jest's 500 ms
  // default, and Jest killed the worker and printed "A worker process has failed to exit gracefully".
  // Waiting longer costs nothing when workers exit promptly; a real leak still hangs and is killed.
  workerGracefulExitTimeout: 5000,
};
