/** Tests are TypeScript (ts-jest, isolated modules for speed; `npm run build:ts` type-checks). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
  // folders the tests make under the temporary folder are removed after each file
  setupFilesAfterEnv: ['<rootDir>/test/util/tmp_cleanup.ts'],
};
