import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Only the lib for an external system imports its client; the domain imports no framework.
const onlyIn = (owner, packages) => ({
  files: ['apps/**/*.ts', 'libs/**/*.ts'],
  ignores: [`libs/${owner}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      { paths: packages.map((name) => ({ name, message: `only libs/${owner} imports ${name}` })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'libs/receiver/dist/**', 'node_modules/**', '.stack/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // Nest's dependency injection reads constructor types at run time, so those imports must stay values.
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs', 'jest.config.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // On our Node (V8 11.3) fields new to a spread object that follow the spread give every object a
          // hidden class of its own: about 1 µs a field, and megamorphic code wherever the records are read.
          selector: 'ObjectExpression > SpreadElement[argument.callee.name=/^(deliveryRefOf|refOf|facts)$/] ~ Property',
          message: 'spread the delivery reference last: `{ attempt, ...deliveryRefOf(record) }`',
        },
      ],
    },
  },
  onlyIn('kafka', ['kafkajs', '@kafkajs/confluent-schema-registry']),
  onlyIn('postgres', ['pg']),
  // The receiver kit is published alone, for merchants: it may not depend on the engine's libs.
  {
    files: ['libs/receiver/src/**/*.ts'],
    ignores: ['libs/receiver/src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // pg too: the Postgres store takes the merchant's own pool through an interface.
          paths: ['pg', 'kafkajs'].map((name) => ({ name, message: '@hookstream/receiver imports no client' })),
          patterns: [{ group: ['@hookstream/*'], message: '@hookstream/receiver is published alone' }],
        },
      ],
    },
  },
);
