// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/*
 * The direction of dependencies between the folders of src/ (docs/architecture.md), innermost first.
 * An import only ever points down this list; a module that needs something from above defines a port
 * (an interface and a token) and the app binds it, as identity's DECISION_SINK is bound to audit.
 * The composition root (src/app.module.ts, src/configure-app.ts, src/main.ts) may import anything.
 */
const INFRASTRUCTURE = ['observability', 'database', 'core', 'jobs'];
const OUTER = ['audit-read', 'operations', 'internal', 'mcp', 'edge', 'credentials'];
const LAYERS = [
  { folders: ['config'], below: [] },
  { folders: ['common'], below: ['config'] },
  { folders: INFRASTRUCTURE, below: ['config', 'common', ...INFRASTRUCTURE] },
  { folders: ['identity'], below: ['config', 'common', ...INFRASTRUCTURE] },
  { folders: ['audit'], below: ['config', 'common', ...INFRASTRUCTURE, 'identity'] },
  { folders: ['tenancy'], below: ['config', 'common', ...INFRASTRUCTURE, 'identity', 'audit'] },
];
const ALL = [...new Set([...LAYERS.flatMap((layer) => layer.folders), ...OUTER])];

/** Matches a relative (`../tenancy/x`) or rooted (`src/tenancy/x`) import of one of `folders`. */
const importOf = (folders) => `^(?:(?:\\.\\./)+|(?:.*/)?src/)(?:${folders.join('|')})(?:/|$)`;

const restrictImports = (folder, forbidden, allowed) => ({
  files: [`src/${folder}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: importOf(forbidden),
            message:
              (allowed.length
                ? `src/${folder} may import from src/ only ${allowed.map((f) => `src/${f}`).join(', ')}`
                : `src/${folder} imports nothing from src/`) +
              ' (docs/architecture.md). Need something from above? Define a port here; the app binds it.',
          },
        ],
      },
    ],
  },
});

const layerRules = [
  ...LAYERS.flatMap(({ folders, below }) =>
    folders.map((folder) =>
      restrictImports(
        folder,
        ALL.filter((other) => other !== folder && !below.includes(other)),
        below.filter((other) => other !== folder),
      ),
    ),
  ),
  // The outer ring uses everything below it; nothing imports it but the app, not even its peers.
  ...OUTER.map((folder) =>
    restrictImports(
      folder,
      OUTER.filter((other) => other !== folder),
      ALL.filter((other) => !OUTER.includes(other)),
    ),
  ),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { disallowTypeAnnotations: false, fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only src/config reads the environment: take values from AppConfig.',
        },
      ],
    },
  },
  {
    files: ['src/config/**', 'src/main.ts', 'scripts/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Job handlers and polling probes are async by contract, often with nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Auth0 Action bodies: CommonJS scripts run by Auth0's Node runtime, type-checked by their own
    // tsconfig (auth0/actions/tsconfig.json, docs/auth0.md).
    files: ['auth0/actions/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        exports: 'writable',
        require: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        URL: 'readonly',
      },
    },
    // Auth0 loads an Action's npm dependencies with require().
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layerRules,
  prettier,
);
