// One jest project per testing tier (DESIGN.md): `npm test` runs them all,
// `npx jest --selectProjects unit` runs one. Type checking is `npm run typecheck`;
// ts-jest only transpiles so the suites stay fast.
const transform = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] };
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: "node",
  transform,
  testMatch: [`<rootDir>/tests/${name}/**/*.test.ts`],
  // Evaluating the program loads a fresh Pulumi runtime (about 1-2 s each); generous
  // limits keep a loaded 2-core machine from failing a hook on time alone.
  testTimeout: 60000,
  ...extra,
});

module.exports = {
  projects: [
    tier("unit"),
    tier("policies"),
    tier("integration"),
    tier("e2e"),
  ],
};
