// The init script of "follow the tag" manifests: resolves `<model>/tags/<tag>` when the pod starts, by
// reading the tag objects from S3 with aws-cli and following the chain the way src/core/links.ts does
// (`v2` another tag or else a version, `../2024-03-20/file.gguf`, `../2024-03-20`, the shorthand
// `2024-01-15/file.gguf`; capped length, cycles and escapes refused), then copies the files the chain
// ends in and checks them against the version's .modelrepo-version.json. So moving `latest` rolls out
// on the next pod start. The server reads the model through the symlink CURRENT_MODEL in the target
// folder, because the file name is only known at pod start. No jq in the aws-cli image: the version
// manifest (JSON.stringify output) is read with tr/sed, and a name with JSON escapes is refused.
import { MAX_CHAIN } from '../links';
import { awsCommand, fetchLines, scriptPrelude, shellQuote } from './initScript';
import type { CacheOption, ScriptSource } from './initScript';

export interface FollowScriptInput extends ScriptSource, CacheOption {
  /** Key prefix of the model folder in the bucket, with the trailing slash: `team-a/llama-3-8b/`. */
  readonly modelPrefix: string;
  /** For the log lines. */
  readonly model: string;
  readonly tag: string;
  /** Where the files go (`/models` in the pod, a temp dir in the test). */
  readonly targetDir: string;
  /** Longest chain of tags followed, default MAX_CHAIN like the resolver. */
  readonly maxChain?: number;
}

/** The symlink (in the target folder) to the model file the tag resolved to at pod start. */
export const CURRENT_MODEL = 'modelrepo-current.gguf';

// Shell text below is single-quoted TypeScript: backslashes are doubled, `${...}` is shell expansion.
const HELPERS = [
  'fail() { echo "modelrepo: cannot follow $model:$first_tag: $*" >&2; exit 1; }',
  // s3get KEY DEST: 0 copied, 2 no such object, 1 any other failure (aws's message goes to stderr)
  's3get() {',
  '  if aws_s3 cp --only-show-errors "$bucket_url$1" "$2" 2>"$tmp/err" </dev/null; then return 0; fi',
  '  if grep -qE \'\\((404|NoSuchKey)\\)|Not Found|NoSuchKey\' "$tmp/err"; then return 2; fi',
  '  cat "$tmp/err" >&2',
  '  return 1',
  '}',
  // normpath TEXT: the link target relative to the model folder (`../x` is relative to tags/, as a symlink)
  'normpath() {',
  '  out=""',
  '  case "$1" in ../*) out=tags ;; esac',
  '  rest=$1',
  '  while [ -n "$rest" ]; do',
  '    case "$rest" in */*) seg=${rest%%/*}; rest=${rest#*/} ;; *) seg=$rest; rest="" ;; esac',
  '    case "$seg" in',
  '      ""|.) ;;',
  '      ..) [ -n "$out" ] || return 1',
  '          case "$out" in */*) out=${out%/*} ;; *) out="" ;; esac ;;',
  '      *) out=${out:+$out/}$seg ;;',
  '    esac',
  '  done',
  '  [ -n "$out" ] || return 1',
  '  printf "%s\\n" "$out"',
  '}',
];

const RESOLVE = [
  'name=$first_tag; chain=$first_tag; seen="$nl$first_tag$nl"; must_be_tag=1; links=0; version=""; file=""',
  'while :; do',
  '  rc=0; s3get "${model_prefix}tags/$name" "$tmp/link" || rc=$?',
  '  [ "$rc" != 1 ] || fail "reading tag \'$name\' failed (see the aws error above)"',
  '  if [ "$rc" = 2 ]; then',
  '    [ "$links" != 0 ] || fail "there is no tag \'$name\' in $model"',
  '    [ "$must_be_tag" = 0 ] || fail "tag \'$from\' points at tag \'$name\', which does not exist ($chain)"',
  '    version=$name; break', // a bare name that is no tag names a version
  '  fi',
  '  bytes=$(wc -c < "$tmp/link" | tr -d " ")',
  '  [ "$bytes" -le 1024 ] || fail "tag \'$name\' is $bytes bytes long: not a link ($chain)"',
  '  odd=$(LC_ALL=C tr -d \'\\011\\012\\015\\040-\\176\\200-\\377\' < "$tmp/link" | wc -c | tr -d " ")',
  '  [ "$odd" = 0 ] || fail "tag \'$name\' holds binary data, not link text ($chain)"',
  '  text=$(cat "$tmp/link"); text=${text%"$cr"}',
  '  case "$text" in *"$nl"*|*"$cr"*) fail "tag \'$name\' has more than one line ($chain)" ;; esac',
  '  [ -n "$text" ] || fail "tag \'$name\' is empty ($chain)"',
  '  case "$text" in /*|*://*|*\\\\*) fail "tag \'$name\' -> \'$text\' is absolute and leaves the model ($chain)" ;; esac',
  '  from=$name',
  '  case "$text" in',
  '    */*)',
  '      p=$(normpath "$text") || fail "tag \'$name\' -> \'$text\' leaves the model ($chain)"',
  '      case "/$p" in */.*) fail "tag \'$name\' -> \'$text\' points at a hidden name ($chain)" ;; esac',
  '      case "$p" in',
  '        tags/*/*) fail "tag \'$name\' -> \'$text\' points into tags/ but not at a tag ($chain)" ;;',
  '        tags/*) next=${p#tags/}; must_be_tag=1 ;;',
  '        */*) version=${p%%/*}; file=${p#*/}; chain="$chain -> $p"; break ;;',
  '        *) version=$p; chain="$chain -> $p"; break ;;',
  '      esac ;;',
  '    .*) fail "tag \'$name\' -> \'$text\' is malformed ($chain)" ;;',
  '    *) next=$text; must_be_tag=0 ;;',
  '  esac',
  '  links=$((links + 1))',
  '  case "$seen" in *"$nl$next$nl"*) fail "the tags form a cycle ($chain -> $next)" ;; esac',
  '  [ "$links" -lt "$max_chain" ] || fail "the chain is longer than $max_chain links ($chain -> $next ...)"',
  '  seen="$seen$next$nl"; chain="$chain -> $next"; name=$next',
  'done',
  '[ "$version" != tags ] || fail "the chain ends in the tags folder ($chain)"',
  'echo "modelrepo: $chain"',
];

// Lists the files to copy as SIZE|SHA256|NAME lines in $tmp/wanted (SHA256 empty for legacy versions).
const PLAN = [
  'vprefix="$model_prefix$version/"',
  'rc=0; s3get "${vprefix}.modelrepo-version.json" "$tmp/version.json" || rc=$?',
  '[ "$rc" != 1 ] || fail "reading the manifest of version \'$version\' failed (see the aws error above)"',
  'if [ "$rc" = 0 ]; then',
  '  tr \'{}\\n\\r\' \'\\n\\n  \' < "$tmp/version.json" | grep \'"sha256"\' | while IFS= read -r entry; do',
  '    n=$(printf "%s\\n" "$entry" | sed -n \'s/.*"name" *: *"\\([^"]*\\)".*/\\1/p\')',
  '    z=$(printf "%s\\n" "$entry" | sed -n \'s/.*"size" *: *\\([0-9][0-9]*\\).*/\\1/p\')',
  '    h=$(printf "%s\\n" "$entry" | sed -n \'s/.*"sha256" *: *"\\([0-9a-f]*\\)".*/\\1/p\')',
  '    case "$n" in ""|*\\\\*) fail "cannot read a file name in the manifest of version \'$version\' (JSON escapes are not supported here): pin the version instead" ;; esac',
  '    [ -n "$z" ] && [ ${#h} = 64 ] || fail "the manifest of version \'$version\' has no size or sha256 for \'$n\'"',
  '    printf "%s|%s|%s\\n" "$z" "$h" "$n"',
  '  done > "$tmp/files"',
  '  [ -s "$tmp/files" ] || fail "the manifest of version \'$version\' lists no files ($chain)"',
  'else',
  // No manifest: one listing tells an unfinished upload, a version by another tool and a missing one apart.
  '  if ! aws_s3 ls --recursive "$bucket_url$vprefix" > "$tmp/list" 2>"$tmp/err" </dev/null && [ -s "$tmp/err" ]; then',
  '    cat "$tmp/err" >&2; fail "listing version \'$version\' failed (see the aws error above)"',
  '  fi',
  '  sed -n \'s/^[0-9-]* [0-9:]* *\\([0-9][0-9]*\\) \\(.*\\)$/\\1||\\2/p\' "$tmp/list" | while IFS="|" read -r z h k; do',
  '    printf "%s||%s\\n" "$z" "${k#"$vprefix"}"',
  '  done > "$tmp/all"',
  '  ! grep -q "||\\.modelrepo-pending\\.json$" "$tmp/all" || fail "version \'$version\' is still being uploaded ($chain)"',
  '  grep -v "||\\.modelrepo-" "$tmp/all" > "$tmp/files" || true',
  '  [ -s "$tmp/files" ] || fail "version \'$version\' does not exist ($chain)"',
  '  echo "modelrepo: version $version has no .modelrepo-version.json (written by another tool): sizes are checked, no sha256"',
  'fi',
  ': > "$tmp/wanted"',
  'while IFS="|" read -r z h n; do',
  '  if [ -z "$file" ] || [ "$n" = "$file" ]; then printf "%s|%s|%s\\n" "$z" "$h" "$n" >> "$tmp/wanted"; fi',
  'done < "$tmp/files"',
  '[ -s "$tmp/wanted" ] || fail "the chain ends at file \'$version/$file\', which is not in version \'$version\' ($chain)"',
  'count=$(wc -l < "$tmp/wanted" | tr -d " ")',
  'if [ -n "$file" ]; then model_file=$file',
  'elif [ "$count" = 1 ]; then model_file=$(cut -d "|" -f 3- "$tmp/wanted")',
  'else',
  '  cut -d "|" -f 3- "$tmp/wanted" | grep -i "\\.gguf$" > "$tmp/ggufs" || true',
  '  [ "$(wc -l < "$tmp/ggufs" | tr -d " ")" = 1 ] || fail "version \'$version\' holds $(wc -l < "$tmp/ggufs" | tr -d " ") GGUF files, not one: point the tag at one file ($chain)"',
  '  model_file=$(cat "$tmp/ggufs")',
  'fi',
  'case "$model_file" in *-0*1-of-[0-9]*.gguf|*-0*1-of-[0-9]*.GGUF) fail "\'$model_file\' is a split GGUF: following a tag serves one file; pin the version instead" ;; esac',
];

const COPY = [
  'vdir="$target/$version"',
  // A restarted pod may keep its emptyDir: drop the versions it no longer serves before copying.
  'for d in "$target"/*; do',
  '  if [ -d "$d" ] && [ ! -L "$d" ] && [ "$d" != "$vdir" ]; then echo "modelrepo: removing $d (no longer served)"; rm -rf "$d"; fi',
  'done',
  'while IFS="|" read -r z h n; do',
  '  fetch "$vprefix$n" "$vdir/$n" "$z" "$h" </dev/null',
  'done < "$tmp/wanted"',
  `rm -f "$target/${CURRENT_MODEL}"`,
  `ln -s "$version/$model_file" "$target/${CURRENT_MODEL}"`,
  `echo "modelrepo: $model:$first_tag is $version/$model_file: $count file(s) in $vdir, served as $target/${CURRENT_MODEL}"`,
];

export function followScript(input: FollowScriptInput): string {
  const q = shellQuote;
  const prefix = input.modelPrefix === '' || input.modelPrefix.endsWith('/') ? input.modelPrefix : `${input.modelPrefix}/`;
  const lines = [
    ...scriptPrelude(input),
    `bucket_url=${q(`s3://${input.bucket}/`)}`,
    `model_prefix=${q(prefix)}`,
    `model=${q(input.model)}`,
    `first_tag=${q(input.tag)}`,
    `target=${q(input.targetDir.replace(/\/+$/, '') || '/')}`,
    `max_chain=${input.maxChain ?? MAX_CHAIN}`,
    "nl='\n'",
    "cr=$(printf '\\r')",
    'tmp="${TMPDIR:-/tmp}/modelrepo-follow.$$"',
    'mkdir -p "$tmp"',
    'trap \'rm -rf "$tmp"\' EXIT',
    `aws_s3() { ${awsCommand(input)} s3 "$@"; }`,
    ...fetchLines(input),
    ...HELPERS,
    ...RESOLVE,
    ...PLAN,
    ...COPY,
  ];
  return `${lines.join('\n')}\n`;
}
