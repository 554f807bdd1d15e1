// Shared by the extension-host driver and the browser tests: playwright-core comes from the editor
// tools (scripts/tools.sh puts it in .tools/node/node_modules, not in the project's dependencies) and
// drives Debian's chromium, because playwright's own browser downloads are not reachable here.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function playwright() {
  const dir = process.env.TOOLS_NODE_MODULES || path.join(ROOT, '.tools/node/node_modules');
  return createRequire(path.join(dir, 'noop.js'))('playwright-core');
}

export async function launchChromium() {
  return playwright().chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
