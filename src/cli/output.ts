// Where the commands write: results on stdout (human text, or one JSON document with --json), everything
// else (progress, notes, errors) on stderr so that `modelrepo manifest ... | kubectl apply -f -` and
// `modelrepo ls --json ... | jq` see only the result.

export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Human result text (stdout); ignored with --json. */
  text(line: string): void;
  /** The machine-readable result (stdout, with --json only). */
  data(value: unknown): void;
  /** Raw bytes for stdout whatever the mode (YAML manifests). */
  raw(text: string): void;
  /** A note for people (stderr); suppressed by --quiet. */
  note(line: string): void;
  /** Something wrong that does not stop the command (stderr, `modelrepo: ` first); shown even with --quiet. */
  warn(line: string): void;
}

export function createOutput(opts: { json: boolean; quiet: boolean },
  stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json: opts.json,
    quiet: opts.quiet,
    text(line) {
      if (!opts.json) stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    },
    data(value) {
      if (opts.json) stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    },
    raw(text) {
      stdout.write(text);
    },
    note(line) {
      if (!opts.quiet) stderr.write(`${line}\n`);
    },
    warn(line) {
      stderr.write(`modelrepo: ${line}\n`);
    },
  };
}

/** Dates as ISO text; undefined fields dropped (JSON.stringify default). */
function jsonReplacer(_key: string, value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
