// extensionTestsPath entry: the extension host calls run() and exits 0 or 1 when it settles. Mocha runs
// every compiled suite file (out/test/editor/suite/*.test.js) inside the real extension host. Console
// output does not reach the harness whole, so the results also go to a JSON file
// (MODELREPO_TEST_RESULT): { failures, results: [{ title, ok, err?, skipped? }] }.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (process.env.MODELREPO_TEST_GREP) mocha.grep(process.env.MODELREPO_TEST_GREP);
  const dir = path.join(__dirname, 'suite');
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(dir, f));
  const out = process.env.MODELREPO_TEST_RESULT ?? path.join(__dirname, 'editor-test-result.json');
  const results: { title: string; ok: boolean; err?: string; skipped?: boolean }[] = [];
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, JSON.stringify({ failures, results }, null, 1));
        console.log(`${results.filter((r) => r.ok && !r.skipped).length} passed, ${failures} failed`);
        if (failures > 0) reject(new Error(`${failures} tests failed`));
        else resolve();
      });
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), ok: true }));
      runner.on('fail', (t, err: Error) => results.push({ title: t.fullTitle(), ok: false, err: err?.stack ?? String(err) }));
      runner.on('pending', (t) => results.push({ title: t.fullTitle(), ok: true, skipped: true }));
    } catch (err) {
      fs.writeFileSync(out, JSON.stringify({ failures: 1, results: [{ title: 'loading the suite', ok: false, err: String(err) }] }));
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
