/**
 * COCODataSet: an instances JSON (anno_path) with images under image_dir. Categories map to
 * contiguous class ids in the file's category order (from 1 with with_background). Boxes
 * are [x, y, w, h] -> x1 = max(0, x), x2 = min(W - 1, x1 + max(0, w - 1)) (and likewise y),
 * kept when x2 >= x1 and y2 >= y1; crowd annotations (iscrowd 1) are left out. Images with no
 * box left are skipped, as PaddleDetection does; a file without "annotations" gives images
 * only. A missing image file is a bad sample.
 *
 * Segmentations, when the file has any, are kept per box as gt_poly (DataRecord.gtPoly), in the
 * box order: polygons as they are, an RLE (compressed or not) traced into polygons that cover
 * exactly its pixels, so every consumer sees one form; a box without a segmentation gets no
 * polygon. A malformed segmentation is an error naming the file and the annotation id.
 */
import * as fs from 'fs';
import type { DataRecord } from '../types';
import { BadSampleError, DataError, messageOf } from '../errors';
import { DataSet, badSampleHandler, defaultWarn, type DatasetContents, type LoadOptions } from './base';
import { decodeRle, fromCocoRle } from '../mask/rle';
import { maskToPolygons } from '../mask/trace';

interface CocoJson {
  images?: Array<{ id: number; file_name: string; width: number; height: number }>;
  annotations?: Array<{ id?: number; image_id: number; category_id: number; bbox: number[]; iscrowd?: number; segmentation?: unknown }>;
  categories?: Array<{ id: number; name: string }>;
}

export class COCODataSet extends DataSet {
  load(opts: LoadOptions = {}): DatasetContents {
    const warn = opts.warn ?? defaultWarn;
    const bad = badSampleHandler(opts);
    if (!this.annoPath) throw new DataError('COCODataSet: expected anno_path (an instances JSON file), got none');
    const file = this.resolve(this.annoPath);
    if (!file.endsWith('.json')) throw new DataError(`COCODataSet: expected anno_path to be a .json file, got ${file}`);
    this.requireFile(file, 'COCODataSet anno_path');
    let js: CocoJson;
    try {
      js = JSON.parse(fs.readFileSync(file, 'utf8')) as CocoJson;
    } catch (e) {
      throw new DataError(`COCODataSet: cannot parse ${file} as JSON (${messageOf(e)})`);
    }
    if (!Array.isArray(js.images) || !Array.isArray(js.categories)) {
      throw new DataError(`COCODataSet: expected "images" and "categories" lists in ${file}`);
    }
    const off = this.withBackground ? 1 : 0;
    const catToCls = new Map<number, number>();
    js.categories.forEach((c, i) => catToCls.set(c.id, i + off));
    const names = js.categories.map((c) => c.name);
    const imageOnly = !Array.isArray(js.annotations);
    if (imageOnly) warn(`${file} has no "annotations": loading images only`);
    const byImage = new Map<number, NonNullable<CocoJson['annotations']>>();
    for (const a of js.annotations ?? []) {
      if ((a.iscrowd ?? 0) !== 0) continue;
      let list = byImage.get(a.image_id);
      if (!list) byImage.set(a.image_id, (list = []));
      list.push(a);
    }
    const withMasks = (js.annotations ?? []).some((a) => a.segmentation !== undefined && (a.iscrowd ?? 0) === 0);
    const records: DataRecord[] = [];
    for (const im of js.images) {
      const imFile = this.resolve(this.imageDir, im.file_name);
      const W = Number(im.width);
      const H = Number(im.height);
      try {
        if (!fs.existsSync(imFile)) throw new BadSampleError(imFile, 'image file not found');
        if (!(W >= 0) || !(H >= 0)) throw new BadSampleError(imFile, `expected a non-negative size in ${file}, got ${im.width}x${im.height}`);
      } catch (e) {
        bad.handle(e as BadSampleError);
        continue;
      }
      const rec: DataRecord = { imFile, imId: im.id, h: H, w: W, gtBbox: [], gtClass: [], gtScore: [], isCrowd: [], difficult: [] };
      if (withMasks) rec.gtPoly = [];
      if (!imageOnly) {
        for (const a of byImage.get(im.id) ?? []) {
          const cls = catToCls.get(a.category_id);
          if (cls === undefined) throw new DataError(`COCODataSet: annotation of image ${im.id} has category_id ${a.category_id}, which is not in "categories" of ${file}`);
          const [x, y, bw, bh] = a.bbox;
          const x1 = Math.max(0, x);
          const y1 = Math.max(0, y);
          const x2 = Math.min(W - 1, x1 + Math.max(0, bw - 1));
          const y2 = Math.min(H - 1, y1 + Math.max(0, bh - 1));
          if (x2 >= x1 && y2 >= y1) {
            rec.gtBbox.push([x1, y1, x2, y2]);
            rec.gtClass.push(cls);
            rec.gtScore.push(1);
            rec.isCrowd.push(0);
            rec.difficult.push(0);
            if (rec.gtPoly) rec.gtPoly.push(polygonsOf(a.segmentation, H, W, `COCODataSet: ${file}: annotation ${JSON.stringify(a.id)} (image ${im.id})`));
          } else {
            warn(`${file}: dropping a box of image ${im.id} (${im.file_name}) that is empty inside the image (x1 ${x1}, y1 ${y1}, x2 ${x2}, y2 ${y2})`);
          }
        }
        if (rec.gtBbox.length === 0) continue;
      }
      records.push(rec);
      if (this.sampleNum > 0 && records.length >= this.sampleNum) break;
    }
    if (records.length === 0) throw new DataError(`COCODataSet: no usable sample in ${file}`);
    return { records, labels: this.withBackground ? ['background', ...names] : names, skipped: bad.count() };
  }
}

/** An annotation's segmentation as polygons ([] when it has none). */
function polygonsOf(segm: unknown, H: number, W: number, what: string): number[][] {
  if (segm === undefined || segm === null) return [];
  if (Array.isArray(segm)) {
    segm.forEach((p, i) => {
      if (!Array.isArray(p) || p.length % 2 !== 0 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new DataError(`${what}: expected segmentation polygon ${i} to be a list of finite x, y pairs, got ${JSON.stringify(p)?.slice(0, 80)}`);
      }
    });
    return (segm as number[][]).map((p) => p.slice());
  }
  if (typeof segm === 'object' && 'counts' in (segm as object)) {
    try {
      const rle = fromCocoRle(segm, what, [H, W]);
      return maskToPolygons(decodeRle(rle), H, W);
    } catch (e) {
      throw new DataError(messageOf(e));
    }
  }
  throw new DataError(`${what}: expected a segmentation as a list of polygons or an RLE {size, counts}, got ${JSON.stringify(segm)?.slice(0, 80)}`);
}
