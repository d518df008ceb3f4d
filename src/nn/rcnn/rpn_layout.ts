/**
 * Between the RPN convolutions' NCHW outputs and per-anchor rows.
 *
 * rpn_cls_logits is [A, H, W] per image and rpn_bbox_pred [4A, H, W]; the anchor generator
 * numbers anchors (h * W + w) * A + a. Value j (of k per anchor: 1 for scores, 4 for deltas)
 * of anchor (h, w, a) sits at channel a * k + j, i.e. offset ((a * k + j) * H + h) * W + w,
 * which is where Paddle's transpose to [H, W, A * k] reads it.
 */

/** Gathers rows: out[i * k + j] = value j of anchor indices[i]. nchw is one image, [A * k, H, W]. */
export function gatherAnchorValues(nchw: ArrayLike<number>, A: number, H: number, W: number, k: number, indices: ArrayLike<number>, out?: Float32Array | Float64Array): Float32Array | Float64Array {
  const n = indices.length;
  const dst = out ?? new Float32Array(n * k);
  const HW = H * W;
  for (let i = 0; i < n; i++) {
    const idx = indices[i];
    const a = idx % A;
    const pos = (idx - a) / A;
    for (let j = 0; j < k; j++) dst[i * k + j] = nchw[(a * k + j) * HW + pos];
  }
  return dst;
}

/** The adjoint of gatherAnchorValues: adds rows back into an NCHW gradient [A * k, H, W]. */
export function scatterAnchorGrads(rows: ArrayLike<number>, A: number, H: number, W: number, k: number, indices: ArrayLike<number>, nchwGrad: Float32Array | Float64Array): void {
  const HW = H * W;
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i];
    const a = idx % A;
    const pos = (idx - a) / A;
    for (let j = 0; j < k; j++) nchwGrad[(a * k + j) * HW + pos] += rows[i * k + j];
  }
}

/** All anchors' values in anchor order: [H * W * A * k] from [A * k, H, W]. */
export function anchorMajor(nchw: ArrayLike<number>, A: number, H: number, W: number, k: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(H * W * A * k);
  const HW = H * W;
  for (let pos = 0; pos < HW; pos++) {
    for (let c = 0; c < A * k; c++) dst[pos * A * k + c] = nchw[c * HW + pos];
  }
  return dst;
}
