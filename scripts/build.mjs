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
const jobs = [];
if (existsSync('src/extension.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [clientNodeApart] }));
}
if (existsSync('src/cli/main.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [clientNodeApart] }));
}
jobs.push(build({
  ...common, outfile: 'dist/client-node.js',
  stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: process.cwd(), loader: 'js', sourcefile: 'client-node.js' },
}));
await Promise.all(jobs);
