// Bundles the extension and the CLI with esbuild (types are checked separately by `tsc --noEmit`).
// The SDKs stay in the bundle but are loaded lazily by the code (dynamic import), so activation stays fast.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' };
const jobs = [];
if (existsSync('src/extension.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }));
}
if (existsSync('src/cli/main.ts')) {
  jobs.push(build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }));
}
await Promise.all(jobs);
