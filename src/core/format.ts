// Text formats both fronts show the same way (the CLI's tables and progress, the tree and the
// extension's messages), so a size reads alike wherever it appears.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 5733781120 -> '5.3 GiB'; 512 -> '512 B'; 300 KiB -> '300 KiB'. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(n)} B` : `${v < 100 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[u]}`;
}
