// Writes docs/benchmarks.md (tables with ratios to the best peer, the machine, how to reproduce) and
// docs/benchmarks-versions.svg (ls time against the number of versions, both axes logarithmic).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { root } from './common.mjs';

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0] : undefined;
};

export function machine() {
  return {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: sh('uname', ['-sr']),
    load: sh('cat', ['/proc/loadavg']),
    ceph: sh('radosgw', ['--version']) ?? sh('ceph', ['--version']) ?? 'Ceph RGW (version not found)',
    node: process.version,
    aws: sh('/usr/bin/aws', ['--version']),
    rclone: sh('rclone', ['version']),
  };
}

/** One table: rows grouped by case; ratio = best peer's time / this tool's time (above 1: faster). */
function table(rows) {
  const lines = ['| case | tool | time (median) | CPU | peak RSS | vs best peer |', '|---|---|---:|---:|---:|---:|'];
  for (const label of [...new Set(rows.map((r) => r.label))]) {
    const group = rows.filter((r) => r.label === label);
    const best = Math.min(...group.filter((r) => r.tool !== 'modelrepo').map((r) => r.seconds));
    for (const r of group) {
      const speed = r.mibs ? ` (${r.mibs.toFixed(0)} MiB/s)` : '';
      const ratio = Number.isFinite(best) ? `${(best / r.seconds).toFixed(2)}x` : '-';
      lines.push(`| \`${label}\` | ${r.tool} | ${r.timedOut ? 'stopped after ' : ''}${r.seconds.toFixed(2)} s${speed} | ${r.cpu.toFixed(2)} s | ${r.rssMiB.toFixed(0)} MiB | ${ratio} |`);
    }
  }
  return lines.join('\n');
}

function chart(points) {
  const W = 480, H = 300, L = 60, R = 20, T = 20, B = 45;
  const xs = points.map((p) => p.versions);
  const ys = points.flatMap((p) => [p.modelrepo, p.aws]);
  const x0 = Math.log10(Math.min(...xs)), x1 = Math.log10(Math.max(...xs));
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const px = (v) => L + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (s) => H - B - ((Math.log10(s) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`];
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e).toFixed(1);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${L - 6}" y="${y}" text-anchor="end" dy="4">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} s</text>`);
  }
  for (const v of xs) {
    const x = px(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" stroke="#ddd"/><text x="${x}" y="${H - B + 16}" text-anchor="middle">${v}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">versions in the model (log)</text>`);
  const series = [['modelrepo', 'modelrepo ls &lt;model&gt;', '#1f77b4'], ['aws', 'aws s3 ls &lt;model&gt;/', '#d62728']];
  series.forEach(([k, name, color], i) => {
    const pts = points.map((p) => `${px(p.versions).toFixed(1)},${py(p[k]).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of points) out.push(`<circle cx="${px(p.versions).toFixed(1)}" cy="${py(p[k]).toFixed(1)}" r="3" fill="${color}"/>`);
    out.push(`<rect x="${L + 10}" y="${T + 6 + i * 16}" width="12" height="3" fill="${color}"/><text x="${L + 28}" y="${T + 10 + i * 16}">${name}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}

const NOTES = '## Transfer tuning notes';

// The notes are written by hand (what was tried, what helped): a new report keeps the section of the
// report it replaces, or of docs/benchmarks.md when it goes elsewhere.
function notes(dir) {
  for (const file of [join(dir, 'benchmarks.md'), join(root, 'docs', 'benchmarks.md')]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const start = text.indexOf(NOTES);
    const end = text.indexOf('\n## Reproduce', start);
    if (start >= 0 && end > start) return text.slice(start, end).trimEnd();
  }
  return `${NOTES}\n\n(none yet)`;
}

export function writeReport({ cliRows, transferRows, tree, versions, layout, m, params, command }) {
  const doc = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`${command}\`.`,
    'Every figure is a whole process (start-up included) unless it says otherwise: the median of',
    `${params.rounds} runs per tool, the tools alternating round by round, CPU (user + system) and peak RSS from`,
    '`/usr/bin/time`. "vs best peer" is the best peer\'s time divided by this one (above 1: faster).',
    '',
    '## Machine',
    '',
    `- CPUs: ${m.cpus}; memory ${m.memory}; ${m.kernel}`,
    `- S3 server: ${m.ceph}, on the same machine (loopback)`,
    `- Node ${m.node}; ${m.aws}; ${m.rclone}`,
    `- Load average when the report was written: ${m.load}. The machine is shared: other work ran during`,
    '  the measurement, so single figures move by 10-30 %; compare the tools of one run, not runs.',
    '',
    '## Listing and search',
    '',
    `Bucket: ${layout.models} models x ${layout.versions} date versions, one small GGUF file each, \`tags/latest -> v2 ->`,
    `<last version>/<file>\` (${layout.objects} objects${layout.reused ? ', reused from an earlier run' : `, built in ${layout.seconds.toFixed(0)} s`}).`,
    'The peers list the folder only (no tags, states or records); search has no peer, so its peers are the',
    'model listing it needs at least.',
    '',
    table(cliRows),
    '',
    '## Upload and download',
    '',
    `One ${params.sizeMiB} MiB file of random bytes. \`modelrepo download\` checks the sha256 recorded at upload; the`,
    'peers, at their defaults, check nothing for a multipart object. Between runs: `sync` and a pause of',
    `${params.settleS} s, so the server's background work of one run does not land on the next.`,
    '',
    table(transferRows),
    '',
    '## Editor view: level loads (in-process)',
    '',
    'The core calls the view makes when a node is expanded, on an open connection (median, milliseconds).',
    '',
    '| level | time |', '|---|---:|',
    ...tree.map((t) => `| ${t.label} | ${t.ms.toFixed(1)} ms |`),
    '',
    '## `ls <model>` against the number of versions',
    '',
    '![ls time against the number of versions](benchmarks-versions.svg)',
    '',
    '| versions | modelrepo ls | aws s3 ls | ratio |', '|---:|---:|---:|---:|',
    ...versions.map((p) => `| ${p.versions} | ${p.stopped ? 'stopped after ' : ''}${p.modelrepo.toFixed(2)} s | ${p.aws.toFixed(2)} s | ${(p.aws / p.modelrepo).toFixed(2)}x |`),
    '',
    notes(params.outDir ?? join(root, 'docs')),
    '',
    '## Reproduce',
    '',
    '```',
    'npm run bench                                        # small layout (quick)',
    'BENCH_MODELS=1000 BENCH_VERSIONS=100 npm run bench   # the full layout (~102,000 objects, built once)',
    '```',
    '',
    'Other knobs: BENCH_SIZE_MIB (1024), BENCH_ROUNDS (3), BENCH_SETTLE_S (3), BENCH_SCALE (10,100,1000),',
    'BENCH_PARTS (cli,transfer,tree,versions), BENCH_TIMEOUT_S (120: a longer run is stopped and shown as',
    '"stopped after"), BENCH_DIR, BENCH_OUT (docs). See scripts/bench.mjs.',
    '',
  ].join('\n');
  const dir = params.outDir ?? join(root, 'docs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'benchmarks.md'), doc);
  if (versions.length > 1) writeFileSync(join(dir, 'benchmarks-versions.svg'), chart(versions));
  return join(dir, 'benchmarks.md');
}
