/**
 * Image resizing with OpenCV's `cv2.resize` conventions, which the reference transforms use:
 * output size round(src * f), sampling positions (dst + 0.5) / f - 0.5 with edge pixels
 * replicated, and the five interpolations RandomShape picks from:
 *   0 nearest   src = floor(dst / f)
 *   1 linear    2 taps
 *   2 cubic     4 taps, a = -0.75
 *   3 area      box average over the covered source area when shrinking (both axes), else
 *               OpenCV's area-upscale bilinear weights
 *   4 lanczos4  8 taps
 * Separable: rows then columns, float32 sums. uint8 images are rounded and
 * saturated at the end (OpenCV uses fixed-point for some of these; results agree within 1).
 */
import type { Img } from './types';
import { requireHwc, saturateU8 } from './image';

export const INTER = { nearest: 0, linear: 1, cubic: 2, area: 3, lanczos4: 4 } as const;

interface Taps {
  k: number;
  idx: Int32Array;
  w: Float64Array;
}

const clampI = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);

function cubicWeights(t: number, out: number[]): void {
  const A = -0.75;
  const x0 = t + 1;
  out[0] = ((A * (x0 - 5) * x0 + 8 * A) * x0 - 4 * A);
  const x1 = t;
  out[1] = ((A + 2) * x1 - (A + 3)) * x1 * x1 + 1;
  const x2 = 1 - t;
  out[2] = ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1;
  out[3] = 1 - out[0] - out[1] - out[2];
}

function lanczos4Weights(t: number, out: number[]): void {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const x = Math.PI * (t + 3 - i);
    const v = Math.abs(x) < 1e-9 ? 1 : (4 * Math.sin(x) * Math.sin(x / 4)) / (x * x);
    out[i] = v;
    sum += v;
  }
  for (let i = 0; i < 8; i++) out[i] /= sum;
}

/** Per-output taps along one axis; `f` is dst/src (OpenCV's fx). */
function axisTaps(src: number, dst: number, f: number, interp: number, area: boolean): Taps {
  const scale = 1 / f;
  if (interp === INTER.nearest) {
    const idx = new Int32Array(dst);
    for (let d = 0; d < dst; d++) idx[d] = Math.min(Math.floor(d * scale), src - 1);
    return { k: 1, idx, w: new Float64Array(dst).fill(1) };
  }
  if (interp === INTER.area && area) {
    const k = Math.ceil(scale) + 1;
    const idx = new Int32Array(dst * k);
    const w = new Float64Array(dst * k);
    for (let d = 0; d < dst; d++) {
      const a = d * scale;
      const b = Math.min((d + 1) * scale, src);
      let j = 0;
      for (let s = Math.floor(a); s < b && j < k; s++, j++) {
        const cover = Math.min(b, s + 1) - Math.max(a, s);
        idx[d * k + j] = clampI(s, src);
        w[d * k + j] = cover / (b - a);
      }
      for (; j < k; j++) idx[d * k + j] = clampI(Math.floor(a), src);
    }
    return { k, idx, w };
  }
  const k = interp === INTER.cubic ? 4 : interp === INTER.lanczos4 ? 8 : 2;
  const idx = new Int32Array(dst * k);
  const w = new Float64Array(dst * k);
  const tmp = new Array<number>(8).fill(0);
  for (let d = 0; d < dst; d++) {
    let s: number;
    let t: number;
    if (interp === INTER.area) {
      s = Math.floor(d * scale);
      t = d + 1 - (s + 1) * f;
      t = t <= 0 ? 0 : t - Math.floor(t);
    } else {
      const x = (d + 0.5) * scale - 0.5;
      s = Math.floor(x);
      t = x - s;
    }
    if (k === 2) {
      if (s < 0) {
        s = 0;
        t = 0;
      }
      if (s >= src - 1) {
        s = src - 1;
        t = 0;
      }
      tmp[0] = 1 - t;
      tmp[1] = t;
    } else if (k === 4) cubicWeights(t, tmp);
    else lanczos4Weights(t, tmp);
    const first = s - (k / 2 - 1);
    for (let j = 0; j < k; j++) {
      idx[d * k + j] = clampI(first + j, src);
      w[d * k + j] = tmp[j];
    }
  }
  return { k, idx, w };
}

/**
 * Resizes an HWC image by factors fx, fy (output round(w * fx) x round(h * fy)), or to an
 * exact size when `size` is given (factors then size/src, as cv2.resize with dsize).
 */
export function resizeImage(img: Img, fx: number, fy: number, interp: number, size?: { w: number; h: number }): Img {
  requireHwc(img, 'resize');
  if (!(interp >= 0 && interp <= 4)) throw new Error(`resize: expected interpolation 0..4 (nearest, linear, cubic, area, lanczos4), got ${interp}`);
  const ow = size ? size.w : Math.round(img.w * fx);
  const oh = size ? size.h : Math.round(img.h * fy);
  if (size) {
    fx = ow / img.w;
    fy = oh / img.h;
  }
  if (ow < 1 || oh < 1) throw new Error(`resize: output size ${ow}x${oh} from ${img.w}x${img.h} is empty`);
  const c = img.c;
  const area = fx <= 1 && fy <= 1;
  const tx = axisTaps(img.w, ow, fx, interp, area);
  const ty = axisTaps(img.h, oh, fy, interp, area);
  const src = img.data;
  if (interp === INTER.nearest) {
    // Straight copies: no arithmetic, and uint8 values stay exact.
    const out = new Float32Array(oh * ow * c);
    for (let y = 0; y < oh; y++) {
      const r = ty.idx[y] * img.w * c;
      const o = y * ow * c;
      for (let x = 0; x < ow; x++) {
        const si = r + tx.idx[x] * c;
        for (let ch = 0; ch < c; ch++) out[o + x * c + ch] = src[si + ch];
      }
    }
    return { data: out, h: oh, w: ow, c, chw: false, uint8: img.uint8 };
  }
  // Rows first (src h x ow), taps outermost so the inner loop is a plain multiply-add.
  const mid = new Float32Array(img.h * ow * c);
  const k = tx.k;
  for (let y = 0; y < img.h; y++) {
    const rowIn = y * img.w * c;
    const rowOut = y * ow * c;
    for (let x = 0; x < ow; x++) {
      const o = rowOut + x * c;
      for (let j = 0; j < k; j++) {
        const wt = tx.w[x * k + j];
        if (wt === 0) continue;
        const si = rowIn + tx.idx[x * k + j] * c;
        for (let ch = 0; ch < c; ch++) mid[o + ch] += wt * src[si + ch];
      }
    }
  }
  const out = new Float32Array(oh * ow * c);
  const rowLen = ow * c;
  for (let y = 0; y < oh; y++) {
    const o = y * rowLen;
    for (let j = 0; j < ty.k; j++) {
      const wt = ty.w[y * ty.k + j];
      if (wt === 0) continue;
      const r = ty.idx[y * ty.k + j] * rowLen;
      for (let i = 0; i < rowLen; i++) out[o + i] += wt * mid[r + i];
    }
  }
  if (img.uint8) for (let i = 0; i < out.length; i++) out[i] = saturateU8(out[i]);
  return { data: out, h: oh, w: ow, c, chw: false, uint8: img.uint8 };
}
