/**
 * Index mappings from a group's root channel space to a member's axis (see types.ts):
 * a list of offset / slice / expand steps applied in order. Kept as data, not closures, so a
 * group can be printed, compared (by key) and stored. `extend` keeps mappings canonical over
 * the root's domain [0, n) (adjacent offsets merged, an offset folded into a following slice,
 * a slice that filters nothing turned into an offset), so two walks that reach a member by
 * equivalent routes (into a concat and back out) produce the same key.
 */
import type { Step } from './types';

/** The indices a member loses (or keeps) when the root loses (keeps) `indices`; order kept. */
export function mapIndices(map: readonly Step[], indices: readonly number[]): number[] {
  let cur = indices as number[];
  for (const s of map) {
    if (s.op === 'offset') cur = cur.map((i) => i + s.by);
    else if (s.op === 'slice') cur = cur.filter((i) => i >= s.start && i < s.start + s.len).map((i) => i - s.start);
    else {
      const out: number[] = new Array(cur.length * s.by);
      let k = 0;
      for (const i of cur) for (let j = 0; j < s.by; j++) out[k++] = i * s.by + j;
      cur = out;
    }
  }
  return cur === indices ? [...indices] : cur;
}

/** A stable text form of a mapping ('' for the identity). */
export function mapKey(map: readonly Step[]): string {
  return map.map((s) => (s.op === 'offset' ? `+${s.by}` : s.op === 'slice' ? `[${s.start}:${s.start + s.len}]` : `*${s.by}`)).join('');
}

/** 0 .. n-1 */
export function range(n: number): number[] {
  const r = new Array<number>(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

/** map followed by one more step, in canonical form over the root domain [0, n). */
export function extend(map: readonly Step[], step: Step, n: number): Step[] {
  const out = [...map];
  let s: Step | null = step;
  while (s) {
    const last: Step | undefined = out[out.length - 1];
    if (s.op === 'offset' && s.by === 0) s = null;
    else if (s.op === 'expand' && s.by === 1) s = null;
    else if (s.op === 'offset' && last?.op === 'offset') {
      out.pop();
      s = { op: 'offset', by: last.by + s.by };
    } else if (s.op === 'slice' && last?.op === 'offset') {
      out.pop();
      s = { op: 'slice', start: s.start - last.by, len: s.len };
    } else if (s.op === 'slice') {
      const img = mapIndices(out, range(n));
      let lo = Infinity, hi = -Infinity;
      for (const i of img) {
        if (i < lo) lo = i;
        if (i > hi) hi = i;
      }
      if (img.length && lo >= s.start && hi < s.start + s.len) s = { op: 'offset', by: -s.start };
      else {
        out.push(s);
        s = null;
      }
    } else {
      out.push(s);
      s = null;
    }
  }
  return out;
}

/** The indices of [0, n) not in `taken`, ascending. */
export function complement(n: number, taken: Iterable<number>): number[] {
  const mark = new Uint8Array(n);
  for (const i of taken) mark[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!mark[i]) out.push(i);
  return out;
}
