// One jest project per testing tier (docs/architecture.md, "Testing tiers"): `npm test` runs them all,
// `npx jest --selectProjects unit` runs one. Type checking is `npm run typecheck`;
// ts-jest only transpiles so the suites stay fast.
const transform = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] };
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: "node",
  transform,
  testMatch: [`<rootDir>/tests/${name}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  // Evaluating the program loads a fresh Pulumi runtime (1-2 s each, more on a loaded
  // 2-core machine); the limit only guards against hangs, benchmarks measure speed.
  testTimeout: 120000,
  // Jest's default (cores - 1) runs one worker on these 2-core machines: every core it is.
  maxWorkers: "100%",
  projects: [
    tier("unit"),
    tier("policies"),
    tier("integration"),
    tier("e2e"),
    tier("engine"),
    tier("swarm"),
    // Not a test tier: benchmarks 2-5 (bench/stack.bench.ts), which `npm run bench` runs through
    // jest (the TypeScript transform and timeouts of the tiers). The project exists only when
    // bench/main.ts starts jest (it sets DEAN_BENCH_STACK_OUT), so a bare `npx jest` never starts
    // a 25-minute benchmark.
    ...(process.env.DEAN_BENCH_STACK_OUT
      ? [{ displayName: "bench", testEnvironment: "node", transform, testMatch: ["<rootDir>/bench/**/*.bench.ts"] }]
      : []),
  ],
};
