/**
 * Box transforms.
 *   NormalizeBox   x / w, y / h (w, h the sample's current size)
 *   PadBox         exactly num_max_boxes rows: the first ones kept, zeros after; gt_class and
 *                  gt_score are padded the same way when inputs_def.fields lists them
 *   BboxXYXY2XYWH  x1, y1, x2, y2 -> cx, cy, w, h (padding rows stay zero)
 */
import { num, type OpConfig, type SampleOp } from './op';

export function normalizeBox(_cfg: OpConfig): SampleOp {
  return {
    kind: 'sample',
    name: 'NormalizeBox',
    apply(s) {
      const { w, h } = s;
      s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => [x1 / w, y1 / h, x2 / w, y2 / h]);
      return s;
    },
  };
}

export function padBox(cfg: OpConfig): SampleOp {
  const max = num(cfg, 'num_max_boxes');
  return {
    kind: 'sample',
    name: 'PadBox',
    apply(s, _rng, ctx) {
      const n = Math.min(max, s.gtBbox.length);
      const pad = <T>(list: T[], zero: () => T) => Array.from({ length: max }, (_, i) => (i < n ? list[i] : zero()));
      s.gtBbox = pad(s.gtBbox, () => [0, 0, 0, 0]);
      if (ctx.fields.includes('gt_class')) s.gtClass = pad(s.gtClass, () => 0);
      if (ctx.fields.includes('gt_score')) s.gtScore = pad(s.gtScore.length ? s.gtScore : new Array<number>(n).fill(1), () => 0);
      if (ctx.fields.includes('is_difficult')) s.difficult = pad(s.difficult, () => 0);
      s.numMaxBoxes = max;
      return s;
    },
  };
}

export function bboxXyxy2Xywh(_cfg: OpConfig): SampleOp {
  return {
    kind: 'sample',
    name: 'BboxXYXY2XYWH',
    apply(s) {
      s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => {
        const w = x2 - x1;
        const h = y2 - y1;
        return [x1 + w / 2, y1 + h / 2, w, h];
      });
      return s;
    },
  };
}
