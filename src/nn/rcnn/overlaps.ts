/**
 * Pairwise IoU of two box lists with Paddle's pixel-inclusive convention (BboxOverlaps):
 * area = (x2 - x1 + 1) * (y2 - y1 + 1), intersection sides max(min - max + 1, 0).
 * a: [n * 4], b: [m * 4]; returns [n * m], row i for a's box i.
 */
export function bboxOverlaps(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m: number): Float32Array {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = a[i * 4], ay1 = a[i * 4 + 1], ax2 = a[i * 4 + 2], ay2 = a[i * 4 + 3];
    const aArea = (ax2 - ax1 + 1) * (ay2 - ay1 + 1);
    for (let j = 0; j < m; j++) {
      const bx1 = b[j * 4], by1 = b[j * 4 + 1], bx2 = b[j * 4 + 2], by2 = b[j * 4 + 3];
      const iw = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1) + 1, 0);
      const ih = Math.max(Math.min(ay2, by2) - Math.max(ay1, by1) + 1, 0);
      const inter = iw * ih;
      out[i * m + j] = inter === 0 ? 0 : inter / (aArea + (bx2 - bx1 + 1) * (by2 - by1 + 1) - inter);
    }
  }
  return out;
}
