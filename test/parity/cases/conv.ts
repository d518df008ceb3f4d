/**
 * Parity cases for the three conv kernels (forward with and without bias, backward input,
 * backward filter with and without bias) and the transposed conv built on them. Channel counts
 * around SIMD widths (1, 3, 4, 5, 8, 17), odd spatial sizes, stride 2, groups, depthwise (with
 * and without a channel multiplier), asymmetric padding, dilation, 1x1, batch 1 and 3, and 3x3
 * stride-1 layers wide enough for the Winograd path of the C++ kernels.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

interface ConvShape {
  name: string;
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number;
  attrs: ops.Conv2dAttrs;
  bias?: boolean;
}

const SHAPES: ConvShape[] = [
  { name: '1ch 3x3', N: 1, C: 1, H: 5, W: 5, OC: 1, KH: 3, KW: 3, attrs: {}, bias: true },
  { name: '3->4 3x3 pad1 batch3 odd', N: 3, C: 3, H: 7, W: 9, OC: 4, KH: 3, KW: 3, attrs: { padding: 1 }, bias: true },
  { name: '4->8 3x3 stride2 pad1', N: 1, C: 4, H: 9, W: 9, OC: 8, KH: 3, KW: 3, attrs: { stride: 2, padding: 1 } },
  { name: '5->3 1x1 batch2', N: 2, C: 5, H: 6, W: 5, OC: 3, KH: 1, KW: 1, attrs: {}, bias: true },
  { name: '8->16 1x1 stride2', N: 1, C: 8, H: 7, W: 7, OC: 16, KH: 1, KW: 1, attrs: { stride: 2 } },
  { name: '17->5 3x3 asymmetric pad', N: 1, C: 17, H: 8, W: 7, OC: 5, KH: 3, KW: 3, attrs: { padding: [0, 1, 2, 1] }, bias: true },
  { name: '4->6 groups2 3x3 pad1', N: 2, C: 4, H: 6, W: 7, OC: 6, KH: 3, KW: 3, attrs: { groups: 2, padding: 1 }, bias: true },
  { name: '15->9 groups3 3x3 stride2', N: 1, C: 15, H: 9, W: 8, OC: 9, KH: 3, KW: 3, attrs: { groups: 3, stride: 2, padding: 1 } },
  { name: 'depthwise 8 3x3 pad1 batch2', N: 2, C: 8, H: 9, W: 9, OC: 8, KH: 3, KW: 3, attrs: { groups: 8, padding: 1 }, bias: true },
  { name: 'depthwise 17 3x3 stride2 pad1', N: 1, C: 17, H: 11, W: 10, OC: 17, KH: 3, KW: 3, attrs: { groups: 17, stride: 2, padding: 1 } },
  { name: 'depthwise 3 5x5 pad2 batch3', N: 3, C: 3, H: 7, W: 6, OC: 3, KH: 5, KW: 5, attrs: { groups: 3, padding: 2 }, bias: true },
  { name: 'depthwise multiplier 4->8', N: 1, C: 4, H: 6, W: 6, OC: 8, KH: 3, KW: 3, attrs: { groups: 4, padding: [1, 0, 0, 1] } },
  { name: 'dilation2 3->4 pad2', N: 1, C: 3, H: 9, W: 9, OC: 4, KH: 3, KW: 3, attrs: { dilation: 2, padding: 2 }, bias: true },
  { name: 'dilation[2,1] stride[1,2] 5x3 kernel', N: 2, C: 5, H: 11, W: 9, OC: 4, KH: 5, KW: 3, attrs: { dilation: [2, 1], stride: [1, 2], padding: [2, 3, 1, 0] } },
  { name: '7x7 stride2 pad3 stem', N: 1, C: 3, H: 16, W: 15, OC: 8, KH: 7, KW: 7, attrs: { stride: 2, padding: 3 }, bias: true },
  { name: '32->24 1x1 tile edges', N: 1, C: 32, H: 8, W: 9, OC: 24, KH: 1, KW: 1, attrs: {} },
  { name: '16->17 3x3 13x13', N: 1, C: 16, H: 13, W: 13, OC: 17, KH: 3, KW: 3, attrs: { padding: 1 }, bias: true },
  { name: '3->5 5x5 stride3 pad2 batch3', N: 3, C: 3, H: 11, W: 11, OC: 5, KH: 5, KW: 5, attrs: { stride: 3, padding: 2 } },
  { name: '1x1 input 3x3 pad1', N: 1, C: 4, H: 1, W: 1, OC: 5, KH: 3, KW: 3, attrs: { padding: 1 }, bias: true },
  { name: '32->32 3x3 pad1 batch2 20x19 (threaded)', N: 2, C: 32, H: 20, W: 19, OC: 32, KH: 3, KW: 3, attrs: { padding: 1 }, bias: true },
  { name: 'depthwise 32 3x3 stride2 pad1 batch3 (threaded)', N: 3, C: 32, H: 21, W: 21, OC: 32, KH: 3, KW: 3, attrs: { groups: 32, stride: 2, padding: 1 } },
  { name: 'SAME stride2 even input', N: 1, C: 5, H: 8, W: 6, OC: 3, KH: 3, KW: 3, attrs: { stride: 2, padding: 'SAME' } },
  // small maps with many channels at batch 1-2: output channels split across threads
  { name: '96->128 3x3 pad1 6x6 batch1 (channel split)', N: 1, C: 96, H: 6, W: 6, OC: 128, KH: 3, KW: 3, attrs: { padding: 1 }, bias: true },
  { name: '128->96 1x1 5x5 batch1 (channel split)', N: 1, C: 128, H: 5, W: 5, OC: 96, KH: 1, KW: 1, attrs: {} },
  { name: '64->80 1x1 stride2 batch2 (channel split)', N: 2, C: 64, H: 7, W: 7, OC: 80, KH: 1, KW: 1, attrs: { stride: 2 }, bias: true },
  // depthwise 3x3 with padding 1 read straight from x in the C++ kernels: stride 1 on rows of 64
  // and more, stride 2 on any row (vector blocks, an overlapping last block, scalar edges;
  // extra bottom/right padding; a row just wide enough for one block)
  { name: 'depthwise 5 3x3 pad1 3x70 batch2 (direct rows)', N: 2, C: 5, H: 3, W: 70, OC: 5, KH: 3, KW: 3, attrs: { groups: 5, padding: 1 }, bias: true },
  { name: 'depthwise 6 3x3 stride2 pad [1,2,1,2] 5x33 (direct rows)', N: 1, C: 6, H: 5, W: 33, OC: 6, KH: 3, KW: 3, attrs: { groups: 6, stride: 2, padding: [1, 2, 1, 2] }, bias: true },
  { name: 'depthwise 3 3x3 stride2 pad1 4x18 (direct rows)', N: 1, C: 3, H: 4, W: 18, OC: 3, KH: 3, KW: 3, attrs: { groups: 3, stride: 2, padding: 1 } },
  // stride 1 on rows under 64 with padding 1 on every side: with AVX2 / AVX-512, the whole plane as
  // one run of vectors with masked taps (blocks across row ends, a partial last block, inner blocks
  // read unmasked, one-row and one-column planes); otherwise the padded plane's outputs stored row
  // by row, 8 lanes at a time (the last block of a row overlapping), odd widths and heights
  { name: 'depthwise 7 3x3 pad1 5x19 batch2 (flat rows)', N: 2, C: 7, H: 5, W: 19, OC: 7, KH: 3, KW: 3, attrs: { groups: 7, padding: 1 }, bias: true },
  { name: 'depthwise multiplier 2->4 3x3 pad1 3x40 (flat rows)', N: 1, C: 2, H: 3, W: 40, OC: 4, KH: 3, KW: 3, attrs: { groups: 2, padding: 1 } },
  { name: 'depthwise 9 3x3 pad1 13x21 batch2 (masked run)', N: 2, C: 9, H: 13, W: 21, OC: 9, KH: 3, KW: 3, attrs: { groups: 9, padding: 1 }, bias: true },
  { name: 'depthwise 6 3x3 pad1 20x20 (masked run, whole blocks)', N: 1, C: 6, H: 20, W: 20, OC: 6, KH: 3, KW: 3, attrs: { groups: 6, padding: 1 } },
  { name: 'depthwise 4 3x3 pad1 1x30 (masked run, one row)', N: 1, C: 4, H: 1, W: 30, OC: 4, KH: 3, KW: 3, attrs: { groups: 4, padding: 1 }, bias: true },
  { name: 'depthwise 4 3x3 pad1 30x1 (masked run, one column)', N: 1, C: 4, H: 30, W: 1, OC: 4, KH: 3, KW: 3, attrs: { groups: 4, padding: 1 }, bias: true },
  { name: 'depthwise multiplier 3->6 3x3 pad1 10x63 (masked run)', N: 1, C: 3, H: 10, W: 63, OC: 6, KH: 3, KW: 3, attrs: { groups: 3, padding: 1 } },
  // the stem path of the C++ kernels: 3x3 stride 2 padding 1, at most 4 input channels, 32x32
  // outputs or more (output channels not a multiple of its 4; extra bottom/right padding)
  { name: 'stem 3->5 3x3 stride2 pad1 66x70', N: 1, C: 3, H: 66, W: 70, OC: 5, KH: 3, KW: 3, attrs: { stride: 2, padding: 1 }, bias: true },
  { name: 'stem 1->4 3x3 stride2 pad [1,2,1,2] 63x64 batch2', N: 2, C: 1, H: 63, W: 64, OC: 4, KH: 3, KW: 3, attrs: { stride: 2, padding: [1, 2, 1, 2] } },
  // 3x3 stride 1 with 64+ channels: Winograd F(2x2, 3x3) in the C++ kernels (odd sizes: partial tiles)
  { name: '64->70 3x3 asymmetric pad 7x9 batch2 (Winograd)', N: 2, C: 64, H: 7, W: 9, OC: 70, KH: 3, KW: 3, attrs: { padding: [0, 2, 1, 1] }, bias: true },
];

function convCase(s: ConvShape): ParityCase {
  const G = s.attrs.groups ?? 1;
  const [SH, SW] = typeof s.attrs.stride === 'number' ? [s.attrs.stride, s.attrs.stride] : s.attrs.stride ?? [1, 1];
  const y = ops.convGeometry('case', [s.N, s.C, s.H, s.W], 'x', [s.OC, s.C / G, s.KH, s.KW], 'w', s.attrs);
  const kArea = s.KH * s.KW;
  return {
    name: `conv2d ${s.name}`,
    inputs: {
      x: [s.N, s.C, s.H, s.W],
      w: [s.OC, s.C / G, s.KH, s.KW],
      ...(s.bias ? { b: [s.OC] } : {}),
      dy: [s.N, s.OC, y.OH, y.OW],
    },
    run: (t) => {
      const out = ops.conv2d(t.x, t.w, t.b ?? null, s.attrs);
      const dx = ops.conv2dBackwardInput(t.dy, t.w, t.x.shape, s.attrs);
      const { dw, db } = ops.conv2dBackwardFilter(t.x, t.dy, t.w.shape, s.attrs, !!s.bias);
      return { y: out, dx, dw, db };
    },
    reduce: { y: (s.C / G) * kArea, dx: (s.OC / G) * Math.ceil(kArea / (SH * SW)), dw: s.N * y.OH * y.OW, db: s.N * y.OH * y.OW },
    kernels: ['conv2d_forward', 'conv2d_backward_input', 'conv2d_backward_filter'],
  };
}

interface TransposeShape {
  name: string;
  N: number; CIN: number; H: number; W: number; COUT: number; KH: number; KW: number;
  attrs: ops.Conv2dTransposeAttrs;
  bias?: boolean;
}

const TRANSPOSE: TransposeShape[] = [
  { name: '4->3 k4 s2 p1 (2x upsampling)', N: 1, CIN: 4, H: 5, W: 6, COUT: 3, KH: 4, KW: 4, attrs: { stride: 2, padding: 1 }, bias: true },
  { name: '8->8 groups2 k3 s2 p1 outputPadding1 batch3', N: 3, CIN: 8, H: 4, W: 3, COUT: 8, KH: 3, KW: 3, attrs: { stride: 2, padding: 1, groups: 2, outputPadding: 1 } },
  { name: '5->17 k3 s1 asymmetric', N: 2, CIN: 5, H: 5, W: 7, COUT: 17, KH: 3, KW: 3, attrs: { padding: [0, 1, 2, 0] }, bias: true },
  { name: 'depthwise 17 k2 s2', N: 1, CIN: 17, H: 3, W: 5, COUT: 17, KH: 2, KW: 2, attrs: { stride: 2, groups: 17 } },
];

function transposeCase(s: TransposeShape): ParityCase {
  const G = s.attrs.groups ?? 1;
  const g = ops.transposeGeometry('case', [s.N, s.CIN, s.H, s.W], 'x', [s.CIN, s.COUT / G, s.KH, s.KW], 'w', s.attrs);
  return {
    name: `conv2dTranspose ${s.name}`,
    inputs: {
      x: [s.N, s.CIN, s.H, s.W],
      w: [s.CIN, s.COUT / G, s.KH, s.KW],
      ...(s.bias ? { b: [s.COUT] } : {}),
      dy: [s.N, s.COUT, g.H, g.W],
    },
    run: (t) => {
      const y = ops.conv2dTranspose(t.x, t.w, t.b ?? null, s.attrs);
      const dx = ops.conv2dTransposeBackwardInput(t.dy, t.w, t.x.shape, s.attrs);
      const { dw, db } = ops.conv2dTransposeBackwardFilter(t.x, t.dy, t.w.shape, s.attrs, !!s.bias);
      return { y, dx, dw, db };
    },
    reduce: { y: (s.CIN / G) * s.KH * s.KW, dx: (s.COUT / G) * s.KH * s.KW, dw: s.N * s.H * s.W, db: s.N * g.H * g.W },
    kernels: ['conv2d_forward', 'conv2d_backward_input', 'conv2d_backward_filter'],
  };
}

export const CONV_CASES: ParityCase[] = [...SHAPES.map(convCase), ...TRANSPOSE.map(transposeCase)];
