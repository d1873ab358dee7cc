// Tests run from TypeScript sources through swc (as CommonJS), so no build is needed before testing.
const fs = require('node:fs');
const path = require('node:path');

// Each workspace package's folder name is its name after @datashunt/.
const workspaceMapper = {};
for (const root of ['packages', 'services']) {
  for (const dir of fs.readdirSync(path.join(__dirname, root))) {
    workspaceMapper[`^@datashunt/${dir}$`] = `<rootDir>/${root}/${dir}/src/index.ts`;
  }
}

// Dependencies published only as ES modules: swc turns them into CommonJS like our own sources.
const esmOnly = '(?:hyparquet|hyparquet-writer|hyparquet-compressors|hysnappy)';

const common = {
  testEnvironment: '<rootDir>/scripts/jest/node-host-realm-environment.cjs',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    [`/node_modules/${esmOnly}/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(?:\\.pnpm/)?${esmOnly}[@/])`],
  moduleNameMapper: { ...workspaceMapper, '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/services/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/support/integration-setup.ts'],
    },
  ],
};
