// Runs the extension's mocha suite (out/test/editor/index.js) inside a real VS Code extension host: the
// Node "remote" extension host of the VS Code server bundled in code-server, with the real `vscode` API.
// There is no Electron here; the workbench runs in headless chromium and learns what to test from the
// `payload` URL query, which a built VS Code honours only when the server runs with
// --enable-smoke-test-driver (scripts/editor-test.sh starts lib/vscode/out/server-main.js that way).
// The workbench calls window.codeAutomationExit(code, logs) when the extension host exits; the suite's
// console output does not reach us whole, so the suite writes a JSON result file (MODELREPO_TEST_RESULT).
// Env: SERVER_PORT, EXT_DIR (extension root), TESTS_PATH, WS_DIR, RESULT_FILE, LOG_DIR, EXT_ENV (JSON),
//      TEST_TIMEOUT_MS.
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

const { SERVER_PORT, EXT_DIR, TESTS_PATH, WS_DIR, RESULT_FILE, LOG_DIR } = process.env;
for (const [k, v] of Object.entries({ SERVER_PORT, EXT_DIR, TESTS_PATH, WS_DIR, RESULT_FILE })) {
  if (!v) { console.error(`extHost.mjs: ${k} is not set`); process.exit(2); }
}
const host = `127.0.0.1:${SERVER_PORT}`;
const env = { ...(process.env.EXT_ENV ? JSON.parse(process.env.EXT_ENV) : {}), MODELREPO_TEST_RESULT: RESULT_FILE };
const payload = [
  ['extensionDevelopmentPath', `vscode-remote://${host}${EXT_DIR}`],
  ['extensionTestsPath', `vscode-remote://${host}${TESTS_PATH}`],
  ['extensionEnvironment', JSON.stringify(env)],
];
const url = `http://${host}/?folder=${encodeURIComponent(WS_DIR)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
fs.rmSync(RESULT_FILE, { force: true });

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
const consoleLines = [];
page.on('console', (m) => { consoleLines.push(`[${m.type()}] ${m.text()}`); if (consoleLines.length > 400) consoleLines.shift(); });
const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code, logs) => {
  if (LOG_DIR) {
    for (const l of logs || []) {
      const f = path.join(LOG_DIR, l.relativePath);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, l.contents);
    }
  }
  resolve(code);
}));

const t0 = Date.now();
await page.goto(url);
// The workbench shell is up: the first figure to compare with the browser phase's "workbench ready".
page.locator('.monaco-workbench').waitFor({ timeout: 60_000 })
  .then(() => console.log(`workbench shown ${Date.now() - t0} ms after page.goto`), () => {});
const timeoutMs = +(process.env.TEST_TIMEOUT_MS || 300_000);
const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
const elapsed = Date.now() - t0;
if (code === 'timeout' && LOG_DIR) await page.screenshot({ path: path.join(LOG_DIR, 'timeout.png') }).catch(() => {});
await browser.close();

let res;
try {
  res = JSON.parse(fs.readFileSync(RESULT_FILE, 'utf8'));
} catch {
  console.log(`no result file written at ${RESULT_FILE} (the suite did not load or crashed); last console lines:`);
  console.log(consoleLines.slice(-60).join('\n'));
}
const results = Array.isArray(res?.results) ? res.results : [];
for (const r of results) {
  const mark = r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL';
  console.log(`${mark} ${r.title}${r.err ? '\n     ' + String(r.err).split('\n').join('\n     ') : ''}`);
}
const passed = results.filter((r) => r.ok && !r.skipped).length;
const failed = results.filter((r) => !r.ok && !r.skipped).length;
const skipped = results.filter((r) => r.skipped).length;
console.log(`extension host exit code ${code} after ${elapsed} ms`);
if (code !== 0 && failed === 0) console.log('the extension host did not exit cleanly although no test failed: counted as a failure');
if (results.length === 0) console.log('no test results: counted as a failure');
const extra = (code !== 0 && failed === 0) || results.length === 0 ? 1 : 0;
console.log(`${passed} passed, ${failed + extra} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code === 0 && failed === 0 && results.length > 0 ? 0 : 1);
