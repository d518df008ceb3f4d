// Depthwise convolution (one input channel per group: C/G == 1, OC = C * mult) with f32x4
// along output columns, shared by the three conv kernels.
//
// Each input plane is copied into a zero-padded "phase plane" P that removes both the padding
// tests and the column stride from the inner loops: row r of P is input row r - PT, and its
// columns are split into SW phases, phase q holding padded columns j*SW + q:
//   P[r][q][j] = x[r - PT][j*SW + q - PL]   (0 outside the image)
// so tap (kh, kw) of output (oh, ow) is P[oh*SH + kh*DH][(kw*DW) % SW][(kw*DW) / SW + ow]: for a
// fixed tap, 4 neighbouring outputs read 4 neighbouring floats. Rows of P are L floats long,
// enough for ceil(OW/4)*4 outputs, so vector reads never leave the plane. The zero border of
// P is written once per call; each channel only overwrites the image part.
//   forward:  y[oh][ow..ow+3] = b + sum_taps w[tap] * P[row(tap)][col(tap) + ow..]   (corr)
//   dw:       dw[tap] = sum_{oh, ow} dy[oh][ow] * P[row(tap)][col(tap) + ow]   (one tap at a
//             time, accumulated in registers over the whole plane)
//   dx, stride 1: a correlation of dy, zero-padded by (KH-1)*DH rows and (KW-1)*DW columns,
//             with the flipped kernel: dx[ih][iw] = sum w[KH-1-a][KW-1-b] * D[ih+PT+a*DH][iw+PL+b*DW]
//             (the same corr routine as the forward)
//   dx, other strides: dP, the gradient of P, gathered (not scattered: scattered f32x4 updates
//             of overlapping columns stall on store forwarding): element j of phase q of row r
//             sums w[kh, kw] * dy[oh][j - (kw*DW)/SW] over the taps with oh*SH + kh*DH = r and
//             (kw*DW) % SW = q; then dx = the image part of dP.
// corr has a 3x3 version with the nine weights and offsets held in locals.
import { alloc, free } from './mem';
import { gi, fa, zeroF, copyF, hsum, outOfMemory, sumF } from './util';

// geometry of the current call
let N: i32, C: i32, H: i32, W: i32, OC: i32, KH: i32, KW: i32, OH: i32, OW: i32;
let SH: i32, SW: i32, PT: i32, PL: i32, DH: i32, DW: i32, MULT: i32, KK: i32;
let L: i32, HP: i32, OWV: i32;
// dy plane D: rows, row length, and where dy's (0, 0) sits in it
let DR: i32, DL: i32, DTOP: i32, DLEFT: i32;
// scratch: phase plane, splatted weights (one v128 per tap), byte offset of each tap,
// zero-bordered dy plane, list of (weight, dy row) pairs for the strided dx
let plane: usize = 0, wv: usize = 0, tapOff: usize = 0, dyPlane: usize = 0, pairs: usize = 0;

/** Whether a conv goes through the depthwise path. */
export function isDepthwise(p: usize): bool {
  const C_ = gi(p, 1), OC_ = gi(p, 4), G = gi(p, 15);
  return G == C_ && OC_ / G <= 4 && (G > 1 || OC_ == 1);
}

/** Reads the geometry and allocates the scratch; `dyMode`: 0 none, 1 for dw, 2 for dx. */
function setup(p: usize, dyMode: i32): void {
  N = gi(p, 0); C = gi(p, 1); H = gi(p, 2); W = gi(p, 3); OC = gi(p, 4); KH = gi(p, 5); KW = gi(p, 6);
  OH = gi(p, 7); OW = gi(p, 8); SH = gi(p, 9); SW = gi(p, 10); PT = gi(p, 11); PL = gi(p, 12);
  DH = gi(p, 13); DW = gi(p, 14);
  MULT = OC / C;
  KK = KH * KW;
  OWV = (OW + 3) & ~3;
  L = (OWV + ((KW - 1) * DW) / SW + 1 + 3) & ~3;
  HP = (OH - 1) * SH + (KH - 1) * DH + 1;
  if (dyMode == 1) {
    // dw: dy rows with a zero tail up to a multiple of 4
    DTOP = 0; DLEFT = 0; DR = OH; DL = OWV;
  } else if (dyMode == 2 && SH == 1 && SW == 1) {
    // stride-1 dx: dy padded to serve as the input of a correlation producing dx
    DTOP = (KH - 1) * DH; DLEFT = (KW - 1) * DW;
    DR = H + PT + DTOP;
    DL = ((W + 3) & ~3) + PL + DLEFT + 4;
  } else if (dyMode == 2) {
    // strided dx: dy with LPAD zero columns on the left, zeros past OW
    DTOP = 0; DLEFT = ((KW - 1) * DW) / SW; DR = OH;
    DL = (DLEFT + L + 4 + 3) & ~3;
  } else {
    DR = 0; DL = 0;
  }
  plane = alloc(<usize>HP * SW * L << 2);
  wv = alloc(<usize>KK << 4);
  tapOff = alloc(<usize>KK << 2);
  dyPlane = alloc(<usize>max(DR * DL, 1) << 2);
  pairs = alloc(<usize>KK << 3);
  if (!plane || !wv || !tapOff || !dyPlane || !pairs) outOfMemory();
  zeroF(plane, HP * SW * L);
  zeroF(dyPlane, DR * DL);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const col = kw * DW;
      store<i32>(tapOff + (<usize>(kh * KW + kw) << 2), ((kh * DH * SW + col % SW) * L + col / SW) << 2);
    }
  }
}

function teardown(): void {
  free(pairs);
  free(dyPlane);
  free(tapOff);
  free(wv);
  free(plane);
}

/** Copies the image part of one input plane xc [H, W] into the phase plane (borders stay zero). */
function buildPlane(xc: usize): void {
  for (let ih = 0; ih < H; ih++) {
    const r = ih + PT;
    if (r >= HP) break;
    const rowP = plane + (<usize>(r * SW * L) << 2);
    const xr = fa(xc, ih * W);
    if (SW == 1) {
      const j0 = min(PL, L), j1 = min(PL + W, L);
      if (j1 > j0) copyF(fa(rowP, j0), fa(xr, j0 - PL), j1 - j0);
    } else {
      for (let q = 0; q < SW; q++) {
        const ph = fa(rowP, q * L);
        // j with 0 <= j*SW + q - PL < W, j < L
        const lo = PL - q;
        const j0 = lo <= 0 ? 0 : (lo + SW - 1) / SW;
        const j1 = min(L, (W + PL - q + SW - 1) / SW);
        for (let j = j0, iw = j0 * SW + q - PL; j < j1; j++, iw += SW) store<f32>(fa(ph, j), load<f32>(fa(xr, iw)));
      }
    }
  }
}

/** Splats the weights of output channel oc (flipped in both axes when `flip`). */
function loadWeights(w: usize, oc: i32, flip: bool): void {
  for (let t = 0; t < KK; t++) {
    const s = flip ? KK - 1 - t : t;
    v128.store(wv + (<usize>t << 4), f32x4.splat(load<f32>(fa(w, oc * KK + s))));
  }
}

/** Writes the first n (< 4) lanes of v to dst, added to dst when acc. */
@inline function storeTail(dst: usize, v: v128, n: i32, acc: bool): void {
  const t0 = f32x4.extract_lane(v, 0), t1 = f32x4.extract_lane(v, 1), t2 = f32x4.extract_lane(v, 2);
  store<f32>(dst, acc ? load<f32>(dst) + t0 : t0);
  if (n > 1) store<f32>(dst, acc ? load<f32>(dst, 4) + t1 : t1, 4);
  if (n > 2) store<f32>(dst, acc ? load<f32>(dst, 8) + t2 : t2, 8);
}

/**
 * dst[r][c] = (acc ? dst[r][c] : bias) + sum_t wv[t] * src_r[tapOff[t] + c]  for r < rows, c < cols,
 * with src_r = src + r * srcStep (bytes) and dst rows of dstStride floats.
 */
function corr(src: usize, srcStep: usize, rows: i32, cols: i32, dst: usize, dstStride: i32, acc: bool, bias: f32): void {
  const full = cols & ~3, tail = cols & 3;
  const bv = f32x4.splat(bias);
  if (KK == 9) {
    const w0 = v128.load(wv), w1 = v128.load(wv, 16), w2 = v128.load(wv, 32);
    const w3 = v128.load(wv, 48), w4 = v128.load(wv, 64), w5 = v128.load(wv, 80);
    const w6 = v128.load(wv, 96), w7 = v128.load(wv, 112), w8 = v128.load(wv, 128);
    const o0 = <usize>load<i32>(tapOff), o1 = <usize>load<i32>(tapOff, 4), o2 = <usize>load<i32>(tapOff, 8);
    const o3 = <usize>load<i32>(tapOff, 12), o4 = <usize>load<i32>(tapOff, 16), o5 = <usize>load<i32>(tapOff, 20);
    const o6 = <usize>load<i32>(tapOff, 24), o7 = <usize>load<i32>(tapOff, 28), o8 = <usize>load<i32>(tapOff, 32);
    for (let r = 0; r < rows; r++) {
      const s = src + <usize>r * srcStep;
      const d = fa(dst, r * dstStride);
      for (let c = 0; c < cols; c += 4) {
        const b = s + (<usize>c << 2);
        const dc = fa(d, c);
        let a = c < full && acc ? v128.load(dc) : bv;
        if (acc && c >= full) a = f32x4.splat(0);
        a = f32x4.add(a, f32x4.mul(w0, v128.load(b + o0)));
        a = f32x4.add(a, f32x4.mul(w1, v128.load(b + o1)));
        a = f32x4.add(a, f32x4.mul(w2, v128.load(b + o2)));
        a = f32x4.add(a, f32x4.mul(w3, v128.load(b + o3)));
        a = f32x4.add(a, f32x4.mul(w4, v128.load(b + o4)));
        a = f32x4.add(a, f32x4.mul(w5, v128.load(b + o5)));
        a = f32x4.add(a, f32x4.mul(w6, v128.load(b + o6)));
        a = f32x4.add(a, f32x4.mul(w7, v128.load(b + o7)));
        a = f32x4.add(a, f32x4.mul(w8, v128.load(b + o8)));
        if (c < full) v128.store(dc, a);
        else storeTail(dc, a, tail, acc);
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStep;
    const d = fa(dst, r * dstStride);
    for (let c = 0; c < cols; c += 4) {
      const b = s + (<usize>c << 2);
      const dc = fa(d, c);
      let a = c < full && acc ? v128.load(dc) : bv;
      if (acc && c >= full) a = f32x4.splat(0);
      for (let t = 0; t < KK; t++) {
        a = f32x4.add(a, f32x4.mul(v128.load(wv + (<usize>t << 4)), v128.load(b + <usize>load<i32>(tapOff + (<usize>t << 2)))));
      }
      if (c < full) v128.store(dc, a);
      else storeTail(dc, a, tail, acc);
    }
  }
}

/** y [N, OC, OH, OW] from x [N, C, H, W], w [OC, 1, KH, KW], b [OC] or 0. */
export function depthwiseForward(x: usize, w: usize, b: usize, y: usize, p: usize): void {
  setup(p, 0);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      buildPlane(fa(x, (n * C + c) * H * W));
      for (let m = 0; m < MULT; m++) {
        const oc = c * MULT + m;
        loadWeights(w, oc, false);
        corr(plane, <usize>(SH * SW * L) << 2, OH, OW, fa(y, (n * OC + oc) * OH * OW), OW, false, b ? load<f32>(fa(b, oc)) : 0);
      }
    }
  }
  teardown();
}

/** Copies dy plane [OH, OW] into D at (DTOP, DLEFT) (row stride DL; borders stay zero). */
function loadDy(dyc: usize): void {
  const rows = min(OH, DR - DTOP), cols = min(OW, DL - DLEFT);
  for (let oh = 0; oh < rows; oh++) copyF(fa(dyPlane, (oh + DTOP) * DL + DLEFT), fa(dyc, oh * OW), cols);
}

/** dx [N, C, H, W] (overwritten) from dy [N, OC, OH, OW] and w. */
export function depthwiseBackwardInput(dy: usize, w: usize, dx: usize, p: usize): void {
  setup(p, 2);
  if (SH == 1 && SW == 1) {
    // tap (a, b) of the flipped kernel reads D[ih + PT + a*DH][iw + PL + b*DW]
    for (let a = 0; a < KH; a++) {
      for (let b = 0; b < KW; b++) store<i32>(tapOff + (<usize>(a * KW + b) << 2), (a * DH * DL + b * DW) << 2);
    }
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const xc = fa(dx, (n * C + c) * H * W);
        for (let m = 0; m < MULT; m++) {
          const oc = c * MULT + m;
          loadWeights(w, oc, true);
          loadDy(fa(dy, (n * OC + oc) * OH * OW));
          corr(fa(dyPlane, PT * DL + PL), <usize>DL << 2, H, W, xc, W, m > 0, 0);
        }
      }
    }
    teardown();
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < MULT; m++) {
        const oc = c * MULT + m;
        loadWeights(w, oc, false);
        loadDy(fa(dy, (n * OC + oc) * OH * OW));
        for (let r = 0; r < HP; r++) {
          for (let q = 0; q < SW; q++) {
            // the taps that reach phase q of row r: (splatted weight, dy row shifted by the tap)
            let np = 0;
            for (let kh = 0; kh < KH; kh++) {
              const t = r - kh * DH;
              if (t < 0 || t % SH != 0 || t / SH >= OH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const col = kw * DW;
                if (col % SW != q) continue;
                const e = pairs + (<usize>np << 3);
                store<u32>(e, <u32>(wv + (<usize>(kh * KW + kw) << 4)));
                store<u32>(e, <u32>fa(dyPlane, (t / SH) * DL + DLEFT - col / SW), 4);
                np++;
              }
            }
            const dst = plane + (<usize>((r * SW + q) * L) << 2);
            for (let j = 0; j < L; j += 4) {
              let acc = m == 0 ? f32x4.splat(0) : v128.load(fa(dst, j));
              for (let e = pairs, end = pairs + (<usize>np << 3); e < end; e += 8) {
                acc = f32x4.add(acc, f32x4.mul(v128.load(<usize>load<u32>(e)), v128.load(fa(<usize>load<u32>(e, 4), j))));
              }
              v128.store(fa(dst, j), acc);
            }
          }
        }
      }
      // dx = the image part of dP
      const xc = fa(dx, (n * C + c) * H * W);
      for (let ih = 0; ih < H; ih++) {
        const r = ih + PT;
        const xr = fa(xc, ih * W);
        if (r >= HP) {
          zeroF(xr, W);
          continue;
        }
        const rowP = plane + (<usize>(r * SW * L) << 2);
        for (let iw = 0; iw < W; iw++) {
          const col = iw + PL;
          const j = col / SW;
          store<f32>(fa(xr, iw), j < L ? load<f32>(fa(rowP, (col % SW) * L + j)) : 0);
        }
      }
    }
  }
  teardown();
}

/** dw [OC, 1, KH, KW] and db [OC] (or 0), both overwritten, from x and dy. */
export function depthwiseBackwardFilter(x: usize, dy: usize, dw: usize, db: usize, p: usize): void {
  setup(p, 1);
  zeroF(dw, OC * KK);
  if (db) zeroF(db, OC);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      buildPlane(fa(x, (n * C + c) * H * W));
      for (let m = 0; m < MULT; m++) {
        const oc = c * MULT + m;
        const dyc = fa(dy, (n * OC + oc) * OH * OW);
        if (db) store<f32>(fa(db, oc), load<f32>(fa(db, oc)) + <f32>sumF(dyc, OH * OW));
        loadDy(dyc);
        // The last vector of a row holds OWV - OW lanes past the output; their dy is 0 but their
        // x may be Inf or NaN, and 0 * Inf would poison dw, so that product is masked.
        const last = OWV - 4;
        const tail = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(OW - last));
        for (let t = 0; t < KK; t++) {
          const off = <usize>load<i32>(tapOff + (<usize>t << 2));
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
          for (let oh = 0; oh < OH; oh++) {
            const xr = plane + (<usize>(oh * SH * SW * L) << 2) + off;
            const dr = fa(dyPlane, oh * DL);
            let ow = 0;
            for (; ow + 8 <= last; ow += 8) {
              a0 = f32x4.add(a0, f32x4.mul(v128.load(fa(dr, ow)), v128.load(fa(xr, ow))));
              a1 = f32x4.add(a1, f32x4.mul(v128.load(fa(dr, ow), 16), v128.load(fa(xr, ow), 16)));
            }
            if (ow < last) a0 = f32x4.add(a0, f32x4.mul(v128.load(fa(dr, ow)), v128.load(fa(xr, ow))));
            a1 = f32x4.add(a1, v128.and(f32x4.mul(v128.load(fa(dr, last)), v128.load(fa(xr, last))), tail));
          }
          const o = fa(dw, oc * KK + t);
          store<f32>(o, load<f32>(o) + hsum(f32x4.add(a0, a1)));
        }
      }
    }
  }
  teardown();
}
