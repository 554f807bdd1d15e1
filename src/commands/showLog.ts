// Opens the "Model Repository" log channel.
import type { Services } from './services';

export async function showLog(s: Services): Promise<void> {
  s.log.show();
}
