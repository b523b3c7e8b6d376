// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '**/node_modules/', '.clarion/', 'coverage/', 'admin/static/vendor/', 'clients/*/dist/', 'clients/*/.build-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // Routes and the console call services, never the database: dependency-cruiser forbids
    // importing it, this forbids reaching it through the services object (`services.knex`).
    files: ['core/gateway/routes/**', 'admin/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[property.name='knex']", message: 'Routes call services, never the database: add a method to the service that owns the data.' }],
    },
  },
  {
    // CommonJS configuration files of tools (dependency-cruiser).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // The console's browser modules (admin/assets): plain ES modules run by the browser.
    files: ['admin/assets/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', HTMLFormElement: 'readonly', HTMLInputElement: 'readonly', HTMLAnchorElement: 'readonly', EventSource: 'readonly', FormData: 'readonly', URLSearchParams: 'readonly', uPlot: 'readonly', Intl: 'readonly', getComputedStyle: 'readonly', ResizeObserver: 'readonly' } },
  },
  {
    // The `<clarion-inbox>` web component runs in browsers.
    files: ['widget/**'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', navigator: 'readonly', HTMLElement: 'readonly', customElements: 'readonly', CSSStyleSheet: 'readonly', CustomEvent: 'readonly', BroadcastChannel: 'readonly', WebSocket: 'readonly', EventSource: 'readonly', URLSearchParams: 'readonly', Node: 'readonly', atob: 'readonly' },
    },
  },
  {
    files: ['test/**', 'bench/**', 'core/cli.ts', 'bin/**', 'clients/*/scripts/**', 'clients/*/test/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
