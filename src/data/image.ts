/**
 * Images: decoding (sharp, JPEG/PNG/BMP/WebP, EXIF orientation applied as OpenCV's imread does)
 * to RGB HWC values in float32 storage, and the uint8 cast the reference pipeline applies in a
 * few places.
 */
import * as fs from 'fs';
import type { Img } from './types';
import { BadSampleError, messageOf } from './errors';

import type sharpModule from 'sharp';

type SharpFn = typeof sharpModule;
let sharpFn: SharpFn | null = null;

/** sharp, loaded on first use (the CLI's other commands never pay for it). */
export function loadSharp(): SharpFn {
  if (!sharpFn) sharpFn = require('sharp') as SharpFn;
  return sharpFn;
}

/** Decodes `file` to RGB; a missing, unreadable or truncated file is a BadSampleError. */
export async function decodeImage(file: string): Promise<Img> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadSampleError(file, code === 'ENOENT' ? 'image file not found' : `cannot read image (${messageOf(e)})`);
  }
  if (bytes.length === 0) throw new BadSampleError(file, 'image file is empty');
  try {
    const sharp = loadSharp();
    const { data, info } = await sharp(bytes, { failOn: 'warning' })
      .autoOrient()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i];
    return { data: out, h: info.height, w: info.width, c: 3, chw: false, uint8: true };
  } catch (e) {
    // libvips reports a truncated JPEG either with its own warning ("Premature end of input
    // file") or, depending on thread timing, only as sharp's generic failOn message.
    const msg = messageOf(e);
    const why = /treated as error due to failOn/i.test(msg) ? 'corrupt or truncated image data' : msg;
    throw new BadSampleError(file, `cannot decode image (${why})`);
  }
}

/**
 * numpy's `astype(uint8)`: truncation toward zero. Out-of-range floats are platform-defined
 * in numpy; here they saturate to 0..255, a defined answer on every platform.
 */
export function castU8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
}

/** A new image with every value cast as uint8 (see castU8). */
export function toUint8(img: Img): Img {
  if (img.uint8) return img;
  const d = new Float32Array(img.data.length);
  for (let i = 0; i < d.length; i++) d[i] = castU8(img.data[i]);
  return { ...img, data: d, uint8: true };
}

/** Rounds and saturates as OpenCV stores a computed value in a uint8 image. */
export function saturateU8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

export function requireHwc(img: Img, who: string): void {
  if (img.chw) throw new Error(`${who}: expected an HWC image (before Permute), got a CHW one; move ${who} before Permute`);
}
