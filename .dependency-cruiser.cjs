// Import rules for src/ (and the pure-model tests), checked by `make lint`:
//   npx depcruise --config .dependency-cruiser.cjs src test
// Layout: openvpn/ pure OpenVPN model; protocol/ wire types between caller and worker; worker/ the child process
// (plugin/, native/: all FFI); host/ the caller side (host/worker/ spawns and supervises the worker); util/ tiny
// shared I/O helpers; cli/, scenario/, load/, fuzz/ front ends; entry points src/index.ts, src/cli.cts and src/worker/main.ts
// (forked by path, never imported).

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere in src/, type-only imports included (tsPreCompilationDeps below keeps them).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'openvpn-is-pure',
      comment: 'src/openvpn/ is the pure OpenVPN model: it imports only src/openvpn/ and node builtins (no other src/, no npm package).',
      severity: 'error',
      from: { path: '^src/openvpn/' },
      to: { pathNot: '^src/openvpn/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'protocol-is-wire-types',
      comment: 'src/protocol/ is types and constants only: it imports only src/protocol/ and src/openvpn/ (no builtin, no npm package).',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { pathNot: '^src/(protocol|openvpn)/' },
    },
    {
      name: 'util-is-a-leaf',
      comment: 'src/util/ imports nothing from src/ outside src/util/ (node builtins are fine).',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'worker-not-caller-side',
      comment: 'The worker child process does not import the caller side: host/, cli/, scenario/, load/, fuzz/, index.ts, cli.cts.',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/((host|cli|scenario|load|fuzz)/|index\\.ts$|cli\\.cts$)' },
    },
    {
      name: 'host-not-worker',
      comment: 'The caller side talks to the worker over protocol/ only: no import of src/worker/ (it forks worker/main by path) and no koffi.',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: '^src/worker/|(^|/)node_modules/koffi/' },
    },
    {
      name: 'koffi-only-in-worker',
      comment: 'All FFI lives in src/worker/: no other part of src/ imports koffi.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/worker/' },
      to: { path: '(^|/)node_modules/koffi/' },
    },
    {
      name: 'scenario-load-front-ends',
      comment: 'src/scenario/ and src/load/ import only host/, protocol/, openvpn/, util/ and their own folder from src/.',
      severity: 'error',
      from: { path: '^src/(scenario|load)/' },
      to: { path: '^src/', pathNot: '^src/(host|protocol|openvpn|util|$1)/' },
    },
    {
      name: 'fuzz-front-end',
      comment: 'src/fuzz/ drives scenarios: it imports only scenario/, host/, protocol/, openvpn/, util/ and itself from src/.',
      severity: 'error',
      from: { path: '^src/fuzz/' },
      to: { path: '^src/', pathNot: '^src/(scenario|host|protocol|openvpn|util|fuzz)/' },
    },
    {
      name: 'cli-front-end',
      comment: 'src/cli/ imports only host/, protocol/, openvpn/, util/, scenario/, load/, fuzz/ and src/cli/ from src/.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(host|protocol|openvpn|util|scenario|load|fuzz|cli)/' },
    },
    {
      name: 'only-cli-entry-imports-cli',
      comment: 'Nothing in src/ imports src/cli/ except the CLI bin src/cli.cts (and src/cli/ itself).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|cli\\.cts$)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'src-not-tests',
      comment: 'Shipped code never imports test/ or bench/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'openvpn-tests-need-no-worker',
      comment: 'Pure-model tests (test/openvpn/) reach nothing in src/worker/ or src/host/, directly or through a helper.',
      severity: 'error',
      from: { path: '^test/openvpn/' },
      to: { path: '^src/(worker|host)/', reachable: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to no file is a broken import (bench/ imports the built dist/, absent before a build).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '(^|/)dist/' },
    },
    {
      name: 'no-non-package-json',
      comment: 'Every npm package imported is declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'src-not-to-dev-dep',
      comment: 'Shipped code does not import devDependencies (they are not installed for users); type-only imports are erased.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Cruise our own TypeScript only: npm packages are recorded but not descended into.
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^(dist|build|native-fixtures)/' },
    moduleSystems: ['es6', 'cjs'],
    // Keep type-only imports (import type ..., export type ... from) so cycles through types count too.
    tsPreCompilationDeps: true,
    // tsconfig.check.json extends tsconfig.json (NodeNext) and covers src/, test/ and bench/; './x.js' resolves to x.ts.
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
