// The `modelrepo` executable (dist/cli.js): Node's compile cache keeps V8's compiled code of the CLI
// bundle between runs (in Node's own cache folder, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), which takes about 45 ms off every command here. It must be on before the bundle is
// compiled, hence this file. Node 20 has no compile cache and runs the bundle as before.
import * as nodeModule from 'node:module';

const cache = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
try {
  cache?.();
} catch {
  // A cache folder that cannot be written only costs the time it would have saved.
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./cli-main.js') as { start: () => void }).start();
