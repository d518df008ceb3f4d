/**
 * YOLO box decoding, as Paddle's yolo_box op. For a raw output x [N, A*(5+C), H, W] of a level
 * with anchors (w, h) in input pixels and stride s (the network input is s*H x s*W), and the
 * original image size (imgH, imgW), cell (row k, column l), anchor a:
 *   cx = (l + sigmoid(tx) * scale + bias) * imgW / W,  bias = -0.5 * (scale - 1)
 *   cy = (k + sigmoid(ty) * scale + bias) * imgH / H
 *   w  = exp(tw) * anchor_w * imgW / (s * W),  h = exp(th) * anchor_h * imgH / (s * H)
 *   box = [cx - w/2, cy - h/2, cx + w/2, cy + h/2], clipped to [0, imgW-1] x [0, imgH-1]
 *   conf = sigmoid(obj); score_c = conf * sigmoid(class_c)
 * Predictions with conf < confThresh keep a zero box and zero scores (Paddle's layout: every
 * level contributes A*H*W boxes, ordered anchor, row, column). Boxes are in original-image
 * pixels.
 */

export interface DecodedLevel {
  /** [M * 4] x1, y1, x2, y2 per box, M = A * H * W */
  boxes: Float64Array;
  /** [M * C] scores per box */
  scores: Float64Array;
  count: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Decodes one image of one level. data: that image's [A*(5+C), H, W] block (any array).
 */
export function decodeYoloLevel(
  data: ArrayLike<number>, offset: number, H: number, W: number,
  anchors: number[][], numClasses: number, downsample: number, imgH: number, imgW: number,
  opts: { confThresh: number; clipBbox?: boolean; scaleXY?: number },
): DecodedLevel {
  const A = anchors.length;
  const stride = H * W;
  const M = A * stride;
  const boxes = new Float64Array(M * 4);
  const scores = new Float64Array(M * numClasses);
  const scale = opts.scaleXY ?? 1;
  const bias = -0.5 * (scale - 1);
  const inH = downsample * H;
  const inW = downsample * W;
  const clip = opts.clipBbox ?? true;
  const ch = (a: number, e: number) => offset + (a * (5 + numClasses) + e) * stride;
  for (let a = 0; a < A; a++) {
    for (let k = 0; k < H; k++) {
      for (let l = 0; l < W; l++) {
        const cell = k * W + l;
        const conf = sigmoid(data[ch(a, 4) + cell]);
        if (conf < opts.confThresh) continue;
        const cx = (l + sigmoid(data[ch(a, 0) + cell]) * scale + bias) * imgW / W;
        const cy = (k + sigmoid(data[ch(a, 1) + cell]) * scale + bias) * imgH / H;
        const w = Math.exp(data[ch(a, 2) + cell]) * anchors[a][0] * imgW / inW;
        const h = Math.exp(data[ch(a, 3) + cell]) * anchors[a][1] * imgH / inH;
        const i = a * stride + cell;
        let x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2;
        if (clip) {
          x1 = x1 > 0 ? x1 : 0;
          y1 = y1 > 0 ? y1 : 0;
          x2 = x2 < imgW - 1 ? x2 : imgW - 1;
          y2 = y2 < imgH - 1 ? y2 : imgH - 1;
        }
        boxes.set([x1, y1, x2, y2], i * 4);
        for (let c = 0; c < numClasses; c++) scores[i * numClasses + c] = conf * sigmoid(data[ch(a, 5 + c) + cell]);
      }
    }
  }
  return { boxes, scores, count: M };
}
