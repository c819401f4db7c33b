// The house rules for imports, checked by `npm run lint` (and so by CI). Each rule says why it
// exists; docs/architecture.md draws the same picture.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; split what they share into a leaf.',
      severity: 'error',
      from: { path: '^src' },
      to: { circular: true },
    },
    {
      name: 'protocols-are-leaves',
      comment: 'src/protocols implements published protocols and rules (Standard Webhooks, loopback names) for every module that speaks them; it imports nothing of the project.',
      severity: 'error',
      from: { path: '^src/protocols' },
      to: { path: '^src/', pathNot: '^src/protocols' },
    },
    {
      name: 'model-is-a-leaf',
      comment: 'src/model holds the comparable model types: it imports nothing of the project.',
      severity: 'error',
      from: { path: '^src/model' },
      to: { path: '^src/', pathNot: '^src/model' },
    },
    {
      name: 'plan-is-pure',
      comment: 'The plan is a value computed by a pure function: no platform client, no apply, no I/O.',
      severity: 'error',
      from: { path: '^src/plan' },
      to: { path: '^src/(jumpcloud|apply|reconcile|pipeline|cli|github|events|sandbox|doctor|insights)/' },
    },
    {
      name: 'plan-does-no-io',
      comment: 'The plan is a value: it reads no files and opens no sockets.',
      severity: 'error',
      from: { path: '^src/plan' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns)$' },
    },
    {
      name: 'sandbox-stays-inside',
      comment: 'The sandbox speaks the wire format of the contract: sharing the client or the mapping would let a client bug hide behind shared code.',
      severity: 'error',
      from: { path: '^src/sandbox' },
      to: { path: '^src/', pathNot: '^src/(sandbox/|protocols/|errors\\.ts$)' },
    },
    {
      name: 'only-the-cli-starts-the-sandbox',
      comment: 'The platform client and the pipeline never know the sandbox exists.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|sandbox)/' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'config-does-not-reach-the-platform',
      comment: 'Reading and validating config is offline: validate runs in pull requests without a key.',
      severity: 'error',
      from: { path: '^src/config' },
      to: { path: '^src/(jumpcloud|plan|apply|reconcile|pipeline|cli|github|sandbox|doctor|insights)/' },
    },
    {
      name: 'the-console-only-reads',
      comment: "The reconciler's console is read-only: it shows what the loop tells it and never holds a platform client, apply or the pipeline.",
      severity: 'error',
      from: { path: '^src/console' },
      to: { path: '^src/(jumpcloud|apply|pipeline|cli|sandbox|github|doctor|insights|fleet)/' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'The CLI is the composition root: modules are called by it, never the other way round.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'commands-do-not-import-commands',
      comment: 'One command never reaches into another; shared CLI pieces live in their own files.',
      severity: 'error',
      from: { path: '^src/cli/(?!main\\.ts)' },
      to: { path: '^src/cli/(apply|doctor|events|explain|export|github|plan|reconcile|request|sandbox|test|up|validate)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js', '.json'] },
  },
};
