import { configDefaults, defineConfig } from 'vitest/config'

// Three projects, from fast to slow. `unit`: each package's own tests, no network.
// `integration`: package tests that start real nodes on loopback TCP (libp2p hosts,
// in-process daemons, daemon processes), named *.integration.test.ts beside the unit tests.
// `e2e`: the top-level test/ folder, cross-package runs of real daemon processes, one file
// at a time in forked processes.
const INTEGRATION = 'packages/*/test/**/*.integration.test.ts'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, INTEGRATION],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [INTEGRATION],
          testTimeout: 60_000,
          // starting a federation of real nodes can outlast the 10 s default on two busy cores
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
