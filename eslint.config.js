// ESLint: typescript-eslint's recommended rules over the TypeScript and JavaScript sources; formatting is prettier's
// (eslint-config-prettier turns off the rules that would disagree with it).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      '**/dist/',
      'wasm/',
      '**/build/',
      'prebuilds/',
      '**/nmfkit-demo/',
      '.vitest-cache/',
      'bench/results/',
      '.scratch/',
      // AssemblyScript, not TypeScript: typescript-eslint's parser rejects its decorators on top-level functions
      // (@inline function ...), and its builtins (i32, load<T>, unchecked) are compiler intrinsics no TypeScript rule
      // knows. asc type-checks it on every build.
      'assembly/',
    ],
  },
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
  {
    // CommonJS on purpose: the install script npm runs, and the programs that check the package's require() entry.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Every error of the packages' sources is made by the helpers of src/errors.ts (nmfkit/validation for
    // nmfkit-audio), which give it its stable `code`: a bare `new TypeError(…)` would throw an error without one.
    files: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name=/^(Error|TypeError|RangeError|DOMException|SyntaxError|ReferenceError)$/]',
          message: 'Make errors with the helpers of src/errors.ts (typeError, rangeError, plainError …), which give them a code.',
        },
        {
          selector: 'NewExpression > ConditionalExpression.callee',
          message: 'Make errors with the helpers of src/errors.ts, which give them a code.',
        },
      ],
    },
  },
  {
    // Scripts the browser tests load into a page or a Web Worker.
    files: ['test/browser/**'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
  prettier,
);
