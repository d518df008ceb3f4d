/**
 * The inference API: a detector from an export folder (model.json + weights.bin), or from a
 * model in memory, that takes encoded image bytes (JPEG, PNG, WebP, ...) and returns boxes in
 * the image's pixels.
 *
 *     const model = await loadInferenceModel('output/yolov3_mobilenet_v1_digits');
 *     const dets = await model.detect(fs.readFileSync('a.jpg'));   // [{label, classId, score, box}]
 *
 * Preprocessing is the TestReader's (resize, normalise, permute) run by the data pipeline's own
 * transforms, so an image is prepared exactly as `slimprune eval` prepares it; the graph runs
 * on the backend the engine picks (CUDA, native CPU, WASM, reference).
 */
import { Tensor } from '../backend/tensor';
import type { Backend } from '../backend/backend';
import { buildTransform } from '../data/transforms';
import { Rng } from '../data/rng';
import { loadSharp } from '../data/image';
import type { Sample } from '../data/types';
import type { Graph } from '../graph/graph';
import { forward } from '../graph/executor';
import { InferenceRunner } from '../graph/replay';
import type { YoloHeadConfig } from '../nn';
import { readNativeModel } from '../export/native_format';
import { yoloDetections } from '../nn/yolo_detections';

export class InferError extends Error {
  override name = 'InferError';
}

export interface InferDetection {
  classId: number;
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in the image's pixels */
  box: [number, number, number, number];
}

export interface DetectOptions {
  /** drop detections scored below this (default: keep every one NMS kept) */
  threshold?: number;
}

export interface InferenceParts {
  graph: Graph;
  input: string;
  outputs: string[];
  head: YoloHeadConfig;
  labels: string[];
  /** TestReader transforms after DecodeImage, config form ({__type__, ...fields}) */
  preprocess: Array<Record<string, unknown>>;
  /** the graph belongs to the model (disposed with it) */
  owned: boolean;
}

export class InferenceModel {
  private readonly ops;
  /**
   * when the model owns its graph (nothing else writes its weights): the filters' packed copies
   * and each input shape's recorded kernel calls, kept across detect() calls (graph/replay.ts)
   */
  private readonly runner: InferenceRunner | null;

  constructor(private readonly parts: InferenceParts) {
    this.runner = parts.owned ? new InferenceRunner(parts.graph, { fetch: parts.outputs, captureAfter: 2 }) : null;
    this.ops = parts.preprocess.map((t) => {
      const op = buildTransform(t as never);
      if (op.kind !== 'sample') throw new InferError(`model: expected per-image preprocessing transforms, got ${op.name} (${op.kind})`);
      return op;
    });
  }

  get labels(): readonly string[] {
    return this.parts.labels;
  }

  /** Decodes `image` and prepares it as the TestReader does: [1, 3, H, W] values and the original [h, w]. */
  async prepare(image: Uint8Array): Promise<{ data: Float32Array; shape: number[]; imSize: [number, number] }> {
    let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
    try {
      decoded = await loadSharp()(image, { failOn: 'warning' }).autoOrient().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new InferError(`detect: expected an encoded image (JPEG, PNG, WebP, ...), got bytes sharp cannot decode (${(e as Error).message})`);
    }
    const { data, info } = decoded;
    const s: Sample = {
      imFile: '', imId: 0, h: info.height, w: info.width, origH: info.height, origW: info.width,
      gtBbox: [], gtClass: [], gtScore: [], isCrowd: [], difficult: [],
      image: { data: Float32Array.from(data), h: info.height, w: info.width, c: 3, chw: false, uint8: true },
    };
    const rng = new Rng(0);
    let cur = s;
    for (const op of this.ops) cur = (op as { apply(s: Sample, r: Rng, c: { fields: string[] }): Sample }).apply(cur, rng, { fields: ['image'] });
    const img = cur.image!;
    if (!img.chw) throw new InferError('detect: expected the preprocessing to end in CHW layout (a Permute with channel_first), got HWC');
    return { data: img.data, shape: [1, img.c, img.h, img.w], imSize: [info.height, info.width] };
  }

  /** Detections in `image` (encoded bytes), best first per class as NMS leaves them. */
  async detect(image: Uint8Array, o: DetectOptions = {}): Promise<InferDetection[]> {
    const { data, shape, imSize } = await this.prepare(image);
    const x = Tensor.from(data, shape, this.backend());
    let raw: Array<{ data: ArrayLike<number>; shape: number[] }>;
    try {
      const feeds = { [this.parts.input]: x };
      const outputs = this.runner ? this.runner.run(feeds) : forward(this.parts.graph, feeds, { training: false, fetch: this.parts.outputs }).outputs;
      raw = this.parts.outputs.map((k) => ({ data: outputs[k].toArray(), shape: [...outputs[k].shape] }));
      Object.values(outputs).forEach((t) => t.dispose());
    } finally {
      x.dispose();
    }
    const th = o.threshold ?? -Infinity;
    return yoloDetections(raw, 0, imSize, this.parts.head)
      .filter((d) => d.score >= th)
      .map((d) => ({ classId: d.classId, label: this.parts.labels[d.classId] ?? String(d.classId), score: d.score, box: d.box }));
  }

  private backend(): Backend<any> | undefined {
    for (const p of this.parts.graph.params.values()) if (p.tensor) return p.tensor.backend;
    return undefined;
  }

  dispose(): void {
    this.runner?.dispose();
    if (this.parts.owned) this.parts.graph.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The detector in an export folder written by `slimprune export` (model.json + weights.bin). */
export async function loadInferenceModel(dir: string, o: { backend?: Backend<any> } = {}): Promise<InferenceModel> {
  const { graph, json } = readNativeModel(dir, o);
  if (json.architecture !== 'YOLOv3') {
    graph.dispose();
    throw new InferError(`model ${dir}: expected a YOLOv3 export, got ${json.architecture}`);
  }
  return new InferenceModel({ graph, input: json.input.name, outputs: json.outputs, head: json.postprocess, labels: json.labels, preprocess: json.preprocess, owned: true });
}
