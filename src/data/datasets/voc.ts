/**
 * VOCDataSet. anno_path lists `<image> <xml>` per line, both relative to dataset_dir/image_dir.
 * Classes: label_list (one name a line, in dataset_dir) or the 20 VOC names
 * (use_default_label); ids start at 1 with with_background, else 0. From each XML: <size>,
 * optional <id> (else a running count), each <object>'s name, difficult (0 when absent) and
 * bndbox. Boxes are clipped to [0, w - 1] x [0, h - 1]; one that is then empty (x2 <= x1 or
 * y2 <= y1) is dropped with a warning. An image file that is missing, an XML that is missing or
 * malformed, an unknown class, or an annotation left with no boxes is a bad sample.
 */
import * as fs from 'fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DataRecord } from '../types';
import { BadSampleError, DataError, messageOf } from '../errors';
import { DataSet, badSampleHandler, defaultWarn, type DatasetContents, type LoadOptions } from './base';

export const VOC_LABELS = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'object' });

type XmlNode = Record<string, unknown>;

function text(node: unknown, key: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as XmlNode)[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? undefined : String(v).trim();
}

function numberAt(node: unknown, key: string, xml: string, where: string): number {
  const t = text(node, key);
  const v = t === undefined || t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new BadSampleError(xml, `expected a number in ${where}<${key}>, got ${t === undefined ? 'nothing' : JSON.stringify(t)}`);
  return v;
}

/** Parses one VOC annotation file into boxes (pixels, clipped), class ids and difficult flags. */
export function parseVocXml(
  xmlFile: string,
  cname2cid: ReadonlyMap<string, number>,
  warn: (line: string) => void = defaultWarn,
): { id: number | null; w: number; h: number; boxes: number[][]; classes: number[]; difficult: number[]; objects: number } {
  let src: string;
  try {
    src = fs.readFileSync(xmlFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadSampleError(xmlFile, code === 'ENOENT' ? 'annotation file not found' : `cannot read annotation (${messageOf(e)})`);
  }
  const valid = XMLValidator.validate(src);
  if (valid !== true) throw new BadSampleError(xmlFile, `malformed XML (${valid.err.msg} at line ${valid.err.line})`);
  let doc: XmlNode;
  try {
    doc = parser.parse(src) as XmlNode;
  } catch (e) {
    throw new BadSampleError(xmlFile, `malformed XML (${messageOf(e)})`);
  }
  const ann = doc.annotation as XmlNode | undefined;
  if (!ann || typeof ann !== 'object') throw new BadSampleError(xmlFile, 'expected an <annotation> root element');
  const size = ann.size;
  if (!size || typeof size !== 'object') throw new BadSampleError(xmlFile, 'expected a <size> element with <width> and <height>');
  const w = numberAt(size, 'width', xmlFile, '<size>');
  const h = numberAt(size, 'height', xmlFile, '<size>');
  if (w <= 0 || h <= 0) throw new BadSampleError(xmlFile, `expected a positive image size, got ${w}x${h}`);
  const idText = text(ann, 'id');
  const id = idText !== undefined && idText !== '' && Number.isFinite(Number(idText)) ? Math.trunc(Number(idText)) : null;
  const objs = (ann.object as XmlNode[] | undefined) ?? [];
  const boxes: number[][] = [];
  const classes: number[] = [];
  const difficult: number[] = [];
  objs.forEach((obj, i) => {
    const name = text(obj, 'name');
    if (name === undefined) throw new BadSampleError(xmlFile, `object ${i + 1} has no <name>`);
    const cid = cname2cid.get(name);
    if (cid === undefined) throw new BadSampleError(xmlFile, `object ${i + 1}: class "${name}" is not in the label list (${[...cname2cid.keys()].slice(0, 12).join(', ')}${cname2cid.size > 12 ? ', ...' : ''})`);
    const dText = text(obj, 'difficult');
    const diff = dText === undefined || dText === '' ? 0 : Math.trunc(Number(dText)) || 0;
    const bb = obj.bndbox;
    if (!bb || typeof bb !== 'object') throw new BadSampleError(xmlFile, `object ${i + 1} has no <bndbox>`);
    const where = `object ${i + 1} <bndbox>`;
    let x1 = numberAt(bb, 'xmin', xmlFile, where);
    let y1 = numberAt(bb, 'ymin', xmlFile, where);
    let x2 = numberAt(bb, 'xmax', xmlFile, where);
    let y2 = numberAt(bb, 'ymax', xmlFile, where);
    x1 = Math.max(0, x1);
    y1 = Math.max(0, y1);
    x2 = Math.min(w - 1, x2);
    y2 = Math.min(h - 1, y2);
    if (x2 > x1 && y2 > y1) {
      boxes.push([x1, y1, x2, y2]);
      classes.push(cid);
      difficult.push(diff);
    } else {
      warn(`${xmlFile}: dropping object ${i + 1} ("${name}"), its box is empty inside the ${w}x${h} image (x1 ${x1}, y1 ${y1}, x2 ${x2}, y2 ${y2})`);
    }
  });
  return { id, w, h, boxes, classes, difficult, objects: objs.length };
}

/** Class name -> id from label_list lines or the VOC names. */
export function vocClassMap(names: readonly string[], withBackground: boolean): Map<string, number> {
  const m = new Map<string, number>();
  names.forEach((n, i) => m.set(n, i + (withBackground ? 1 : 0)));
  return m;
}

export function readLabelList(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export class VOCDataSet extends DataSet {
  load(opts: LoadOptions = {}): DatasetContents {
    const warn = opts.warn ?? defaultWarn;
    const bad = badSampleHandler(opts);
    if (!this.annoPath) throw new DataError('VOCDataSet: expected anno_path (a list of "<image> <xml>" lines), got none');
    const listFile = this.resolve(this.annoPath);
    this.requireFile(listFile, 'VOCDataSet anno_path');
    let names: string[];
    if (this.fields.use_default_label) names = VOC_LABELS;
    else {
      const labelFile = this.resolve(this.fields.label_list ?? 'label_list.txt');
      this.requireFile(labelFile, 'VOCDataSet label_list');
      names = readLabelList(labelFile);
      if (names.length === 0) throw new DataError(`VOCDataSet label_list ${labelFile} lists no class names`);
    }
    const cname2cid = vocClassMap(names, this.withBackground);
    const records: DataRecord[] = [];
    let ct = 0;
    const lines = fs.readFileSync(listFile, 'utf8').split(/\r?\n/);
    for (let ln = 0; ln < lines.length; ln++) {
      const parts = lines[ln].trim().split(/\s+/).filter(Boolean);
      if (parts.length === 0) continue;
      if (parts.length < 2) throw new DataError(`${listFile} line ${ln + 1}: expected "<image> <xml>", got ${JSON.stringify(lines[ln].trim())}`);
      const img = this.resolve(this.imageDir, parts[0]);
      const xml = this.resolve(this.imageDir, parts[1]);
      try {
        if (!fs.existsSync(img)) throw new BadSampleError(img, 'image file not found');
        const a = parseVocXml(xml, cname2cid, warn);
        if (a.boxes.length === 0) {
          throw new BadSampleError(xml, a.objects === 0 ? 'annotation has no <object>' : 'no valid box left after clipping to the image');
        }
        const n = a.boxes.length;
        records.push({
          imFile: img,
          imId: a.id ?? ct,
          h: a.h,
          w: a.w,
          gtBbox: a.boxes,
          gtClass: a.classes,
          gtScore: new Array<number>(n).fill(1),
          isCrowd: new Array<number>(n).fill(0),
          difficult: a.difficult,
        });
      } catch (e) {
        if (!(e instanceof BadSampleError)) throw e;
        bad.handle(e);
        continue;
      }
      ct++;
      if (this.sampleNum > 0 && ct >= this.sampleNum) break;
    }
    if (records.length === 0) throw new DataError(`VOCDataSet: no usable sample in ${listFile}`);
    const labels = this.withBackground ? ['background', ...names] : [...names];
    return { records, labels, skipped: bad.count() };
  }
}
