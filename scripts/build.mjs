// Bundles the extension and the CLI with esbuild (types are checked separately by `tsc --noEmit`).
// The SDKs stay in the bundle but are loaded lazily by the code (dynamic import), so activation stays fast.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

// The AWS SDK's packages ship an ES build beside the CommonJS one: taking it ("module") lets esbuild drop
// the commands and schemas the code never uses, and skips the CommonJS interop copies at start-up.
const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning', mainFields: ['module', 'main'],
};
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
  // dist/cli.js is a launcher: it turns on Node's compile cache (22.1 and later) before the bundle
  // (dist/cli-main.js) is compiled, so later runs skip most of the bundle's compilation.
  jobs.push(build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli-main.js', plugins: [clientNodeApart] }));
  jobs.push(build({ ...common, entryPoints: ['src/cli/launcher.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, external: ['./cli-main.js'] }));
}
jobs.push(build({
  ...common, outfile: 'dist/client-node.js',
  stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: process.cwd(), loader: 'js', sourcefile: 'client-node.js' },
}));
await Promise.all(jobs);
