/**
 * The digits dataset in COCO's layout, named as the COCO files the PaddleDetection readers
 * point at, so a reader config needs only its dataset_dir changed:
 *
 *   DIR/train2017/train_NNNNNN.jpg, DIR/val2017/val_NNNNNN.jpg
 *   DIR/annotations/instances_train2017.json, DIR/annotations/instances_val2017.json
 *
 * Categories 1..10 are the digits "0".."9". Each digit is one annotation: bbox [x, y, w, h]
 * of its ink (the VOC box x1, y1, x2, y2 as x1, y1, x2 - x1 + 1, y2 - y1 + 1), segmentation
 * the outlines of its own ink pixels as polygons (one per 4-connected part, holes cut out; they
 * rasterise back to exactly those pixels), area the number of those pixels, iscrowd 0.
 */
import type { Composed } from './compose';
import { maskToPolygons } from '../mask/trace';

export const COCO_SPLITS = { train: { dir: 'train2017', anno: 'instances_train2017.json', stem: 'train' }, test: { dir: 'val2017', anno: 'instances_val2017.json', stem: 'val' } } as const;

export interface CocoImageEntry { id: number; file_name: string; width: number; height: number }
export interface CocoAnnEntry { id: number; image_id: number; category_id: number; bbox: number[]; area: number; iscrowd: 0; segmentation: number[][] }

/** Image and annotation entries of one composed image; annotation ids from `nextAnnId`. */
export function cocoEntries(c: Composed, imageId: number, fileName: string, nextAnnId: number): { image: CocoImageEntry; annotations: CocoAnnEntry[] } {
  const annotations = c.objects.map((o, i) => {
    if (!o.mask) throw new Error('digits: COCO entries need the digits composed with masks');
    const [x1, y1, x2, y2] = o.box;
    let area = 0;
    for (const v of o.mask) area += v;
    return {
      id: nextAnnId + i, image_id: imageId, category_id: o.label + 1,
      bbox: [x1, y1, x2 - x1 + 1, y2 - y1 + 1], area, iscrowd: 0 as const,
      segmentation: maskToPolygons(o.mask, c.size, c.size),
    };
  });
  return { image: { id: imageId, file_name: fileName, width: c.size, height: c.size }, annotations };
}

export function cocoCategories(labels: readonly string[]): Array<{ id: number; name: string; supercategory: string }> {
  return labels.map((name, i) => ({ id: i + 1, name, supercategory: 'digit' }));
}
