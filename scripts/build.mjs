// Bundles the extension and the CLI with esbuild (types are checked separately by `tsc --noEmit`).
// The SDKs stay in the bundle but are loaded lazily by the code (dynamic import), so activation stays fast.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' };
// @kubernetes/client-node is 17 MB bundled and only `apply` needs it: inside the bundles its parse alone
// would slow every CLI command and the extension's activation (measured: --version 0.2 s -> 0.6 s), so
// `import('@kubernetes/client-node')` becomes `import('./client-node.js')`, a bundle of its own in dist/.
const clientNodeApart = {
  name: 'client-node-apart',
  setup(b) { b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: './client-node.js', external: true })); },
};
// The CLI's third-party libraries that only some commands use (the AWS SDK: S3 commands; the Hugging
// Face libraries: import and header reads) go to dist/cli-vendor.js, one bundle required on first use:
// parsing them inside cli.js cost every command, --help too, about 0.1 s of CPU (measured, 10 runs).
// One bundle for all of them, so their shared internals exist once; our own modules stay in cli.js.
const CLI_VENDOR = ['@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner', '@aws-sdk/credential-providers',
  '@smithy/core/protocols', '@smithy/core/transport', '@smithy/core/config', '@huggingface/gguf', '@huggingface/hub'];
const cliVendorApart = {
  name: 'cli-vendor-apart',
  setup(b) {
    const filter = new RegExp(`^(${CLI_VENDOR.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'cli-vendor' }));
    b.onLoad({ filter: /.*/, namespace: 'cli-vendor' },
      (a) => ({ contents: `module.exports = require('./cli-vendor.js')[${JSON.stringify(a.path)}];`, loader: 'js', resolveDir: process.cwd() }));
    b.onResolve({ filter: /^\.\/cli-vendor\.js$/ }, () => ({ path: './cli-vendor.js', external: true }));
  },
};
const jobs = [];
if (existsSync('src/extension.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [clientNodeApart] }));
}
if (existsSync('src/cli/main.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [clientNodeApart, cliVendorApart] }));
  jobs.push(build({
    ...common, outfile: 'dist/cli-vendor.js',
    stdin: {
      // Getters: each library is initialized when first used, as inside cli.js (@huggingface/hub, for one,
      // allocates 5 MiB when it loads, which an S3 download must not pay).
      contents: `module.exports = { ${CLI_VENDOR.map((m) => `get '${m}'() { return require('${m}'); }`).join(', ')} };`,
      resolveDir: process.cwd(), loader: 'js', sourcefile: 'cli-vendor.js',
    },
  }));
}
jobs.push(build({
  ...common, outfile: 'dist/client-node.js',
  stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: process.cwd(), loader: 'js', sourcefile: 'client-node.js' },
}));
await Promise.all(jobs);
