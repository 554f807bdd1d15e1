// The rules that keep the architecture honest: src/core (and the CLI on it) never imports vscode, only
// the S3 storage uses the AWS SDK, and storage kinds are compared only inside their backends.
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
    // Storage kinds are told apart only by their descriptors (src/core/backends): elsewhere code asks a
    // backend's fields (bucketed, presign, clusterPull, ...) instead of comparing kinds.
    files: ['src/**/*.ts'],
    ignores: ['src/core/backends/**', 'src/core/storage/**'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "BinaryExpression[operator=/^[!=]==?$/] > Literal[value=/^(s3|fs|nfs)$/]", message: 'Ask the backend descriptor (src/core/backends) instead of comparing a storage kind.' },
        { selector: "SwitchCase > Literal[value=/^(s3|fs|nfs)$/]", message: 'Ask the backend descriptor (src/core/backends) instead of switching on a storage kind.' },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
