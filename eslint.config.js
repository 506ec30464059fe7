// Lint the TypeScript sources with type-aware rules; compiled output and dependencies are not ours.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'dist-unit/**', 'node_modules/**', 'test-output/**', '.demo/**', 'wireshark/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's describe/it return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      'no-console': 'off',
      // An async function awaits the promise it returns: handing it back unawaited costs extra
      // microtask steps on every request and poll, and would let a rejection slip past a try.
      '@typescript-eslint/return-await': ['error', 'always'],
      // `import x = require()` is how TypeScript imports an `export =` module (Node-RED nodes).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly', RED: 'readonly', $: 'readonly', window: 'readonly', document: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
