/**
 * 2-D grouped convolution, NCHW, forward and both gradients.
 *
 *   x [N, C, H, W], w [OC, C/G, KH, KW], b [OC] (optional), y [N, OC, OH, OW]
 *   y[n, oc, oh, ow] = b[oc] + sum_{c', kh, kw} x[n, g*Cg + c', oh*SH - PT + kh*DH, ow*SW - PL + kw*DW] * w[oc, c', kh, kw]
 * with g = oc / OCg (Cg = C/G input and OCg = OC/G output channels per group). Taps outside
 * the image read zero and form no product here; backends that multiply a zero-padded copy
 * instead give NaN where such a zero meets an Inf or NaN (weight, or dy in the gradients), and
 * the contract allows either (test/parity/ieee.ts). OH and OW are given, not derived, so any bottom/right padding
 * (including asymmetric or ceil-mode padding) is implied by them.
 * p = CONV_GEOM = [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G].
 *
 * The three kernels walk the same (n, oc, c', kh, kw, oh, ow) index space; only which of x, w,
 * y is read and which is written changes. All outputs are overwritten.
 */
import type { F64, Geom } from './types';
// Bound once: global lookups are slow inside vm contexts (the test environment).
const { floor } = Math;

interface Conv {
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number; OH: number; OW: number;
  SH: number; SW: number; PT: number; PL: number; DH: number; DW: number; G: number; Cg: number; OCg: number;
}

function geom(p: Geom): Conv {
  const [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = Array.from(p);
  return { N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G, Cg: C / G, OCg: OC / G };
}

/**
 * Calls f(xi, wi, yi) for every in-bounds (input element, weight, output element) triple of the
 * convolution; the three kernels differ only in f.
 */
function forEachTap(g: Conv, f: (xi: number, wi: number, yi: number) => void): void {
  const { N, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, Cg, OCg, C } = g;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const c0 = floor(oc / OCg) * Cg;
      const yBase = (n * OC + oc) * OH * OW;
      for (let ci = 0; ci < Cg; ci++) {
        const xBase = (n * C + c0 + ci) * H * W;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wi = ((oc * Cg + ci) * KH + kh) * KW + kw;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - PT + kh * DH;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * SW - PL + kw * DW;
                if (iw < 0 || iw >= W) continue;
                f(xBase + ih * W + iw, wi, yBase + oh * OW + ow);
              }
            }
          }
        }
      }
    }
  }
}

/** y = conv(x, w) + b. y overwritten. */
export function conv2d_forward(x: F64, w: F64, b: F64 | null, y: F64, p: Geom): void {
  const g = geom(p);
  const plane = g.OH * g.OW;
  for (let n = 0; n < g.N; n++) {
    for (let oc = 0; oc < g.OC; oc++) y.fill(b ? b[oc] : 0, (n * g.OC + oc) * plane, (n * g.OC + oc + 1) * plane);
  }
  forEachTap(g, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
}

/** dx[n, c, ih, iw] = sum over the taps that read it of dy * w. dx overwritten. */
export function conv2d_backward_input(dy: F64, w: F64, dx: F64, p: Geom): void {
  const g = geom(p);
  dx.fill(0, 0, g.N * g.C * g.H * g.W);
  forEachTap(g, (xi, wi, yi) => {
    dx[xi] += dy[yi] * w[wi];
  });
}

/** dw[oc, c', kh, kw] = sum dy * x over n, oh, ow; db[oc] = sum dy over n, oh, ow (when db is given). Overwritten. */
export function conv2d_backward_filter(x: F64, dy: F64, dw: F64, db: F64 | null, p: Geom): void {
  const g = geom(p);
  dw.fill(0, 0, g.OC * g.Cg * g.KH * g.KW);
  forEachTap(g, (xi, wi, yi) => {
    dw[wi] += dy[yi] * x[xi];
  });
  if (db) {
    const plane = g.OH * g.OW;
    for (let oc = 0; oc < g.OC; oc++) {
      let s = 0;
      for (let n = 0; n < g.N; n++) {
        const base = (n * g.OC + oc) * plane;
        for (let i = 0; i < plane; i++) s += dy[base + i];
      }
      db[oc] = s;
    }
  }
}
