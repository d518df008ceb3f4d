/**
 * Detections drawn on their image: one SVG overlay (a box and a "label score" tag per
 * detection, colour by class) composed onto the decoded image by sharp, so no drawing code of
 * our own touches pixels. Detections that carry a mask (Mask R-CNN) also get a translucent fill
 * of their class colour over the mask's pixels: one RGBA layer under the boxes, later
 * instances over earlier ones.
 */
import { loadSharp } from '../data/image';
import type { InferDetection } from './model';

/** A detection to draw: a box, and optionally its mask at the image's size (row-major h x w, non-zero = inside). */
export type DrawDetection = InferDetection & { mask?: Uint8Array };

/** Opacity of a mask's fill. */
export const MASK_ALPHA = 0.45;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A colour per class id, spread around the hue circle. */
export function classColour(classId: number): string {
  const hue = (classId * 137.508) % 360;
  return `hsl(${hue.toFixed(1)}, 85%, 50%)`;
}

/** classColour as 0..255 RGB (the same hue, saturation and lightness). */
export function classRgb(classId: number): [number, number, number] {
  const h = ((classId * 137.508) % 360) / 360;
  const s = 0.85, l = 0.5;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const ch = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const v = u < 1 / 6 ? p + (q - p) * 6 * u : u < 1 / 2 ? q : u < 2 / 3 ? p + (q - p) * (2 / 3 - u) * 6 : p;
    return Math.round(v * 255);
  };
  return [ch(h + 1 / 3), ch(h), ch(h - 1 / 3)];
}

/**
 * The RGBA layer of the detections' masks for a w x h image (null when none has a mask): the
 * class colour at MASK_ALPHA where a mask is set, transparent elsewhere.
 */
export function maskLayer(w: number, h: number, dets: readonly DrawDetection[]): Uint8Array | null {
  if (!dets.some((d) => d.mask)) return null;
  const out = new Uint8Array(w * h * 4);
  const a = Math.round(MASK_ALPHA * 255);
  dets.forEach((d, i) => {
    if (!d.mask) return;
    if (d.mask.length !== w * h) throw new Error(`drawDetections: expected the mask of detection ${i} to have the image's ${h} x ${w} = ${w * h} pixels, got ${d.mask.length}`);
    const [r, g, b] = classRgb(d.classId);
    for (let p = 0; p < w * h; p++) {
      if (!d.mask[p]) continue;
      out[p * 4] = r;
      out[p * 4 + 1] = g;
      out[p * 4 + 2] = b;
      out[p * 4 + 3] = a;
    }
  });
  return out;
}

/** The SVG overlay for an image of size w x h. */
export function overlaySvg(w: number, h: number, dets: readonly InferDetection[]): string {
  const line = Math.max(1, Math.round(Math.min(w, h) / 200));
  const font = Math.max(9, Math.round(Math.min(w, h) / 30));
  const parts = dets.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    const c = classColour(d.classId);
    const text = `${esc(d.label)} ${d.score.toFixed(2)}`;
    const ty = y1 - font - 2 >= 0 ? y1 - font - 2 : y1;
    const tw = Math.round(text.length * font * 0.6) + 4;
    return `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(0, x2 - x1).toFixed(1)}" height="${Math.max(0, y2 - y1).toFixed(1)}" fill="none" stroke="${c}" stroke-width="${line}"/>`
      + `<rect x="${x1.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw}" height="${font + 2}" fill="${c}"/>`
      + `<text x="${(x1 + 2).toFixed(1)}" y="${(ty + font - 1).toFixed(1)}" font-family="sans-serif" font-size="${font}" fill="white">${text}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
}

/** `image` (encoded bytes) with `dets` drawn on it, encoded as JPEG (or PNG when asked). */
export async function drawDetections(image: Uint8Array, dets: readonly DrawDetection[], format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const sharp = loadSharp();
  const base = sharp(image).autoOrient();
  const { data, info } = await base.clone().toBuffer({ resolveWithObject: true });
  const svg = Buffer.from(overlaySvg(info.width, info.height, dets));
  const masks = maskLayer(info.width, info.height, dets);
  const layers = masks ? [{ input: Buffer.from(masks.buffer, masks.byteOffset, masks.length), raw: { width: info.width, height: info.height, channels: 4 as const }, top: 0, left: 0 }] : [];
  const out = sharp(data).composite([...layers, { input: svg, top: 0, left: 0 }]);
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality: 95 }).toBuffer();
}
