import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench-data/', 'demo-data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // A forgotten await on the asynchronous state (a write outside its transaction, a check on a
    // Promise that is always truthy) is caught here, with the types.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/sandbox/page/**'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['src/cli.ts', 'src/main.ts', 'src/demo/**', 'src/bench/**'],
    rules: { 'no-console': 'off' },
  },
);
