// Serializes manifest objects as one multi-document YAML stream with the `yaml` package (no templates):
// multi-line strings (the init script) come out as literal blocks, undefined fields are dropped.
import { Document } from 'yaml';

export function toYaml(objects: readonly object[]): string {
  // kubectl reads YAML 1.1, where an unquoted `2024-03-20`, `on` or `yes` is a timestamp or a boolean:
  // the 1.1 schema quotes such strings (the output stays valid YAML 1.2).
  return objects
    .map((o) => new Document(o, { version: '1.1' }).toString({ lineWidth: 0 }))
    .join('---\n');
}
