// Opens a read-only markdown view of a version: state, tags, origin, and each file with its size,
// sha256 and header metadata (architecture, parameters, quantization, ...), in VS Code's markdown preview.
import { readVersionMetadata, readVersionSource } from '../core/metadata/versionMetadata';
import { versionPrefix } from '../core/layout';
import type { ShownDocument } from '../vscode/markdownDocs';
import { withCancellableProgress } from '../vscode/progress';
import { options, pickVersion } from './pick';
import type { Services } from './services';
import { versionDetailsMarkdown } from './versionDetailsText';

const ACTION = 'show version details of';

export async function showVersionDetails(s: Services, node: unknown, raw: unknown): Promise<ShownDocument> {
  const a = options<{ open: boolean }>(raw);
  const v = await pickVersion(s, node, ACTION);
  return s.repos.use(v.place, async ({ repo, storage }) => {
    const label = `${v.model}@${v.info.name}`;
    const [files, source] = await withCancellableProgress(`Reading the files of ${label}`, async (_p, signal) => Promise.all([
      readVersionMetadata(repo, v.model, v.info.name, signal),
      readVersionSource(storage, v.model, v.info.name, signal).catch(() => undefined),
    ]));
    s.metadata.changed();
    const where = await s.repos.uriOf(v.place, versionPrefix(v.model, v.info.name));
    const text = versionDetailsMarkdown(v.info, files, where, source);
    const uri = s.docs.uri([v.model, `${v.info.name}.md`], `${v.place.connectionId}/${v.place.bucket ?? ''}/details`);
    return s.docs.show(uri, text, { open: a.open });
  });
}
