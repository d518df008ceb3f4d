/** Datasets by config name (the `!VOCDataSet {...}` tag of a reader's dataset). */
import { DataError } from '../errors';
import type { DataSet, DatasetFields, LoadOptions } from './base';
import { VOCDataSet } from './voc';
import { COCODataSet } from './coco';
import { ImageFolder } from './image_folder';

export { DataSet, type DatasetContents, type DatasetFields, type LoadOptions } from './base';
export { VOCDataSet, VOC_LABELS, parseVocXml } from './voc';
export { COCODataSet } from './coco';
export { ImageFolder } from './image_folder';

export function buildDataset(cfg: { __type__: string } & DatasetFields, opts: LoadOptions & { images?: readonly string[] } = {}): DataSet {
  switch (cfg.__type__) {
    case 'VOCDataSet':
      return new VOCDataSet(cfg, opts);
    case 'COCODataSet':
      return new COCODataSet(cfg, opts);
    case 'ImageFolder':
      return new ImageFolder(cfg, opts, opts.images ?? null);
    default:
      throw new DataError(`dataset ${cfg.__type__} is not supported (supported: VOCDataSet, COCODataSet, ImageFolder)`);
  }
}
