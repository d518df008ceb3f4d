/**
 * ImageFolder: images to run inference on, no ground truth. image_dir (relative to
 * dataset_dir) is a directory (searched recursively, sorted, .jpg/.jpeg/.png/.bmp), one image,
 * or a .txt file listing images one a line (relative to the list's folder); `images` given in
 * code replaces it. Class names come from anno_path when it is there: an instances JSON's
 * categories or a label list, or the VOC names with use_default_label.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DataRecord } from '../types';
import { DataError, messageOf } from '../errors';
import { DataSet, type DatasetContents, type DatasetFields, type LoadOptions } from './base';
import { VOC_LABELS, readLabelList } from './voc';

const IMAGE_EXT = /\.(jpe?g|png|bmp)$/i;

function walk(dir: string, out: string[]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (IMAGE_EXT.test(e.name)) out.push(p);
  }
}

export class ImageFolder extends DataSet {
  constructor(
    fields: DatasetFields,
    opts: LoadOptions = {},
    private readonly images: readonly string[] | null = null,
  ) {
    super(fields, opts);
  }

  private listImages(): string[] {
    if (this.images) return this.images.map((p) => path.resolve(p));
    const target = this.resolve(this.imageDir);
    if (!fs.existsSync(target)) throw new DataError(`ImageFolder: image_dir ${target} not found`);
    if (fs.statSync(target).isDirectory()) {
      const out: string[] = [];
      walk(target, out);
      return out;
    }
    if (IMAGE_EXT.test(target)) return [target];
    if (target.endsWith('.txt')) {
      const base = path.dirname(target);
      return readLabelList(target).map((l) => path.resolve(base, l));
    }
    throw new DataError(`ImageFolder: expected image_dir to be a folder, an image or a .txt list of images, got ${target}`);
  }

  private labels(): string[] {
    if (this.fields.use_default_label) return VOC_LABELS;
    if (!this.annoPath) return [];
    const file = this.resolve(this.annoPath);
    if (!fs.existsSync(file)) return [];
    try {
      if (file.endsWith('.json')) {
        const js = JSON.parse(fs.readFileSync(file, 'utf8')) as { categories?: Array<{ name: string }> };
        return (js.categories ?? []).map((c) => c.name);
      }
      return readLabelList(file);
    } catch (e) {
      throw new DataError(`ImageFolder: cannot read class names from anno_path ${file} (${messageOf(e)})`);
    }
  }

  load(_opts: LoadOptions = {}): DatasetContents {
    const files = this.listImages();
    const records: DataRecord[] = [];
    for (const f of files) {
      if (this.sampleNum > 0 && records.length >= this.sampleNum) break;
      records.push({ imFile: f, imId: records.length, h: 0, w: 0, gtBbox: [], gtClass: [], gtScore: [], isCrowd: [], difficult: [] });
    }
    if (records.length === 0) throw new DataError(`ImageFolder: no image found in ${this.images ? 'the given list' : this.resolve(this.imageDir)}`);
    const names = this.labels();
    return { records, labels: this.withBackground && names.length ? ['background', ...names] : names, skipped: 0 };
  }
}
