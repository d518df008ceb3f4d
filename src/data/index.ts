/**
 * Data: PaddleDetection-format datasets (VOC, COCO, image folders), the reader transforms
 * with their exact semantics, seeded and worker-threaded batching, and the built-in
 * handwritten-digits detection dataset.
 */
export { createReader, type Reader, type ReaderOptions, type ReaderSpec, type ReaderMode } from './reader';
export type { Batch, DataRecord, Sample, Img, BadSamplePolicy } from './types';
export { DataError, BadSampleError } from './errors';
export { buildDataset, DataSet, VOCDataSet, COCODataSet, ImageFolder, VOC_LABELS, parseVocXml, type DatasetContents } from './datasets';
export { buildTransform, buildTransforms, SUPPORTED_TRANSFORMS } from './transforms';
export { Rng, streamFor, STREAM } from './rng';
export { decodeImage } from './image';
export { resizeImage, INTER } from './resize';
export { writeDigitsDataset, type DigitsOptions, type DigitsSummary } from './digits/generate';
export {
  MaskError, encodeMask, decodeRle, toCocoRle, fromCocoRle, countsToString, countsFromString, rleArea, rleToBbox, rleIou, rleMerge,
  polygonToRle, segmentationToRle, maskToPolygons, pasteMask, type Rle, type CocoRle, type Segmentation,
} from './mask';
