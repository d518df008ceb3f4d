/** Inference: a detector from an export folder (or a model in memory) and detections drawn on images. */
export { InferenceModel, loadInferenceModel, InferError, type InferDetection, type DetectOptions, type InferenceParts } from './model';
export { drawDetections, overlaySvg, classColour, classRgb, maskLayer, MASK_ALPHA, type DrawDetection } from './draw';
export { yoloDetections } from '../nn/yolo_detections';
