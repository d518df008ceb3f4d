// im2col rows and col2im for the GEMM convolutions, one group of one image at a time.
//
//   col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*SH - PT + kh*DH][ow*SW - PL + kw*DW]  (0 outside)
//
// x is the group's Cg input planes [Cg, H, W], col is [Cg*KH*KW, OH*OW]. The convolutions never
// hold the whole col for im2col: they build one row (forward) or NR rows (filter gradient) at
// a time and pack them straight into the GEMM's B layout. col2im is the adjoint: it adds every
// col entry back onto the x element it was read from (the caller zeroes x). For each
// (c, kh, kw) the ow range whose column lies inside the image is computed once, so the inner
// loops are a plain (or strided) copy between two zero borders.
// Stride 1 with OW == W (the usual "same" conv) has a faster form: row k is then the flat
// plane x[c] shifted by (kh*DH - PT)*W + kw*DW - PL elements, so it is one long copy (or add)
// followed by zeroing the few columns per output row that wrapped around a row edge.
import { gi, fa, zeroF, copyF, addF } from './util';

/** First ow whose column ow*SW - PL + kwOff is >= 0 (clamped to [0, OW]). */
@inline function owFirst(PL: i32, kwOff: i32, SW: i32, OW: i32): i32 {
  const lo = PL - kwOff;
  return lo <= 0 ? 0 : min(OW, (lo + SW - 1) / SW);
}
/** One past the last ow whose column is < W (clamped to [first, OW]). */
@inline function owLast(W: i32, PL: i32, kwOff: i32, SW: i32, OW: i32, first: i32): i32 {
  const hi = W + PL - kwOff;
  return hi <= 0 ? first : max(first, min(OW, (hi + SW - 1) / SW));
}

/** Row k = (c*KH + kh)*KW + kw of col (OH*OW floats at row) from the group planes x; p: conv geometry. */
export function im2colRow(x: usize, p: usize, k: i32, row: usize): void {
  const H = gi(p, 2), W = gi(p, 3), KH = gi(p, 5), KW = gi(p, 6), OH = gi(p, 7), OW = gi(p, 8);
  const SH = gi(p, 9), SW = gi(p, 10), PT = gi(p, 11), PL = gi(p, 12), DH = gi(p, 13), DW = gi(p, 14);
  const kw = k % KW, kh = (k / KW) % KH, c = k / (KW * KH);
  const xc = x + (<usize>(c * H * W) << 2);
  const kwOff = kw * DW;
  const o0 = owFirst(PL, kwOff, SW, OW);
  const o1 = owLast(W, PL, kwOff, SW, OW, o0);
  if (SH == 1 && SW == 1 && OW == W) {
    const ohLo = min(OH, max(0, PT - kh * DH)), ohHi = max(ohLo, min(OH, H + PT - kh * DH));
    const off = (kh * DH - PT) * W + kwOff - PL;
    const S = OH * OW;
    // the valid rows [ohLo, ohHi) as one run, clipped to the plane; the rest zero
    const jA = min(max(ohLo * W, -off), ohHi * W), jB = max(jA, min(ohHi * W, H * W - off));
    zeroF(row, jA);
    if (jB > jA) copyF(fa(row, jA), fa(xc, jA + off), jB - jA);
    zeroF(fa(row, jB), S - jB);
    // columns that wrapped around a row edge
    for (let oh = ohLo; oh < ohHi; oh++) {
      const r = fa(row, oh * OW);
      for (let ow = 0; ow < o0; ow++) store<f32>(fa(r, ow), 0);
      for (let ow = o1; ow < OW; ow++) store<f32>(fa(r, ow), 0);
    }
    return;
  }
  for (let oh = 0; oh < OH; oh++) {
    const ih = oh * SH - PT + kh * DH;
    if (ih < 0 || ih >= H) {
      zeroF(row, OW);
    } else {
      for (let ow = 0; ow < o0; ow++) store<f32>(fa(row, ow), 0);
      const src = fa(xc, ih * W + o0 * SW - PL + kwOff);
      if (SW == 1) {
        copyF(fa(row, o0), src, o1 - o0);
      } else if (SW == 2) {
        // even lanes of 8 consecutive floats, while all 8 lie inside the image row
        let ow = o0, s = src;
        const room = W - (o0 * 2 - PL + kwOff) - 8;
        const vEnd = o0 + (room < 0 ? 0 : (room / 8 + 1) * 4);
        for (; ow + 4 <= min(o1, vEnd); ow += 4, s += 32) {
          v128.store(fa(row, ow), i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
        }
        for (; ow < o1; ow++, s += 8) store<f32>(fa(row, ow), load<f32>(s));
      } else {
        for (let ow = o0, s = src; ow < o1; ow++, s += <usize>SW << 2) store<f32>(fa(row, ow), load<f32>(s));
      }
      for (let ow = o1; ow < OW; ow++) store<f32>(fa(row, ow), 0);
    }
    row += <usize>OW << 2;
  }
}

/** x[c] += the col entries read from it by im2col (x accumulated); col is [Cg*KH*KW, OH*OW]. */
export function col2im(col: usize, Cg: i32, p: usize, x: usize): void {
  const H = gi(p, 2), W = gi(p, 3), KH = gi(p, 5), KW = gi(p, 6), OH = gi(p, 7), OW = gi(p, 8);
  const SH = gi(p, 9), SW = gi(p, 10), PT = gi(p, 11), PL = gi(p, 12), DH = gi(p, 13), DW = gi(p, 14);
  let row = col;
  for (let c = 0; c < Cg; c++) {
    const xc = x + (<usize>(c * H * W) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const kwOff = kw * DW;
        const o0 = owFirst(PL, kwOff, SW, OW);
        const o1 = owLast(W, PL, kwOff, SW, OW, o0);
        if (SH == 1 && SW == 1 && OW == W) {
          const ohLo = min(OH, max(0, PT - kh * DH)), ohHi = max(ohLo, min(OH, H + PT - kh * DH));
          const off = (kh * DH - PT) * W + kwOff - PL;
          // zero the wrapped columns of col, then add the valid rows as one run
          for (let oh = ohLo; oh < ohHi; oh++) {
            const r = fa(row, oh * OW);
            for (let ow = 0; ow < o0; ow++) store<f32>(fa(r, ow), 0);
            for (let ow = o1; ow < OW; ow++) store<f32>(fa(r, ow), 0);
          }
          const jA = min(max(ohLo * W, -off), ohHi * W), jB = max(jA, min(ohHi * W, H * W - off));
          if (jB > jA) addF(fa(xc, jA + off), fa(row, jA), jB - jA);
          row += <usize>(OH * OW) << 2;
          continue;
        }
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PT + kh * DH;
          if (ih >= 0 && ih < H) {
            const dst = fa(xc, ih * W + o0 * SW - PL + kwOff);
            if (SW == 1) {
              addF(dst, fa(row, o0), o1 - o0);
            } else {
              for (let ow = o0, d = dst; ow < o1; ow++, d += <usize>SW << 2) store<f32>(d, load<f32>(d) + load<f32>(fa(row, ow)));
            }
          }
          row += <usize>OW << 2;
        }
      }
    }
  }
}
