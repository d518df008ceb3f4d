/**
 * Drawing one digits image: a cluttered background (two-colour gradient, noise, strokes,
 * fragments of other digits), then 1-4 whole MNIST digits at random scales and positions in
 * colours that contrast with what is under them. Each digit's box is the tight bounding box
 * of its ink (alpha above INK) in the final image, in inclusive pixel indices.
 */
import type { Rng } from '../rng';
import type { Mnist } from './mnist';

export const INK = 0.3;

export interface DigitBox {
  label: number;
  box: [number, number, number, number];
  /** with { masks: true }: the digit's own ink pixels (alpha above INK, not painted over by a later digit), S x S row-major */
  mask?: Uint8Array;
}

export interface Composed {
  rgb: Uint8Array;
  size: number;
  objects: DigitBox[];
  /** with { alpha: true }: each pixel's ink coverage by the labelled digits, 0..1 */
  alpha?: Float32Array;
}

type Canvas = Float32Array;

const randColor = (rng: Rng): number[] => [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
const lum = (c: readonly number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

function gradient(cv: Canvas, S: number, rng: Rng): void {
  const a = randColor(rng);
  const b = randColor(rng);
  const th = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(th) / S;
  const dy = Math.sin(th) / S;
  const noise = rng.uniform(0, 14);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + (x - S / 2) * dx + (y - S / 2) * dy));
      const o = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) cv[o + c] = a[c] + (b[c] - a[c]) * t + (rng.random32() + rng.random32() - 1) * noise;
    }
  }
}

/** Blends `color` at (x, y) with weight a. */
function blend(cv: Canvas, S: number, x: number, y: number, color: readonly number[], a: number): void {
  if (x < 0 || y < 0 || x >= S || y >= S || a <= 0) return;
  const o = (y * S + x) * 3;
  for (let c = 0; c < 3; c++) cv[o + c] += (color[c] - cv[o + c]) * a;
}

function strokes(cv: Canvas, S: number, rng: Rng): void {
  const count = rng.randint(2, 9);
  for (let s = 0; s < count; s++) {
    const color = randColor(rng);
    const r = rng.uniform(0.5, Math.max(1, S / 100));
    let x = rng.uniform(0, S);
    let y = rng.uniform(0, S);
    let dir = rng.uniform(0, 2 * Math.PI);
    const turn = rng.uniform(-0.02, 0.02); // gentle arcs: full circles would look like zeros
    const len = rng.uniform(S * 0.1, S * 0.6);
    for (let t = 0; t < len; t += 0.7) {
      x += Math.cos(dir) * 0.7;
      y += Math.sin(dir) * 0.7;
      dir += turn;
      const ri = Math.ceil(r);
      for (let yy = -ri; yy <= ri; yy++) for (let xx = -ri; xx <= ri; xx++) if (xx * xx + yy * yy <= r * r) blend(cv, S, Math.round(x) + xx, Math.round(y) + yy, color, 0.35);
    }
  }
}

/** Bilinear sample of a 28x28 digit at (u, v) in digit pixels, 0..1. */
function sampleDigit(px: Uint8Array, off: number, u: number, v: number): number {
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x > 27 || y > 27 ? 0 : px[off + y * 28 + x]);
  return ((at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy) / 255;
}

/**
 * Pastes digit `idx` scaled to g x g pixels at (x0, y0) (region [sx0, sx1) x [sy0, sy1) of
 * the digit's own 28x28 frame only, for fragments); returns the ink box or null.
 */
function paste(
  cv: Canvas,
  S: number,
  m: Mnist,
  idx: number,
  x0: number,
  y0: number,
  g: number,
  color: readonly number[],
  part?: number[],
  alphaOut?: Float32Array,
  maskOut?: Uint8Array,
): [number, number, number, number] | null {
  const off = idx * 784;
  const k = 28 / g;
  let bx0 = S;
  let by0 = S;
  let bx1 = -1;
  let by1 = -1;
  for (let y = 0; y < g; y++) {
    const v = (y + 0.5) * k - 0.5;
    if (part && (v < part[1] || v >= part[3])) continue;
    for (let x = 0; x < g; x++) {
      const u = (x + 0.5) * k - 0.5;
      if (part && (u < part[0] || u >= part[2])) continue;
      const a = sampleDigit(m.pixels, off, u, v);
      if (a <= 0.02) continue;
      const X = x0 + x;
      const Y = y0 + y;
      if (X < 0 || Y < 0 || X >= S || Y >= S) continue;
      blend(cv, S, X, Y, color, Math.min(1, a * 1.15));
      if (alphaOut && a > alphaOut[Y * S + X]) alphaOut[Y * S + X] = a;
      if (a > INK) {
        if (maskOut) maskOut[Y * S + X] = 1;
        if (X < bx0) bx0 = X;
        if (X > bx1) bx1 = X;
        if (Y < by0) by0 = Y;
        if (Y > by1) by1 = Y;
      }
    }
  }
  return bx1 >= bx0 && by1 >= by0 ? [bx0, by0, bx1, by1] : null;
}

function regionLum(cv: Canvas, S: number, x0: number, y0: number, g: number): number {
  let s = 0;
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(S, y0 + g); y += 2) {
    for (let x = Math.max(0, x0); x < Math.min(S, x0 + g); x += 2) {
      const o = (y * S + x) * 3;
      s += lum([cv[o], cv[o + 1], cv[o + 2]]);
      n++;
    }
  }
  return n ? s / n : 128;
}

/** A colour whose luminance is at least ~100 away from `bgLum`. */
function contrasting(bgLum: number, rng: Rng): number[] {
  const dark = bgLum > 128;
  for (;;) {
    const c = randColor(rng);
    const L = lum(c);
    if (dark ? L < bgLum - 100 || L < 40 : L > bgLum + 100 || L > 215) return c;
  }
}

const overlaps = (a: readonly number[], b: readonly number[], pad: number) => a[0] <= b[2] + pad && b[0] <= a[2] + pad && a[1] <= b[3] + pad && b[1] <= a[3] + pad;

export function composeImage(m: Mnist, S: number, rng: Rng, opts: { alpha?: boolean; masks?: boolean } = {}): Composed {
  const cv: Canvas = new Float32Array(S * S * 3);
  const alpha = opts.alpha ? new Float32Array(S * S) : undefined;
  gradient(cv, S, rng);
  strokes(cv, S, rng);
  // Fragments: a corner of some digit, small, as distractors that are not whole digits.
  const frags = rng.randint(1, 4);
  for (let f = 0; f < frags; f++) {
    const g = Math.round(rng.uniform(0.1, 0.25) * S);
    const x = rng.randint(-Math.floor(g / 2), S - Math.floor(g / 2));
    const y = rng.randint(-Math.floor(g / 2), S - Math.floor(g / 2));
    const px = rng.randint(0, 14);
    const py = rng.randint(0, 14);
    paste(cv, S, m, rng.randint(0, m.count), x, y, g, randColor(rng), [px, py, px + rng.uniform(6, 12), py + rng.uniform(6, 12)]);
  }
  const want = rng.randint(1, 5);
  const objects: DigitBox[] = [];
  for (let d = 0; d < want; d++) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const g = Math.max(12, Math.round(rng.uniform(0.16, 0.42) * S));
      const x = rng.randint(0, S - g + 1);
      const y = rng.randint(0, S - g + 1);
      // MNIST digits sit in the middle 20x20 of their frame: test the likely ink area.
      const m4 = Math.round(g * 0.14);
      const guess = [x + m4, y + m4, x + g - m4, y + g - m4];
      if (objects.some((o) => overlaps(o.box, guess, 2))) continue;
      const idx = rng.randint(0, m.count);
      const mask = opts.masks ? new Uint8Array(S * S) : undefined;
      const box = paste(cv, S, m, idx, x, y, g, contrasting(regionLum(cv, S, x, y, g), rng), undefined, alpha, mask);
      if (box) {
        // ink painted over an earlier digit's ink belongs to the later digit
        if (mask) for (const o of objects) for (let i = 0; i < mask.length; i++) if (mask[i]) o.mask![i] = 0;
        objects.push(mask ? { label: m.labels[idx], box, mask } : { label: m.labels[idx], box });
      }
      break;
    }
  }
  const rgb = new Uint8Array(S * S * 3);
  for (let i = 0; i < rgb.length; i++) {
    const v = cv[i];
    rgb[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { rgb, size: S, objects, alpha };
}
