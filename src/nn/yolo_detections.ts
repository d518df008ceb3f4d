/**
 * YOLOv3 box decoding + multiclass NMS on raw head outputs, from the head settings alone: the
 * model zoo's postprocess and the inference model (which has only an export folder) both run it.
 */
import { multiclassNms, type Detection } from './nms';
import { decodeYoloLevel } from './yolo_box';
import type { YoloHeadConfig } from './yolo_head';

/** Detections of image n of a batch, in pixels of an original image of size [h, w]. */
export function yoloDetections(raw: Array<{ data: ArrayLike<number>; shape: number[] }>, n: number, imSize: [number, number], head: YoloHeadConfig): Detection[] {
  const C = head.numClasses;
  const [h, w] = imSize;
  const levels = raw.map((t, i) => {
    const [, ch, H, W] = t.shape;
    const anchors = head.anchorMasks[i].map((k) => head.anchors[k]);
    return decodeYoloLevel(t.data, n * ch * H * W, H, W, anchors, C, head.downsample[i], h, w,
      { confThresh: head.nms.scoreThreshold, clipBbox: head.clipBbox, scaleXY: head.scaleXY[i] ?? 1 });
  });
  const M = levels.reduce((s, l) => s + l.count, 0);
  const boxes = new Float64Array(M * 4);
  const scores = new Float64Array(M * C);
  let off = 0;
  for (const l of levels) {
    boxes.set(l.boxes.subarray(0, l.count * 4), off * 4);
    scores.set(l.scores.subarray(0, l.count * C), off * C);
    off += l.count;
  }
  return multiclassNms(boxes, scores, M, C, head.nms);
}
