// The node cache's part of the init scripts: a `fetch KEY DEST SIZE SHA256` with the same signature as
// the plain copy (initScript.ts), so the pinned and the follow-the-tag scripts use it unchanged. Files
// live once per node, content-addressed, in <cache>/blobs/<sha256>; DEST becomes a symlink to the blob,
// so the server reads the cached bytes through a read-only mount of the cache (no copy).
//
// Rules (README "Node cache"):
// - Lookup by recorded sha256: a file without one is refused (the manifest builder refuses it earlier).
// - One download per node: a miss takes the lock of its sha256; whoever gets it second finds the blob
//   published and reads nothing from S3. The lock is flock on locks/<sha>.lock where the image has flock
//   (util-linux); else an atomic `mkdir locks/<sha>.d` whose holder touches locks/<sha>.d/owner every
//   10 s, so a lock whose holder was killed is taken over after LOCK_STALE_SECONDS. A takeover race lost
//   costs at most a second download, never a broken blob (each download publishes by its own rename). The download goes to tmp/ in the cache (same filesystem),
//   is checked (size, sha256) and published by rename, so a blob is never half-written.
// - A hit checks the size every time; the sha256 again only when the blob changed since it was last
//   verified (its mtime is newer than blobs/<sha>.verified). A mismatch removes the blob and fetches it.
// - Use: blobs/<sha>.used is touched at every use (LRU order); blobs/<sha>.leases/<pod> is written by the
//   init script and refreshed by the lease sidecar (leaseLoop) while the pod runs.
// - Eviction after a publish, under the cache-wide lock: above `high` bytes, blobs are removed by oldest
//   use until the total is at most `low`, skipping any blob with a lease younger than `leaseMinutes` and
//   any blob whose own lock is held (a download or a lookup in progress).
// Needs stat-free POSIX tools (wc, ls, touch -d) and `test -nt`, which dash and bash have.
import { shellQuote } from './initScript';
import type { ScriptSource } from './initScript';

export interface NodeCacheScript {
  /** The cache folder as the container sees it. */
  readonly dir: string;
  /** Evict when a publish makes the blobs exceed this many bytes ... */
  readonly highBytes: number;
  /** ... down to this many. */
  readonly lowBytes: number;
  /** A lease younger than this marks a blob in use. */
  readonly leaseMinutes: number;
  /** Where the init script lists the blobs the pod uses, for the lease sidecar (in the pod's emptyDir). */
  readonly leaseList: string;
}

/** The cache folder in every container that mounts it. */
export const NODE_CACHE_DIR = '/var/lib/modelrepo/cache';
export const DEFAULT_HIGH_BYTES = 200 * 1024 ** 3;
export const DEFAULT_LEASE_MINUTES = 10;
/** How often the sidecar refreshes the leases: well inside leaseMinutes. */
export const LEASE_REFRESH_SECONDS = 60;
/** Without flock: a lock folder whose owner file is older than this lost its holder. */
export const LOCK_STALE_SECONDS = 120;

// take NAME FD waits for a lock, try NAME FD takes it only if free, drop NAME FD lets it go; FD is the
// descriptor flock uses (one per lock held at once). die exits after dropping the folder locks held.
// Their variables are lock_* (the follow script's loops use short names around fetch).
// The amazon/aws-cli image's Dockerfile installs only less and groff onto the Amazon Linux base image,
// which does not promise util-linux; hence the mkdir fallback.
const LOCKS = [
  'if command -v flock >/dev/null 2>&1; then have_flock=1; else have_flock=""; echo "modelrepo: no flock in this image: the node cache locks with mkdir"; fi',
  'held=""',
  'lock_now() {',
  '  if [ -n "$have_flock" ]; then eval "exec $2>\\"\\$cache/locks/\\$1.lock\\""; flock -n "$2" && return 0; eval "exec $2>&-"; return 1; fi',
  '  lock_dir="$cache/locks/$1.d"',
  '  if mkdir "$lock_dir" 2>/dev/null; then',
  '    echo "$pod" > "$lock_dir/owner"',
  '    ( while sleep 10; do touch "$lock_dir/owner" 2>/dev/null || exit 0; done ) >/dev/null 2>&1 &',
  '    eval "beat_$2=$!"; held="$held $1:$2"; return 0',
  '  fi',
  // a holder killed without dropping: no heartbeat since lock_stale seconds; renamed away by one taker
  '  touch -d "@$(( $(date +%s) - lock_stale ))" "$cache/tmp/.lock-ref.$pod"',
  '  if [ -d "$lock_dir" ] && ! [ "$lock_dir" -nt "$cache/tmp/.lock-ref.$pod" ] && ! [ "$lock_dir/owner" -nt "$cache/tmp/.lock-ref.$pod" ] && mv "$lock_dir" "$lock_dir.stale.$pod" 2>/dev/null; then',
  '    echo "modelrepo: taking over the lock of $1 (its holder stopped)"; rm -rf "$lock_dir.stale.$pod"',
  '  fi',
  '  rm -f "$cache/tmp/.lock-ref.$pod"',
  '  return 1',
  '}',
  'take() {',
  '  if [ -n "$have_flock" ]; then eval "exec $2>\\"\\$cache/locks/\\$1.lock\\""; flock "$2"; return; fi',
  '  while ! lock_now "$1" "$2"; do sleep 1; done',
  '}',
  'try() { lock_now "$1" "$2"; }',
  'drop() {',
  '  if [ -n "$have_flock" ]; then eval "exec $2>&-"; return 0; fi',
  '  eval "kill \\$beat_$2 2>/dev/null"; rm -rf "$cache/locks/$1.d"',
  '  lock_rest=""; for lock_h in $held; do [ "$lock_h" = "$1:$2" ] || lock_rest="$lock_rest $lock_h"; done; held=$lock_rest',
  '}',
  'die() { for lock_h in $held; do drop "${lock_h%:*}" "${lock_h##*:}"; done; exit 1; }',
];

/** `fetch KEY DEST SIZE SHA256` through the node cache, plus the eviction it may trigger. */
export function cacheFetchFunction(input: ScriptSource, cache: NodeCacheScript): string[] {
  const q = shellQuote;
  const source = `s3://${input.bucket}/`;
  const aws = ['aws', ...(input.endpoint !== undefined ? ['--endpoint-url', q(input.endpoint)] : []), '--region', q(input.region ?? 'us-east-1')].join(' ');
  return [
    `cache=${q(cache.dir.replace(/\/+$/, '') || '/')}`,
    `cache_high=${Math.floor(cache.highBytes)}`,
    `cache_low=${Math.floor(cache.lowBytes)}`,
    `lease_minutes=${Math.floor(cache.leaseMinutes)}`,
    `lease_list=${q(cache.leaseList)}`,
    `lock_stale=${LOCK_STALE_SECONDS}`,
    'pod=${POD_NAME:-$(hostname)}',
    ...LOCKS,
    'mkdir -p "$cache/blobs" "$cache/tmp" "$cache/locks" 2>/dev/null || true',
    'if ! touch "$cache/.writable.$pod" 2>/dev/null; then',
    '  echo "modelrepo: the node cache $cache is not writable by uid $(id -u): prepare it on the node (install -d -o $(id -u) -g $(id -g) -m 0750 <dir>) or use a local PersistentVolume" >&2',
    '  exit 1',
    'fi',
    'rm -f "$cache/.writable.$pod"',
    'mkdir -p "$(dirname "$lease_list")"',
    ': > "$lease_list"',
    // cache_size: bytes of the published blobs (names are 64 hex digits; leases, stamps and temp files are not counted)
    'cache_size() {',
    '  total=0',
    '  for b in "$cache"/blobs/*; do',
    '    n=${b##*/}',
    '    case "$n" in *[!0-9a-f]*) continue ;; esac',
    '    [ ${#n} = 64 ] && [ -f "$b" ] || continue',
    '    total=$((total + $(wc -c < "$b")))',
    '  done',
    '  echo "$total"',
    '}',
    // leased SHA: a lease younger than lease_minutes
    'leased() {',
    '  touch -d "@$(( $(date +%s) - lease_minutes * 60 ))" "$cache/tmp/.lease-ref.$pod"',
    '  for l in "$cache/blobs/$1.leases"/*; do',
    '    if [ -f "$l" ] && [ "$l" -nt "$cache/tmp/.lease-ref.$pod" ]; then rm -f "$cache/tmp/.lease-ref.$pod"; return 0; fi',
    '  done',
    '  rm -f "$cache/tmp/.lease-ref.$pod"',
    '  return 1',
    '}',
    'evict() {',
    '  size=$(cache_size)',
    '  [ "$size" -gt "$cache_high" ] || return 0',
    '  echo "modelrepo: node cache holds $size bytes, above $cache_high: evicting least recently used blobs down to $cache_low"',
    '  for u in $(ls -1tr "$cache"/blobs/*.used 2>/dev/null); do',
    '    [ "$size" -gt "$cache_low" ] || break',
    '    s=${u##*/}; s=${s%.used}',
    '    [ -f "$cache/blobs/$s" ] || { rm -f "$u"; continue; }',
    '    if leased "$s"; then echo "modelrepo: keeping $s (leased by a running pod)"; continue; fi',
    '    try "$s" 7 || continue',
    '    if leased "$s"; then drop "$s" 7; continue; fi',
    '    z=$(wc -c < "$cache/blobs/$s"); rm -rf "$cache/blobs/$s" "$cache/blobs/$s.verified" "$cache/blobs/$s.leases" "$u"',
    '    drop "$s" 7',
    '    size=$((size - z)); echo "modelrepo: evicted $s ($z bytes)"',
    '  done',
    '  [ "$size" -le "$cache_low" ] || echo "modelrepo: node cache still holds $size bytes: the rest is in use"',
    '}',
    'fetch() {',
    '  if [ -z "$4" ]; then echo "modelrepo: the node cache needs a recorded sha256, and $1 has none: pin a version uploaded with modelrepo or deploy without the node cache" >&2; exit 1; fi',
    '  case "$4" in *[!0-9a-f]*) echo "modelrepo: malformed sha256 for $1" >&2; exit 1 ;; esac',
    '  blob="$cache/blobs/$4"',
    '  take "$4" 8',
    '  mkdir -p "$blob.leases" && touch "$blob.leases/$pod"',
    '  if [ -f "$blob" ]; then',
    '    got=$(wc -c < "$blob")',
    '    if [ -n "$3" ] && [ "$got" != "$3" ]; then',
    '      echo "modelrepo: cached blob $4 has $got bytes, expected $3: removing it" >&2; rm -f "$blob" "$blob.verified"',
    '    elif [ -f "$blob.verified" ] && ! [ "$blob" -nt "$blob.verified" ]; then',
    '      echo "modelrepo: $1 is in the node cache (blob $4, size ok, sha256 verified when published)"',
    '    elif printf "%s  %s\\n" "$4" "$blob" | sha256sum -c --quiet - >/dev/null 2>&1; then',
    '      touch "$blob.verified"; echo "modelrepo: $1 is in the node cache (blob $4, sha256 ok)"',
    '    else',
    '      echo "modelrepo: cached blob $4 no longer matches its sha256: removing it" >&2; rm -f "$blob" "$blob.verified"',
    '    fi',
    '  fi',
    '  if [ ! -f "$blob" ]; then',
    '    part="$cache/tmp/$4.$pod.part"',
    `    echo "modelrepo: copying ${source}$1 (\${3:-unknown} bytes) into the node cache"`,
    // Progress for `modelrepo prefetch --wait`, which reads the last line of this log: aws writes a temp file beside $part.
    '    ( exec 8>&- 6>&- 7>&-; trap \'kill $t 2>/dev/null; exit 0\' TERM; t=""',
    '      while :; do sleep 5 & t=$!; wait $t; for f in "$part"*; do if [ -f "$f" ]; then echo "modelrepo: downloading $1: $(wc -c < "$f") of ${3:-?} bytes"; fi; done; done ) &',
    '    progress=$!',
    `    if ! ${aws} s3 cp --only-show-errors ${q(source)}"$1" "$part"; then`,
    `      kill $progress 2>/dev/null || true; rm -f "$part"; echo "modelrepo: FAILED to copy ${source}$1 (see the aws error above)" >&2; die`,
    '    fi',
    '    kill $progress 2>/dev/null || true',
    '    got=$(wc -c < "$part")',
    '    if [ -n "$3" ] && [ "$got" != "$3" ]; then',
    '      rm -f "$part"; echo "modelrepo: size MISMATCH for $1: expected $3 bytes, got $got" >&2; die',
    '    fi',
    '    if ! printf "%s  %s\\n" "$4" "$part" | sha256sum -c --quiet - >/dev/null 2>&1; then',
    '      echo "modelrepo: sha256 MISMATCH for $1: expected $4, got $(sha256sum "$part" | cut -d " " -f 1); refusing to start the server" >&2',
    '      rm -f "$part"; die',
    '    fi',
    '    chmod 0444 "$part"; mv -f "$part" "$blob"; touch "$blob.verified"',
    '    echo "modelrepo: $1 arrived in the node cache, sha256 ok ($4)"',
    '    touch "$blob.used"',
    '    take .evict 6; evict; drop .evict 6',
    '  fi',
    '  touch "$blob.used"',
    '  drop "$4" 8',
    '  echo "$4" >> "$lease_list"',
    '  mkdir -p "$(dirname "$2")"',
    '  rm -rf "$2"; ln -s "$blob" "$2"',
    '}',
  ];
}

/** The lease sidecar's loop: refreshes the pod's leases on the blobs it uses, drops them when stopped. */
export function leaseLoop(cache: NodeCacheScript): string {
  const q = shellQuote;
  return [
    `cache=${q(cache.dir)}; list=${q(cache.leaseList)}; pod=\${POD_NAME:-$(hostname)}`,
    'release() { while read -r s; do rm -f "$cache/blobs/$s.leases/$pod"; done < "$list"; exit 0; }',
    'trap release TERM INT',
    'while :; do',
    '  while read -r s; do touch "$cache/blobs/$s.leases/$pod" 2>/dev/null || true; done < "$list"',
    `  sleep ${LEASE_REFRESH_SECONDS} & wait $!`,
    'done',
    '',
  ].join('\n');
}
