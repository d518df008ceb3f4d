/**
 * Spatial resizing of NCHW maps (Paddle's resize_nearest / resize_bilinear): the output size
 * is given directly (size [OH, OW]) or as a scale (OH = floor(H * scale)). Nearest picks
 * src = floor(dst * H / OH), or with alignCorners the nearest corner-aligned pixel
 * floor(dst * (H-1)/(OH-1) + 1/2) (Paddle's resize_nearest default); bilinear uses half-pixel
 * centres, or the corner-aligned src = dst * (H-1)/(OH-1) with alignCorners.
 */
import type { Tensor } from '../tensor';
import { attrsArg, boolArg, commonBackend, empty, fail, formatShapeOf, isInt, launch, packGeometry, rankArg, shapeArg, shapeValue, show } from './check';

export interface UpsampleAttrs {
  mode: 'nearest' | 'bilinear';
  /** OH = floor(H * sh), OW = floor(W * sw); a number for both */
  scale?: number | [number, number];
  /** [OH, OW] */
  size?: [number, number];
  /** corner-aligned sampling (nearest and bilinear); default false */
  alignCorners?: boolean;
}

export function upsampleGeometry(op: string, xs: readonly number[], attrsIn: UpsampleAttrs): Record<string, number> {
  const attrs = attrsArg(op, attrsIn);
  if (xs.some((d) => d < 1)) fail(op, 'a non-empty input (every dimension >= 1)', 'x', formatShapeOf(xs));
  const [N, C, H, W] = xs;
  if (attrs.mode !== 'nearest' && attrs.mode !== 'bilinear') fail(op, "'nearest' or 'bilinear'", 'mode', show(attrs.mode));
  const align = boolArg(op, 'alignCorners', attrs.alignCorners, false);
  let OH: number;
  let OW: number;
  if ((attrs.scale === undefined) === (attrs.size === undefined)) fail(op, 'exactly one of scale and size', 'attrs', show(attrs));
  if (attrs.size !== undefined) {
    const ok = Array.isArray(attrs.size) && attrs.size.length === 2 && attrs.size.every((d) => isInt(d) && d >= 1);
    if (!ok) fail(op, 'a pair [OH, OW] of positive integers', 'size', show(attrs.size));
    [OH, OW] = attrs.size;
  } else {
    const s = attrs.scale;
    const pos = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    const pair = pos(s) ? [s as number, s as number] : Array.isArray(s) && s.length === 2 && s.every(pos) ? s : null;
    if (!pair) fail(op, 'a positive number or a pair [sh, sw] of them', 'scale', show(s));
    OH = Math.floor(H * pair[0]);
    OW = Math.floor(W * pair[1]);
    if (OH < 1 || OW < 1) fail(op, `a scale giving an output of at least 1x1 for input ${formatShapeOf(xs)}`, 'scale', `${show(s)}, which gives ${OH}x${OW}`);
  }
  return { N, C, H, W, OH, OW, mode: attrs.mode === 'nearest' ? 0 : 1, align_corners: +align };
}

export function upsample(x: Tensor, attrs: UpsampleAttrs): Tensor {
  const op = 'upsample';
  rankArg(op, 'x', x, 4, 'input');
  const g = upsampleGeometry(op, x.shape, attrs);
  const be = commonBackend(op, { x });
  const y = empty([g.N, g.C, g.OH, g.OW], be);
  launch(op, 'upsample_forward', be, [x, y], packGeometry('upsample_forward', g));
  return y;
}

/** dx (shape xShape) of upsample given dy. */
export function upsampleBackward(dy: Tensor, xShape: readonly number[], attrs: UpsampleAttrs): Tensor {
  const op = 'upsampleBackward';
  const xs = shapeValue(op, 'xShape', xShape, 4);
  const g = upsampleGeometry(op, xs, attrs);
  shapeArg(op, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  const be = commonBackend(op, { dy });
  const dx = empty(xs, be);
  launch(op, 'upsample_backward', be, [dy, dx], packGeometry('upsample_backward', g));
  return dx;
}
