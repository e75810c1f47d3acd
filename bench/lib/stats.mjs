// Measurement helpers shared by the benches: summaries of samples, number formatting, timing.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Nearest-rank percentiles of samples (ms); all NaN when there are none, so reports print '–'. */
export const stats = (xs) => {
  if (xs.length === 0) return { n: 0, min: NaN, p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return {
    n: s.length,
    min: s[0],
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    max: s[s.length - 1],
  };
};

/** A number with `digits` decimals, or '–' for NaN/undefined (an empty sample, an unreadable counter). */
export const fixed = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Runs fn and returns [elapsed ms, its result]. */
export const timed = async (fn) => {
  const s = performance.now();
  const r = await fn();
  return [performance.now() - s, r];
};

const CLK_TCK = 100; // USER_HZ on Linux

/** User + system CPU time of a process so far (ms), from /proc/<pid>/stat; NaN when unreadable. */
export const procCpuMs = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
  } catch {
    return NaN;
  }
};
