// The shape of one row of the hostile-input catalogue (test/integration/hostile.test.ts): what is planted
// in the repository or the environment, the command line, and what must come out. A row is data; the
// runner applies the same checks to every row (nothing written outside the expected place, no secret,
// no stack trace, no raw control character in the output) on top of the row's own.
import type { Run } from '../childRun';

export type BackendKind = 'fs' | 's3';

/** Raw access to a repository, the way another tool (or an attacker with write access) would write it. */
export interface Backend {
  readonly kind: BackendKind;
  /** The repository as the CLI takes it: `s3://bucket/prefix` or an absolute folder path. */
  readonly repo: string;
  /** Flags every command needs (`--endpoint` for S3). */
  readonly args: readonly string[];
  /** Environment every command needs (keys for S3). */
  readonly env: Readonly<Record<string, string>>;
  /** The folder of a folder repository. */
  readonly root?: string;
  /** Writes an object (a file below the folder), creating parent folders. `tags` (S3 only) are object tags. */
  put(key: string, body: string | Buffer, tags?: Readonly<Record<string, string>>): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  remove(key: string): Promise<void>;
  /** A tag link as the product writes one: a relative symlink on a filesystem, an object holding the text on S3. */
  link(key: string, text: string): Promise<void>;
  /** Replaces the bytes of an object and keeps what the product attached to it (S3 object tags;
   *  on a filesystem the file is rewritten in place, so a sidecar or xattr stays). */
  tamper(key: string, body: Buffer): Promise<void>;
  /** Every object of the repository (key -> a fingerprint of its content and kind). */
  snapshot(): Promise<Map<string, string>>;
  /** Everything of the same bucket outside this repository (S3; a filesystem's outside is checked locally). */
  outside(): Promise<Map<string, string>>;
  /** Unfinished uploads left in the repository (S3 multipart uploads; a filesystem's partial files). */
  partialUploads(): Promise<string[]>;
}

/** The secrets the runner plants in every child's environment and files; none may ever be printed. */
export interface Secrets {
  readonly s3SecretKey: string;
  readonly sessionToken: string;
  readonly kubeToken: string;
  readonly hfToken: string;
}

/** Everything a row's setup, command and checks can use. One per row (or per shared setup). */
export interface Ctx {
  readonly b: Backend;
  /** The row's own folder: repo/ (folder repositories), dest/, sentinel/, elsewhere/, files/, home/, outside.txt. */
  readonly work: string;
  /** The download destination. */
  readonly dest: string;
  /** Local files to upload live here. */
  readonly files: string;
  /** A folder outside the repository that symlinks in a hostile repository point at. */
  readonly elsewhere: string;
  /** A kubeconfig with a planted bearer token and an API server nobody listens on. */
  readonly kubeconfig: string;
  readonly secrets: Secrets;
  /** `<repo>/<model><selector>`, e.g. ref('m', ':latest'). */
  ref(model: string, selector?: string): string;
  /** Paths a setup knows must never appear (where a traversal would land). */
  readonly mustNotExist: string[];
  /** Whatever a setup wants to hand to its row's checks. */
  readonly state: Record<string, unknown>;
  /** Runs the CLI (with the backend's flags and environment) for a setup that needs the product itself,
   *  e.g. an upload whose checksums the product attaches. */
  cli(args: readonly string[], env?: Record<string, string>): Promise<Run>;
}

/** How a row runs its command when not simply to its end. */
export type Drive =
  | { readonly kind: 'signal'; readonly signal: 'SIGINT' | 'SIGTERM'; readonly when: RegExp }
  | { readonly kind: 'head' } // stdout closed after the first line, like `| head -1`
  | { readonly kind: 'race' }; // the command twice at once; `exit` is then the sorted pair, e.g. [0, 8]

export interface Row {
  /** Short unique id, printed first in the test name (N01, F12, ...). */
  readonly id: string;
  /** What the row plants and what must happen, in a few words. */
  readonly title: string;
  /** Backends the row applies to (default both). */
  readonly on?: readonly BackendKind[];
  /** Prepares the repository, the local files or the environment. Rows that share the same setup
   *  function run on one prepared place as long as no row changed it. */
  readonly setup?: (c: Ctx) => Promise<void>;
  /** The command line after `modelrepo` (the backend's flags are appended unless `bareArgs`). */
  readonly cmd: (c: Ctx) => string[];
  /** The command line is complete: the backend's flags (its --endpoint) are not appended. */
  readonly bareArgs?: boolean;
  /** Extra environment for the child. */
  readonly env?: (c: Ctx) => Record<string, string>;
  /** The expected exit code (for a race: the two codes, sorted). */
  readonly exit: number | readonly [number, number];
  /** What stderr must match (every pattern): it names the object, model, version, file, tag, key, endpoint or path. */
  readonly message?: RegExp | readonly RegExp[];
  /** What stdout must match (every pattern). */
  readonly stdout?: RegExp | readonly RegExp[];
  /** More secrets this row planted (a password in a URL, ...). */
  readonly secrets?: (c: Ctx) => string[];
  /** The row's own checks after the run. */
  readonly check?: (c: Ctx, r: Run) => Promise<void> | void;
  /** The command may change the repository although it fails (an interrupted upload's own leftovers are
   *  checked by the row). Otherwise a failed command must leave the repository as it was. */
  readonly writes?: boolean;
  readonly drive?: Drive;
  /** Kill the command after this long: it hung (default 60 s). */
  readonly deadlineMs?: number;
  /** Run the child as an unprivileged user when the tests run as root (a file mode 000 is readable by root). */
  readonly unprivileged?: boolean;
  /** Needs this Node major for the child (apply: 22). */
  readonly nodeMajor?: number;
}

export interface Table {
  readonly title: string;
  readonly rows: readonly Row[];
}
