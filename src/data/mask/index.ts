/** Instance masks: COCO run-length encoding, polygon rasterisation, mask tracing, pasting. */
export { MaskError, encodeMask, decodeRle, countsToString, countsFromString, toCocoRle, fromCocoRle, rleArea, rleToBbox, rleIntersection, rleMerge, rleIou, runsOfColumnMajor, type Rle, type CocoRle } from './rle';
export { polygonToRle, segmentationToRle, isPolygons, type Segmentation } from './polygon';
export { maskToPolygons } from './trace';
export { pasteMask } from './paste';
