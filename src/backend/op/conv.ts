/**
 * 2-D convolution over NCHW, as Paddle's conv2d: x [N, C, H, W], w [OC, C/groups, KH, KW],
 * optional bias b [OC]; y [N, OC, OH, OW] with
 *
 *     OH = floor((H + pt + pb - dh*(KH-1) - 1) / sh) + 1   (likewise OW with pl, pr, dw, sw)
 *
 * The kernels see only the top/left padding: the bottom/right padding is implied by OH/OW.
 * The two backward ops share the geometry, computed here from the forward shapes.
 */
import { CONV_GEOM } from '../kernels';
import {
  attrsArg, commonBackend, empty, fail, formatShapeOf, isInt, launch, OpArgumentError, packGeometry, padArg, pairArg,
  pattern, rankArg, shapeArg, shapeValue, show, type Padding, type Pads,
} from './check';
import type { Backend } from '../backend';
import type { FilterCache } from '../prepared';
import type { Tensor } from '../tensor';

export interface Conv2dAttrs {
  /** sh, sw (a number for both); default 1 */
  stride?: number | [number, number];
  /** n, [ph, pw], [pt, pb, pl, pr], 'SAME' or 'VALID'; default 0 */
  padding?: Padding;
  /** dh, dw (a number for both); default 1 */
  dilation?: number | [number, number];
  /** default 1; C and OC must be divisible by it (depthwise: groups = C) */
  groups?: number;
}

/** The full integer geometry of one convolution, with all four paddings. */
export interface ConvGeometry {
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number; OH: number; OW: number;
  SH: number; SW: number; PT: number; PB: number; PL: number; PR: number; DH: number; DW: number; G: number;
}

/** Packs a geometry into the kernels' `p` (the contract's CONV_GEOM order). */
export function convParams(g: ConvGeometry): Int32Array {
  const p = packGeometry('conv2d_forward', g as unknown as Record<string, number>);
  if (p.length !== CONV_GEOM.length) throw new Error('conv2d: internal error, geometry layout changed');
  return p;
}

export function groupsArg(op: string, v: unknown): number {
  if (v === undefined) return 1;
  if (!isInt(v) || v < 1) fail(op, 'a positive integer', 'groups', show(v));
  return v;
}

/** Checks that every dimension of a shape is at least 1. */
export function nonEmpty(op: string, name: string, shape: readonly number[], what = 'tensor'): void {
  if (shape.some((d) => d < 1)) fail(op, `a non-empty ${what} (every dimension >= 1)`, name, formatShapeOf(shape));
}

/**
 * Geometry of conv2d for input shape xs and weight shape ws, validated with messages that name
 * `xName` and `wName`. Throws when the output would be empty.
 */
export function convGeometry(op: string, xs: readonly number[], xName: string, ws: readonly number[], wName: string, attrsIn: Conv2dAttrs | undefined): ConvGeometry {
  const attrs = attrsArg(op, attrsIn);
  nonEmpty(op, xName, xs, 'input');
  if (ws.length !== 4) fail(op, '4-D tensor [OC, C/groups, KH, KW]', wName, formatShapeOf(ws));
  nonEmpty(op, wName, ws);
  const [N, C, H, W] = xs;
  const [OC, CG, KH, KW] = ws;
  const G = groupsArg(op, attrs.groups);
  if (C % G !== 0) fail(op, `a divisor of the input channels C = ${C}`, 'groups', String(G));
  if (CG !== C / G) {
    throw new OpArgumentError(`${op}: expected ${wName} of shape [OC, C/groups, KH, KW] = ${pattern([undefined, C / G, undefined, undefined])}, got ${formatShapeOf(ws)}`);
  }
  if (OC % G !== 0) fail(op, `OC divisible by groups = ${G} in ${wName} of shape [OC, C/groups, KH, KW]`, wName, formatShapeOf(ws));
  const [SH, SW] = pairArg(op, 'stride', attrs.stride, 1);
  const [DH, DW] = pairArg(op, 'dilation', attrs.dilation, 1);
  const [PT, PB, PL, PR] = padArg(op, attrs.padding, { H, W, KH, KW, SH, SW, DH, DW });
  const OH = Math.floor((H + PT + PB - DH * (KH - 1) - 1) / SH) + 1;
  const OW = Math.floor((W + PL + PR - DW * (KW - 1) - 1) / SW) + 1;
  if (OH < 1 || OW < 1) {
    fail(op, `an output of at least 1x1 (kernel ${KH}x${KW}, dilation ${DH}x${DW}, padding [${PT}, ${PB}, ${PL}, ${PR}], stride ${SH}x${SW})`,
      xName, `${formatShapeOf(xs)}, which gives ${OH}x${OW}`);
  }
  return { N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PB, PL, PR, DH, DW, G };
}

/**
 * Runs conv2d_act_forward (act code, -1: none) through w's filter cache when `cache` is one for
 * these tensors on this backend (src/backend/prepared.ts); false: the caller launches the kernel.
 */
export function launchPrepared(be: Backend<any>, cache: FilterCache | null | undefined, x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: ConvGeometry, act: number, alpha: number): boolean {
  const fc = be.filterCaches;
  if (!cache || !fc || !cache.matches(be, w, b) || !be.supports('conv2d_act_forward')) return false;
  const p = packGeometry('conv2d_act_forward', { ...g, act });
  fc.conv2dAct(cache.handle, x.storage, w.storage, b ? b.storage : null, y.storage, p, alpha);
  return true;
}

/** y = conv2d(x, w) + b; `cache`: w's filter cache for repeated inference (src/backend/prepared.ts). */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, attrs?: Conv2dAttrs, cache?: FilterCache | null): Tensor {
  const op = 'conv2d';
  rankArg(op, 'x', x, 4, 'input');
  rankArg(op, 'w', w, 4);
  const g = convGeometry(op, x.shape, 'x', w.shape, 'w', attrs);
  if (b !== null && b !== undefined) shapeArg(op, 'b', b, [g.OC]);
  const be = commonBackend(op, { x, w, b });
  const y = empty([g.N, g.OC, g.OH, g.OW], be);
  if (!launchPrepared(be, cache, x, w, b ?? null, y, g, -1, 0)) launch(op, 'conv2d_forward', be, [x, w, b ?? null, y], convParams(g));
  return y;
}

/** dx of conv2d given dy [N, OC, OH, OW], for an input of shape xShape. */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, xShape: readonly number[], attrs?: Conv2dAttrs): Tensor {
  const op = 'conv2dBackwardInput';
  const xs = shapeValue(op, 'xShape', xShape, 4);
  rankArg(op, 'w', w, 4);
  const g = convGeometry(op, xs, 'xShape', w.shape, 'w', attrs);
  shapeArg(op, 'dy', dy, [g.N, g.OC, g.OH, g.OW]);
  const be = commonBackend(op, { dy, w });
  const dx = empty(xs, be);
  launch(op, 'conv2d_backward_input', be, [dy, w, dx], convParams(g));
  return dx;
}

/** dw (and db when withBias) of conv2d given x and dy, for a weight of shape wShape. */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, wShape: readonly number[], attrs?: Conv2dAttrs, withBias = false): { dw: Tensor; db: Tensor | null } {
  const op = 'conv2dBackwardFilter';
  rankArg(op, 'x', x, 4, 'input');
  const ws = shapeValue(op, 'wShape', wShape, 4);
  const g = convGeometry(op, x.shape, 'x', ws, 'wShape', attrs);
  shapeArg(op, 'dy', dy, [g.N, g.OC, g.OH, g.OW]);
  const be = commonBackend(op, { x, dy });
  const dw = empty(ws, be);
  const db = withBias ? empty([g.OC], be) : null;
  launch(op, 'conv2d_backward_filter', be, [x, dy, dw, db], convParams(g));
  return { dw, db };
}

export type { Pads };
