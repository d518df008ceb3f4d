/**
 * 2-D max / average pooling over NCHW (Paddle's pool2d): kernel KH x KW, stride, padding in the
 * forms conv2d takes, OH = floor((H + pt + pb - KH) / sh) + 1 (ceil with ceilMode, the last
 * window still starting inside the input or its top/left padding). Each padding must be
 * smaller than the kernel, so every window sees at least one input element. exclusive
 * (Paddle's default) averages over the in-bounds taps only. global pools the whole map.
 * Paddle's default stride is 1.
 */
import { POOL_GEOM } from '../kernels';
import type { Tensor } from '../tensor';
import { attrsArg, boolArg, commonBackend, empty, fail, formatShapeOf, launch, packGeometry, padArg, pairArg, rankArg, shapeArg, show, type Padding } from './check';

export interface Pool2dAttrs {
  kind: 'max' | 'avg';
  /** KH, KW (a number for both); required unless global */
  kernel?: number | [number, number];
  /** default 1 */
  stride?: number | [number, number];
  padding?: Padding;
  /** average over in-bounds taps only; default true */
  exclusive?: boolean;
  /** pool the whole H x W map to 1 x 1 */
  global?: boolean;
  ceilMode?: boolean;
}

export interface PoolGeometry {
  N: number; C: number; H: number; W: number; OH: number; OW: number; KH: number; KW: number;
  SH: number; SW: number; PT: number; PL: number; kind: number; exclusive: number;
}

export function poolGeometry(op: string, xs: readonly number[], attrsIn: Pool2dAttrs): PoolGeometry {
  const attrs = attrsArg(op, attrsIn);
  if (xs.some((d) => d < 1)) fail(op, 'a non-empty input (every dimension >= 1)', 'x', formatShapeOf(xs));
  const [N, C, H, W] = xs;
  if (attrs.kind !== 'max' && attrs.kind !== 'avg') fail(op, "'max' or 'avg'", 'kind', show(attrs.kind));
  const kind = attrs.kind === 'max' ? 0 : 1;
  const exclusive = +boolArg(op, 'exclusive', attrs.exclusive, true);
  if (boolArg(op, 'global', attrs.global, false)) {
    return { N, C, H, W, OH: 1, OW: 1, KH: H, KW: W, SH: 1, SW: 1, PT: 0, PL: 0, kind, exclusive };
  }
  if (attrs.kernel === undefined) fail(op, 'a kernel size (or global: true)', 'kernel', 'undefined');
  const [KH, KW] = pairArg(op, 'kernel', attrs.kernel, 1);
  const [SH, SW] = pairArg(op, 'stride', attrs.stride, 1);
  const pads = padArg(op, attrs.padding, { H, W, KH, KW, SH, SW, DH: 1, DW: 1 });
  const [PT, PB, PL, PR] = pads;
  if (PT >= KH || PB >= KH || PL >= KW || PR >= KW) fail(op, `each padding smaller than the kernel ${KH}x${KW}`, 'padding', show(pads));
  const ceil = boolArg(op, 'ceilMode', attrs.ceilMode, false);
  const size = (n: number, p0: number, p1: number, k: number, s: number) => {
    const span = n + p0 + p1 - k;
    if (span < 0) return 0;
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (o - 1) * s >= n + p0) o -= 1;
    return o;
  };
  const OH = size(H, PT, PB, KH, SH);
  const OW = size(W, PL, PR, KW, SW);
  if (OH < 1 || OW < 1) {
    fail(op, `an output of at least 1x1 (kernel ${KH}x${KW}, padding [${PT}, ${PB}, ${PL}, ${PR}], stride ${SH}x${SW})`, 'x', `${formatShapeOf(xs)}, which gives ${OH}x${OW}`);
  }
  return { N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, kind, exclusive };
}

function poolParams(g: PoolGeometry): Int32Array {
  const p = packGeometry('pool2d_forward', g as unknown as Record<string, number>);
  if (p.length !== POOL_GEOM.length) throw new Error('pool2d: internal error, geometry layout changed');
  return p;
}

export function pool2d(x: Tensor, attrs: Pool2dAttrs): Tensor {
  const op = 'pool2d';
  rankArg(op, 'x', x, 4, 'input');
  const g = poolGeometry(op, x.shape, attrs);
  const be = commonBackend(op, { x });
  const y = empty([g.N, g.C, g.OH, g.OW], be);
  launch(op, 'pool2d_forward', be, [x, y], poolParams(g));
  return y;
}

/** dx of pool2d from x and dy (max routes each gradient to the first maximal tap). */
export function pool2dBackward(x: Tensor, dy: Tensor, attrs: Pool2dAttrs): Tensor {
  const op = 'pool2dBackward';
  rankArg(op, 'x', x, 4, 'input');
  const g = poolGeometry(op, x.shape, attrs);
  shapeArg(op, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  const be = commonBackend(op, { x, dy });
  const dx = empty(x.shape, be);
  launch(op, 'pool2d_backward', be, [x, dy, dx], poolParams(g));
  return dx;
}
