// The progress of a search that reads headers, on stderr: on a terminal one line redrawn a few times a
// second ("searching 120/1000 models: 118 headers read, 2 from the metadata index"); elsewhere nothing
// while it runs (the command ends with the counts as a note), so logs and pipes stay clean.
import type { SearchProgress } from '../core/metadata/search';

const INTERVAL_MS = 250;

export class SearchProgressLine {
  private last = 0;
  private drawn = false;

  constructor(private readonly enabled: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(p: SearchProgress): void {
    if (!this.enabled || !this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < INTERVAL_MS && p.models < p.total) return;
    this.last = now;
    const text = `searching ${p.models}/${p.total} models: ${p.headersRead} headers read, ${p.reused} from the metadata index`;
    this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns || 100) - 1))}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
