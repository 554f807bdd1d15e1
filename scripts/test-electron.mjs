// Extension-host tests in desktop VS Code (Electron) with @vscode/test-electron, for machines that can
// download VS Code from Microsoft (a developer's laptop). NOT run in CI here: this machine cannot reach
// Microsoft's servers, so CI runs the same suite (out/test/editor/index.js) inside code-server's VS Code
// server with scripts/editor-test.sh. Needs Node >= 22, a display (or xvfb-run) on Linux, and the build:
//   npx tsc -p . && node scripts/build.mjs && node scripts/test-electron.mjs [--version 1.139.1]
// S3 tests use S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION from the environment.
import { runTests } from '@vscode/test-electron';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vi = process.argv.indexOf('--version');
const version = vi > 0 ? process.argv[vi + 1] : 'stable';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelrepo-electron-'));
const ws = path.join(work, 'workspace');
fs.mkdirSync(ws);
const resultFile = path.join(work, 'result.json');
const env = { MODELREPO_TEST_RESULT: resultFile, MODELREPO_TEST_WORKDIR: path.join(work, 'scratch') };
for (const k of ['S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) if (process.env[k]) env[k] = process.env[k];

let code = 0;
try {
  await runTests({
    version,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/editor/index.js'),
    extensionTestsEnv: env,
    launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(work, 'user-data')],
  });
} catch (e) {
  console.error(`VS Code tests did not pass: ${e instanceof Error ? e.message : e}`);
  code = 1;
}
let res;
try { res = JSON.parse(fs.readFileSync(resultFile, 'utf8')); } catch { /* the suite never ran */ }
fs.rmSync(work, { recursive: true, force: true });
if (!res) {
  console.log('the tests could not run (no result file): see the error above');
  process.exit(1);
}
const results = Array.isArray(res.results) ? res.results : [];
for (const r of results) console.log(`${r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL'} ${r.title}${r.err ? `\n     ${r.err}` : ''}`);
console.log(`${results.filter((r) => r.ok && !r.skipped).length} passed, ${results.filter((r) => !r.ok && !r.skipped).length} failed`);
process.exit(code);
