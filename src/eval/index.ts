/** Evaluation metrics: VOC mAP as PaddleDetection's DetectionMAP computes it. */
export { vocMap, VocMapAccumulator, VocMapError, jaccard, MAP_TYPES, type VocImage, type VocMapOptions, type VocMapResult, type ClassAp, type MapType } from './voc_map';
