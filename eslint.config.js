// One flat config for the whole workspace. TypeScript is linted with typescript-eslint's type-aware
// rules (recommendedTypeChecked): each file is checked against the tsconfig.json of its workspace,
// found by the project service. Plain JavaScript is linted without types: the few .mjs entry points
// as Node code. The console's browser code is TypeScript (services/dashboards/console/tsconfig.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      // Fastify plugins, route handlers and hooks are async by contract (a plugin that neither
      // returns a promise nor calls done() stalls registration), as are interfaces we implement.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read untyped JSON (inject().json(), JSON.parse of Kafka messages) and assert on it;
    // typing each read would add casts, not safety. Source code keeps these rules.
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
);
