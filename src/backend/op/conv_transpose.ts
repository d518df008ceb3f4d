/**
 * Transposed 2-D convolution (Paddle's conv2d_transpose), built from the conv kernels:
 * x [N, C_in, H, W], w [C_in, C_out/groups, KH, KW] (Paddle's layout), y [N, C_out, OH, OW] with
 *
 *     OH = (H - 1)*sh - pt - pb + dh*(KH-1) + 1 + output_padding_h
 *
 * Its forward pass is conv2d's backward-input pass with the roles swapped: y is the "input"
 * (C = C_out channels, OH x OW) of a conv whose "output" is x (OC = C_in channels, H x W) and
 * whose weight [OC, C/groups, KH, KW] = [C_in, C_out/groups, KH, KW] is w as stored. So
 *     forward          = conv2d_backward_input(dy := x)
 *     backward input   = conv2d_forward(x := dy)
 *     backward filter  = conv2d_backward_filter(x := dy, dy := x)
 * output_padding (< stride) adds rows/columns at the bottom/right that only the bias reaches.
 */
import type { Tensor } from '../tensor';
import { convParams, groupsArg, nonEmpty, type Conv2dAttrs, type ConvGeometry } from './conv';
import {
  attrsArg, commonBackend, empty, fail, formatShapeOf, isInt, launch, OpArgumentError, packGeometry, pairArg, pattern,
  rankArg, shapeArg, shapeValue, show,
} from './check';
import { sumPerChannel } from './reduce';

export interface Conv2dTransposeAttrs extends Conv2dAttrs {
  /** extra output rows/columns at the bottom/right, each < the stride; default 0 */
  outputPadding?: number | [number, number];
  /** alternatively the output size [OH, OW], within [base, base + stride) */
  outputSize?: [number, number];
}

function transposePads(op: string, v: unknown): [number, number, number, number] {
  if (v === undefined) return [0, 0, 0, 0];
  const ok = (x: unknown) => isInt(x) && x >= 0;
  if (ok(v)) return [v as number, v as number, v as number, v as number];
  if (Array.isArray(v) && v.every(ok)) {
    if (v.length === 2) return [v[0], v[0], v[1], v[1]];
    if (v.length === 4) return [v[0], v[1], v[2], v[3]];
  }
  fail(op, 'a non-negative integer, [ph, pw] or [pt, pb, pl, pr]', 'padding', show(v));
}

/**
 * The conv geometry (in conv2d's terms: C = C_out, H x W = the transposed output, OC = C_in,
 * OH x OW = x's spatial size) of a transposed conv of x shape xs and w shape ws.
 */
export function transposeGeometry(op: string, xs: readonly number[], xName: string, ws: readonly number[], wName: string, attrsIn: Conv2dTransposeAttrs | undefined): ConvGeometry {
  const attrs = attrsArg(op, attrsIn);
  nonEmpty(op, xName, xs, 'input');
  if (ws.length !== 4) fail(op, '4-D tensor [C_in, C_out/groups, KH, KW]', wName, formatShapeOf(ws));
  nonEmpty(op, wName, ws);
  const [N, CIN, H, W] = xs;
  const [WC, COG, KH, KW] = ws;
  const G = groupsArg(op, attrs.groups);
  if (WC !== CIN) {
    throw new OpArgumentError(`${op}: expected ${wName} of shape [C_in, C_out/groups, KH, KW] = ${pattern([CIN, undefined, undefined, undefined])}, got ${formatShapeOf(ws)}`);
  }
  if (CIN % G !== 0) fail(op, `a divisor of the input channels C_in = ${CIN}`, 'groups', String(G));
  const [SH, SW] = pairArg(op, 'stride', attrs.stride, 1);
  const [DH, DW] = pairArg(op, 'dilation', attrs.dilation, 1);
  const [PT, PB, PL, PR] = transposePads(op, attrs.padding);
  const baseH = (H - 1) * SH - PT - PB + DH * (KH - 1) + 1;
  const baseW = (W - 1) * SW - PL - PR + DW * (KW - 1) + 1;
  let [OPH, OPW] = [0, 0];
  if (attrs.outputSize !== undefined) {
    if (attrs.outputPadding !== undefined) fail(op, 'either outputSize or outputPadding, not both', 'outputSize', show(attrs.outputSize));
    const [oh, ow] = pairArg(op, 'outputSize', attrs.outputSize, 1);
    [OPH, OPW] = [oh - baseH, ow - baseW];
    if (OPH < 0 || OPH >= SH || OPW < 0 || OPW >= SW) {
      fail(op, `an output size in [${baseH}, ${baseH + SH}) x [${baseW}, ${baseW + SW}]`, 'outputSize', show(attrs.outputSize));
    }
  } else {
    [OPH, OPW] = pairArg(op, 'outputPadding', attrs.outputPadding, 0, 0);
    if (OPH >= SH || OPW >= SW) fail(op, `values smaller than the stride [${SH}, ${SW}]`, 'outputPadding', show(attrs.outputPadding));
  }
  const OH = baseH + OPH;
  const OW = baseW + OPW;
  if (baseH < 1 || baseW < 1) {
    fail(op, `an output of at least 1x1 (kernel ${KH}x${KW}, dilation ${DH}x${DW}, padding [${PT}, ${PB}, ${PL}, ${PR}], stride ${SH}x${SW})`,
      xName, `${formatShapeOf(xs)}, which gives ${baseH}x${baseW}`);
  }
  // conv2d's view: input = the transposed output, output = x
  return { N, C: COG * G, H: OH, W: OW, OC: CIN, KH, KW, OH: H, OW: W, SH, SW, PT, PB, PL, PR, DH, DW, G };
}

/** y = conv2d_transpose(x, w) + b, b [C_out]. */
export function conv2dTranspose(x: Tensor, w: Tensor, b: Tensor | null, attrs?: Conv2dTransposeAttrs): Tensor {
  const op = 'conv2dTranspose';
  rankArg(op, 'x', x, 4, 'input');
  rankArg(op, 'w', w, 4);
  const g = transposeGeometry(op, x.shape, 'x', w.shape, 'w', attrs);
  if (b !== null && b !== undefined) shapeArg(op, 'b', b, [g.C]);
  const be = commonBackend(op, { x, w, b });
  const y = empty([g.N, g.C, g.H, g.W], be);
  launch(op, 'conv2d_backward_input', be, [x, w, y], convParams(g));
  if (!b) return y;
  const out = empty(y.shape, be);
  try {
    launch(op, 'binary_forward', be, [y, b, out], packGeometry('binary_forward', { outer: g.N, C: g.C, inner: g.H * g.W, op: 0, bmode: 1 }));
  } finally {
    y.dispose();
  }
  return out;
}

/** dx of conv2dTranspose given dy [N, C_out, OH, OW], for x of shape xShape. */
export function conv2dTransposeBackwardInput(dy: Tensor, w: Tensor, xShape: readonly number[], attrs?: Conv2dTransposeAttrs): Tensor {
  const op = 'conv2dTransposeBackwardInput';
  const xs = shapeValue(op, 'xShape', xShape, 4);
  rankArg(op, 'w', w, 4);
  const g = transposeGeometry(op, xs, 'xShape', w.shape, 'w', attrs);
  shapeArg(op, 'dy', dy, [g.N, g.C, g.H, g.W]);
  const be = commonBackend(op, { dy, w });
  const dx = empty(xs, be);
  launch(op, 'conv2d_forward', be, [dy, w, null, dx], convParams(g));
  return dx;
}

/** dw [C_in, C_out/groups, KH, KW] (and db [C_out] when withBias) of conv2dTranspose. */
export function conv2dTransposeBackwardFilter(x: Tensor, dy: Tensor, wShape: readonly number[], attrs?: Conv2dTransposeAttrs, withBias = false): { dw: Tensor; db: Tensor | null } {
  const op = 'conv2dTransposeBackwardFilter';
  rankArg(op, 'x', x, 4, 'input');
  const ws = shapeValue(op, 'wShape', wShape, 4);
  const g = transposeGeometry(op, x.shape, 'x', ws, 'wShape', attrs);
  shapeArg(op, 'dy', dy, [g.N, g.C, g.H, g.W]);
  const be = commonBackend(op, { x, dy });
  const dw = empty(ws, be);
  launch(op, 'conv2d_backward_filter', be, [dy, x, dw, null], convParams(g));
  const db = withBias ? sumPerChannel(op, be, dy, g.N, g.C, g.H * g.W) : null;
  return { dw, db };
}
