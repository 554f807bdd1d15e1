// The progress of a search that reads headers, on stderr: on a terminal one line redrawn a few times a
// second ("searching 120/1000 models: 118 headers read, 2 from the metadata index"); elsewhere nothing
// while it runs (the command ends with the counts as a note), so logs and pipes stay clean, unless
// MODELREPO_PROGRESS_MS asks for a line at that interval (tests use it to see the search under way).
import type { SearchProgress } from '../core/metadata/search';

const TTY_INTERVAL_MS = 250;

export class SearchProgressLine {
  private last = 0;
  private drawn = false;

  private readonly interval: number | undefined;

  constructor(private readonly enabled: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {
    const forced = process.env.MODELREPO_PROGRESS_MS ? Number(process.env.MODELREPO_PROGRESS_MS) : NaN;
    this.interval = stream.isTTY ? TTY_INTERVAL_MS : Number.isFinite(forced) && forced >= 0 ? forced : undefined;
  }

  update(p: SearchProgress): void {
    if (!this.enabled || this.interval === undefined) return;
    const now = Date.now();
    if (now - this.last < this.interval && p.models < p.total) return;
    this.last = now;
    const text = `searching ${p.models}/${p.total} models: ${p.headersRead} headers read, ${p.reused} from the metadata index`;
    if (!this.stream.isTTY) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns || 100) - 1))}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
