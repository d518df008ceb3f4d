/**
 * Where a convolution backend may legitimately give NaN although the reference does not: the
 * reference forms no product for a tap in the padding (or, for the input gradient, for a tap
 * that no output reaches), while a backend that convolves a zero-padded copy (im2col, a full
 * correlation over zero-extended dy) multiplies that zero, and 0 * Inf = 0 * NaN = NaN. The
 * contract (ieee.ts) allows both; this marks, per written element, whether such a zero meets a
 * non-finite operand. Other elements must match the reference as usual.
 */
import type { KernelName } from '../../src/backend/kernels';

const finite = Number.isFinite;

/** Per written buffer index (in the kernel's buffer order), the elements that may be NaN instead. */
export function paddingNaNMask(kernel: KernelName, bufs: Array<Float64Array | Int32Array | null>, p: readonly number[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (kernel === 'dwpw_act_forward') {
    // the depthwise half's mask, spread over every output channel of the 1x1 half at that position
    const half = paddingNaNMask('conv2d_forward', [bufs[0], bufs[1], bufs[2], null], p.slice(0, 16)).get(3)!;
    const [N, C, , , , , , OH, OW] = p, OC2 = p[17], P = OH * OW;
    const m = new Uint8Array(N * OC2 * P);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let q = 0; q < P; q++) if (half[(n * C + c) * P + q]) for (let o = 0; o < OC2; o++) m[(n * OC2 + o) * P + q] = 1;
    out.set(5, m);
    return out;
  }
  if (kernel !== 'conv2d_forward' && kernel !== 'conv2d_act_forward' && kernel !== 'conv2d_backward_input' && kernel !== 'conv2d_backward_filter') return out;
  const [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = p;
  const Cg = C / G, OCg = OC / G;
  const wAt = (oc: number, ci: number, kh: number, kw: number) => ((oc * Cg + ci) * KH + kh) * KW + kw;
  if (kernel === 'conv2d_forward' || kernel === 'conv2d_act_forward') {
    // y[n, oc, oh, ow]: some tap of the window in the padding faces a non-finite weight
    const w = bufs[1] as Float64Array;
    const m = new Uint8Array(N * OC * OH * OW);
    for (let oc = 0; oc < OC; oc++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let hit = false;
          for (let ci = 0; ci < Cg && !hit; ci++) {
            for (let kh = 0; kh < KH && !hit; kh++) {
              const ih = oh * SH - PT + kh * DH;
              for (let kw = 0; kw < KW && !hit; kw++) {
                const iw = ow * SW - PL + kw * DW;
                if ((ih < 0 || ih >= H || iw < 0 || iw >= W) && !finite(w[wAt(oc, ci, kh, kw)])) hit = true;
              }
            }
          }
          if (hit) for (let n = 0; n < N; n++) m[((n * OC + oc) * OH + oh) * OW + ow] = 1;
        }
      }
    }
    out.set(3, m);
  } else if (kernel === 'conv2d_backward_filter') {
    // dw[oc, ci, kh, kw]: some output whose tap (kh, kw) lies in the padding has a non-finite dy
    const dy = bufs[1] as Float64Array;
    const m = new Uint8Array(OC * Cg * KH * KW);
    for (let oc = 0; oc < OC; oc++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let hit = false;
          for (let n = 0; n < N && !hit; n++) {
            for (let oh = 0; oh < OH && !hit; oh++) {
              const ih = oh * SH - PT + kh * DH;
              for (let ow = 0; ow < OW && !hit; ow++) {
                const iw = ow * SW - PL + kw * DW;
                if ((ih < 0 || ih >= H || iw < 0 || iw >= W) && !finite(dy[((n * OC + oc) * OH + oh) * OW + ow])) hit = true;
              }
            }
          }
          if (hit) for (let ci = 0; ci < Cg; ci++) m[wAt(oc, ci, kh, kw)] = 1;
        }
      }
    }
    out.set(2, m);
  } else {
    // dx[n, c, ih, iw]: some tap (oc, kh, kw) of its channel does not land on a real output
    // (outside the output, or between strides) and has a non-finite weight
    const w = bufs[1] as Float64Array;
    const m = new Uint8Array(N * C * H * W);
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg), ci = c % Cg;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          let hit = false;
          for (let oc = g * OCg; oc < (g + 1) * OCg && !hit; oc++) {
            for (let kh = 0; kh < KH && !hit; kh++) {
              const th = ih + PT - kh * DH;
              const realH = th >= 0 && th % SH === 0 && th / SH < OH;
              for (let kw = 0; kw < KW && !hit; kw++) {
                const tw = iw + PL - kw * DW;
                const real = realH && tw >= 0 && tw % SW === 0 && tw / SW < OW;
                if (!real && !finite(w[wAt(oc, ci, kh, kw)])) hit = true;
              }
            }
          }
          if (hit) for (let n = 0; n < N; n++) m[((n * C + c) * H + ih) * W + iw] = 1;
        }
      }
    }
    out.set(2, m);
  }
  return out;
}
