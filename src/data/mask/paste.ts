/**
 * pasteMask: a mask head's M x M probabilities for one detection -> that detection's mask in
 * the whole image, as PaddleDetection's mask post-processing makes it. The M x M grid covers
 * the box; a border of one zero cell is added on each side (M + 2 cells) and the box widened
 * about its centre by (M + 2) / M to match, so the mask can fade out at the box's edge. The
 * widened box is cut to whole pixels (toward zero, as an int32 cast), the padded grid resized
 * bilinearly to it (OpenCV's pixel-centre convention, edges replicated), thresholded, and
 * the part inside the image written out.
 */
import { MaskError } from './rle';

/**
 * Mask (0/1, row-major imH x imW) of one detection. box = [x1, y1, x2, y2] in image pixels
 * (x2, y2 inclusive, the +1 convention of the boxes); mask = M x M probabilities, row-major.
 */
export function pasteMask(mask: ArrayLike<number>, box: readonly number[], imH: number, imW: number, thresh = 0.5): Uint8Array {
  const M = Math.round(Math.sqrt(mask.length));
  if (M < 1 || M * M !== mask.length) throw new MaskError(`pasteMask: expected an M x M mask, got ${mask.length} values`);
  if (box.length !== 4 || !box.every((v) => Number.isFinite(v))) throw new MaskError(`pasteMask: expected box [x1, y1, x2, y2] of 4 finite numbers, got ${JSON.stringify(box)}`);
  if (!Number.isInteger(imH) || !Number.isInteger(imW) || imH < 1 || imW < 1) throw new MaskError(`pasteMask: expected an image size of whole numbers >= 1, got ${imH} x ${imW}`);
  const P = M + 2;
  const padded = new Float32Array(P * P);
  for (let y = 0; y < M; y++) for (let x = 0; x < M; x++) padded[(y + 1) * P + x + 1] = mask[y * M + x];
  const scale = P / M;
  const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
  const hw = ((box[2] - box[0]) / 2) * scale, hh = ((box[3] - box[1]) / 2) * scale;
  const x0 = Math.trunc(cx - hw), y0 = Math.trunc(cy - hh), x1 = Math.trunc(cx + hw), y1 = Math.trunc(cy + hh);
  const w = Math.max(x1 - x0 + 1, 1), h = Math.max(y1 - y0 + 1, 1);
  const out = new Uint8Array(imH * imW);
  const xs = taps(w, P), ys = taps(h, P);
  const ox0 = Math.min(Math.max(x0, 0), imW), ox1 = Math.min(Math.max(x1 + 1, 0), imW);
  const oy0 = Math.min(Math.max(y0, 0), imH), oy1 = Math.min(Math.max(y1 + 1, 0), imH);
  for (let Y = oy0; Y < oy1; Y++) {
    const ry = Y - y0;
    const r0 = ys.i[ry] * P, r1 = Math.min(ys.i[ry] + 1, P - 1) * P, fy = ys.f[ry];
    for (let X = ox0; X < ox1; X++) {
      const rx = X - x0;
      const c0 = xs.i[rx], c1 = Math.min(xs.i[rx] + 1, P - 1), fx = xs.f[rx];
      const top = padded[r0 + c0] * (1 - fx) + padded[r0 + c1] * fx;
      const bot = padded[r1 + c0] * (1 - fx) + padded[r1 + c1] * fx;
      if (top * (1 - fy) + bot * fy > thresh) out[Y * imW + X] = 1;
    }
  }
  return out;
}

/** Source cell and weight of the next one for each of n outputs from src cells (linear). */
function taps(n: number, src: number): { i: Int32Array; f: Float32Array } {
  const i = new Int32Array(n);
  const f = new Float32Array(n);
  const k = src / n;
  for (let d = 0; d < n; d++) {
    const s = (d + 0.5) * k - 0.5;
    let s0 = Math.floor(s);
    let fr = s - s0;
    if (s0 < 0) {
      s0 = 0;
      fr = 0;
    } else if (s0 >= src - 1) {
      s0 = src - 1;
      fr = 0;
    }
    i[d] = s0;
    f[d] = fr;
  }
  return { i, f };
}
