// The one rule that keeps the architecture honest: src/core (and the CLI on it) never imports vscode.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.tools/**', '.run/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Packages must not import vscode: src/core runs in plain Node.' }] }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/storage/s3*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Packages must not import vscode: src/core runs in plain Node.' }],
        patterns: [{ group: ['@aws-sdk/*'], message: 'Only src/core/storage/s3*.ts may use the AWS SDK.' }],
      }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
