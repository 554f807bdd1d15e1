// The shell script of the init container that copies a model from S3 into the pod and checks it, and the
// parts it shares with the follow-the-tag script (followScript.ts). Pure text, built from a list of
// commands (every value shell-quoted), so that the integration test runs the very same script here with
// Debian's aws-cli against the real S3 server. Needs sh, aws, sha256sum, wc, mkdir and rm (the follow
// script also tr, sed, grep, ln): all in the amazon/aws-cli image (Amazon Linux 2) and on Debian. Credentials are not in
// the script: aws reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (the Secret).
import { RepoError } from '../errors';
import type { ManifestArtifact } from './manifestInput';
import { cacheFetchFunction } from './nodeCacheScript';
import type { NodeCacheScript } from './nodeCacheScript';

export interface CopyScriptInput extends ScriptSource {
  readonly artifacts: readonly ManifestArtifact[];
  /** Where the files go (`/models` in the pod, a temp dir in the test). */
  readonly targetDir: string;
  /** For the log lines, e.g. `llama-3-8b@2024-03-20`. */
  readonly label?: string;
}

/** Set: the files go through the node cache (nodeCacheScript.ts) and the target holds symlinks to its blobs. */
export interface CacheOption {
  readonly nodeCache?: NodeCacheScript;
}

/** The plain copy, or the node cache's fetch with the same signature. */
export function fetchLines(input: ScriptSource & CacheOption): string[] {
  return input.nodeCache ? cacheFetchFunction(input, input.nodeCache) : fetchFunction(input);
}

/** Quotes a value for POSIX sh: 'it'\''s'. */
export function shellQuote(value: string): string {
  return `'${value.split("'").join(`'\\''`)}'`;
}

export function humanSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

// aws-cli uses path-style for a custom endpoint and virtual-hosted style for AWS; a config file (there is
// no environment variable for it) is needed only to get the other style.
function addressingLines(input: ScriptSource): string[] {
  const pathStyle = input.pathStyle ?? input.endpoint !== undefined;
  const wanted = input.endpoint !== undefined ? (pathStyle ? undefined : 'virtual') : (pathStyle ? 'path' : undefined);
  if (!wanted) return [];
  return [
    'export AWS_CONFIG_FILE="${TMPDIR:-/tmp}/modelrepo-aws-config"',
    `printf '[default]\\ns3 =\\n  addressing_style = %s\\n' ${wanted} > "$AWS_CONFIG_FILE"`,
  ];
}

/** Where the script reads from: the S3 connection as the pod sees it. */
export interface ScriptSource {
  /** Undefined = AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle?: boolean;
  readonly bucket: string;
}

function checkBucket(bucket: string): void {
  // The bucket also appears unquoted inside log lines: allow only what S3 bucket names may contain.
  if (!/^[A-Za-z0-9._-]+$/.test(bucket)) {
    throw new RepoError('InvalidName', 'build the copy script for', `bucket '${bucket}'`, 'a bucket name has only letters, digits, ., _ and -');
  }
}

/** The aws command line with endpoint and region, every value quoted. */
export function awsCommand(input: ScriptSource): string {
  const aws = ['aws'];
  if (input.endpoint !== undefined) aws.push('--endpoint-url', shellQuote(input.endpoint));
  aws.push('--region', shellQuote(input.region ?? 'us-east-1'));
  return aws.join(' ');
}

/** The opening lines every init script shares: strict mode, no instance metadata, addressing style. */
export function scriptPrelude(input: ScriptSource): string[] {
  checkBucket(input.bucket);
  // No instance metadata lookups: the keys come from the environment.
  return ['set -eu', 'export AWS_EC2_METADATA_DISABLED=true', ...addressingLines(input)];
}

/** `fetch KEY DEST SIZE SHA256`: copies one object and checks it (SIZE or SHA256 empty: not checked). */
export function fetchFunction(input: ScriptSource): string[] {
  const source = `s3://${input.bucket}/`;
  return [
    'fetch() {',
    // A restarted pod may keep its emptyDir: a file already there with the recorded sha256 is not fetched again.
    '  if [ -n "$4" ] && [ -f "$2" ] && printf "%s  %s\\n" "$4" "$2" | sha256sum -c --quiet - >/dev/null 2>&1; then',
    '    echo "modelrepo: $2 is already here, sha256 ok ($4)"',
    '    return 0',
    '  fi',
    '  mkdir -p "$(dirname "$2")"',
    `  echo "modelrepo: copying ${source}$1 (\${3:-unknown} bytes)"`,
    `  if ! ${awsCommand(input)} s3 cp --only-show-errors ${shellQuote(source)}"$1" "$2"; then`,
    `    echo "modelrepo: FAILED to copy ${source}$1 (see the aws error above)" >&2`,
    '    exit 1',
    '  fi',
    '  got_size=$(wc -c < "$2" | tr -d " ")',
    '  if [ -n "$3" ] && [ "$got_size" != "$3" ]; then',
    '    echo "modelrepo: size MISMATCH for $2: expected $3 bytes, got $got_size" >&2',
    '    rm -f "$2"',
    '    exit 1',
    '  fi',
    '  if [ -z "$4" ] && [ -n "$3" ]; then',
    '    echo "modelrepo: no sha256 recorded for $1 (version written by another tool): only its size was checked"',
    '    return 0',
    '  fi',
    '  if [ -z "$4" ]; then',
    '    echo "modelrepo: no sha256 or size recorded for $1 (version written by another tool): copied unchecked"',
    '    return 0',
    '  fi',
    '  if ! printf "%s  %s\\n" "$4" "$2" | sha256sum -c --quiet -; then',
    '    echo "modelrepo: sha256 MISMATCH for $2: expected $4, got $(sha256sum "$2" | cut -d " " -f 1); refusing to start the server" >&2',
    '    rm -f "$2"',
    '    exit 1',
    '  fi',
    '  echo "modelrepo: $2 arrived, sha256 ok ($4)"',
    '}',
  ];
}

/** The pinned script: copies exactly the artifacts named in the manifest. */
export function copyScript(input: CopyScriptInput & CacheOption): string {
  const q = shellQuote;
  const target = input.targetDir.replace(/\/+$/, '') || '/';
  const label = input.label ?? input.bucket;
  const total = input.artifacts.reduce((s, a) => s + a.size, 0);
  const lines = [
    ...scriptPrelude(input),
    ...fetchLines(input),
    `echo ${q(`modelrepo: fetching ${input.artifacts.length} file(s), ${humanSize(total)}, of ${label} from ${input.endpoint ?? 'AWS S3'}`)}`,
    ...input.artifacts.map((a) => ['fetch', q(a.path), q(`${target === '/' ? '' : target}/${a.file}`), String(a.size), q(a.sha256 ?? '')].join(' ')),
    `echo ${q(`modelrepo: all ${input.artifacts.length} file(s) of ${label} arrived in ${target}`)}`,
  ];
  return `${lines.join('\n')}\n`;
}
