/**
 * Detections drawn on their image: one SVG overlay (a box and a "label score" tag per
 * detection, colour by class) composed onto the decoded image by sharp, so no drawing code of
 * our own touches pixels.
 */
import { loadSharp } from '../data/image';
import type { InferDetection } from './model';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A colour per class id, spread around the hue circle. */
export function classColour(classId: number): string {
  const hue = (classId * 137.508) % 360;
  return `hsl(${hue.toFixed(1)}, 85%, 50%)`;
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
export async function drawDetections(image: Uint8Array, dets: readonly InferDetection[], format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const sharp = loadSharp();
  const base = sharp(image).autoOrient();
  const { data, info } = await base.clone().toBuffer({ resolveWithObject: true });
  const svg = Buffer.from(overlaySvg(info.width, info.height, dets));
  const out = sharp(data).composite([{ input: svg, top: 0, left: 0 }]);
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality: 95 }).toBuffer();
}
