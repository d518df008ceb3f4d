/**
 * The model zoo's entry point: buildModel(config) turns a resolved config (src/config's
 * `cfg.model`, i.e. `{__type__: 'YOLOv3', backbone: {__type__: 'MobileNet', ...}, yolo_head:
 * {...}}`, or a plain PaddleDetection-style tree `{architecture: 'YOLOv3', YOLOv3: {backbone:
 * 'MobileNet', ...}, MobileNet: {...}, ...}`) into a Graph with exact PaddleDetection parameter
 * names, plus what the trainer, evaluator and exporter need around it (raw output names,
 * anchors, post-processing). One new backbone is one file plus one line in BACKBONES.
 *
 * The graph is the same in every mode (train, eval, test): the YOLOv3 loss and the box
 * decoding + NMS run on its raw outputs. Parameters have shapes but no data until
 * initModel() (seeded) or a weights loader fills them.
 */
import type { Backend } from '../backend/backend';
import type { Tensor } from '../backend/tensor';
import { GraphBuilder } from '../graph/builder';
import type { Graph } from '../graph/graph';
import { initParams } from '../graph/init';
import type { Dims } from '../graph/types';
import { MODEL_LIMITS } from '../config/limits';
import { ModelError, type Component } from './common';
import { darkNet } from './darknet';
import { mobileNetV1 } from './mobilenet';
import type { Detection } from './nms';
import { buildRcnn, type RcnnModel } from './rcnn_model';
import { resNet } from './resnet';
import { yoloDetections } from './yolo_detections';
import { yoloHeadConfig, yoloV3Head, type YoloHeadConfig } from './yolo_head';

export { ModelError, type Component } from './common';
export type { Detection } from './nms';
export type { YoloHeadConfig, NmsConfig } from './yolo_head';
export { RCNN_INPUT_SHAPE, type RcnnModel, type RcnnBatch, type RcnnDetection, type RcnnImInfo, type RcnnLoss, type RcnnSettings, type RcnnValues } from './rcnn_model';

type BackboneFn = (b: GraphBuilder, x: string, c: Component) => string[];

export const BACKBONES: Record<string, BackboneFn> = {
  MobileNet: mobileNetV1,
  DarkNet: darkNet,
  ResNet: resNet,
};

const AVAILABLE_ARCHS = ['YOLOv3', 'FasterRCNN', 'MaskRCNN'];
const RCNN_ARCHS = ['FasterRCNN', 'MaskRCNN'] as const;
const KNOWN_ARCHS = ['YOLOv3', 'FasterRCNN', 'MaskRCNN', 'CascadeRCNN', 'CascadeMaskRCNN', 'SSD', 'RetinaNet', 'FCOS', 'TTFNet', 'SOLOv2', 'EfficientDet'];

export type ModelMode = 'train' | 'eval' | 'test';

export interface BuildOptions {
  mode?: ModelMode;
  /** network input [N, 3, H, W]; default [1, 3, 608, 608] (R-CNN: [1, 3, 800, 1333]) */
  inputShape?: Dims;
  /** R-CNN: the RoI count the graph's shapes are inferred with (default 1; a forward takes any) */
  numRois?: number;
}

export interface YoloModel {
  architecture: 'YOLOv3';
  mode: ModelMode;
  graph: Graph;
  /** the image input's value name */
  input: string;
  /** raw output value names, deepest level first ([N, A*(5+C), H, W] each) */
  outputs: string[];
  head: YoloHeadConfig;
  /** per level: the anchors it predicts ([w, h] pairs) */
  levelAnchors: number[][][];
  /**
   * Boxes from raw outputs (one tensor per level, in `outputs` order, or a map by name):
   * for each image, detections in original-image pixels given imSizes[n] = [height, width].
   */
  postprocess(raw: Tensor[] | Record<string, Tensor>, imSizes: Array<[number, number]>): Detection[][];
  /** Frees every parameter tensor of the graph (on any backend); `using m = buildModel(...)` calls it. */
  dispose(): void;
  [Symbol.dispose](): void;
}

function isComponent(v: unknown): v is Component {
  return typeof v === 'object' && v !== null && typeof (v as Component).__type__ === 'string';
}

/** A sub-component given by name (looked up in the plain tree) or inline. */
function sub(tree: Record<string, unknown>, v: unknown, what: string): Component {
  if (isComponent(v)) return v;
  if (typeof v === 'string') {
    const sec = Object.hasOwn(tree, v) ? tree[v] : undefined;
    return { ...(typeof sec === 'object' && sec !== null ? (sec as Record<string, unknown>) : {}), __type__: v };
  }
  throw new ModelError(`model: expected a component name or section for ${what}, got ${JSON.stringify(v)}`);
}

/** The architecture component, from either config shape. */
export function modelComponent(cfg: Record<string, unknown>): { model: Component; tree: Record<string, unknown> } {
  if (isComponent(cfg.model)) return { model: cfg.model, tree: cfg };
  if (isComponent(cfg)) return { model: cfg, tree: {} };
  const arch = cfg.architecture;
  if (typeof arch !== 'string') throw new ModelError(`model: expected an architecture name for architecture, got ${JSON.stringify(arch)}`);
  return { model: sub(cfg, arch, 'architecture'), tree: cfg };
}

/** Any available architecture: a YOLOv3 model or an R-CNN model object. */
export type DetectionModel = YoloModel | RcnnModel;

function archOf(cfg: Record<string, unknown>): { model: Component; tree: Record<string, unknown>; arch: string } {
  const { model, tree } = modelComponent(cfg);
  const arch = model.__type__;
  if (!AVAILABLE_ARCHS.includes(arch)) {
    if (KNOWN_ARCHS.includes(arch)) throw new ModelError(`architecture ${arch} is not available yet`);
    throw new ModelError(`model: expected one of ${AVAILABLE_ARCHS.join(', ')} for architecture, got '${arch}'`);
  }
  return { model, tree, arch };
}

/** Builds any available architecture (YOLOv3, FasterRCNN, MaskRCNN). */
export function buildAnyModel(cfg: Record<string, unknown>, opts: BuildOptions = {}): DetectionModel {
  const { arch } = archOf(cfg);
  return (RCNN_ARCHS as readonly string[]).includes(arch) ? buildRcnnModel(cfg, opts) : buildModel(cfg, opts);
}

/** Builds a FasterRCNN / MaskRCNN config into its model object (rcnn_model.ts). */
export function buildRcnnModel(cfg: Record<string, unknown>, opts: BuildOptions = {}): RcnnModel {
  const { model, tree, arch } = archOf(cfg);
  if (arch !== 'FasterRCNN' && arch !== 'MaskRCNN') throw new ModelError(`model: expected FasterRCNN or MaskRCNN for architecture, got '${arch}'`);
  const globalClasses = typeof tree.num_classes === 'number' ? tree.num_classes : undefined;
  return buildRcnn(arch, model, (v, what) => sub(tree, v, what), globalClasses, opts);
}

/** Builds a YOLOv3 config (R-CNN configs build with buildRcnnModel or buildAnyModel). */
export function buildModel(cfg: Record<string, unknown>, opts: BuildOptions = {}): YoloModel {
  const { model, tree, arch } = archOf(cfg);
  // YOLOv3-only paths (export, sensitivity) call this; R-CNN models are a different object.
  if (arch !== 'YOLOv3') throw new ModelError(`architecture ${arch}: this is not available yet for R-CNN models (buildModel makes YOLOv3 models, buildRcnnModel R-CNN ones)`);
  const mode = opts.mode ?? 'train';
  const backboneCfg = sub(tree, model.backbone, 'backbone');
  // own entries only: a name like 'toString' or '__proto__' is not a backbone
  const backbone = Object.hasOwn(BACKBONES, backboneCfg.__type__) ? BACKBONES[backboneCfg.__type__] : undefined;
  if (!backbone) throw new ModelError(`model: expected one of ${Object.keys(BACKBONES).join(', ')} for backbone, got '${backboneCfg.__type__}'`);
  const headCfg = sub(tree, model.yolo_head ?? 'YOLOv3Head', 'yolo_head');
  if (headCfg.__type__ !== 'YOLOv3Head') throw new ModelError(`model: expected YOLOv3Head for yolo_head, got '${headCfg.__type__}'`);
  const globalClasses = typeof tree.num_classes === 'number' ? tree.num_classes : undefined;
  const head = yoloHeadConfig(headCfg, globalClasses);

  const shape = opts.inputShape ?? [1, 3, 608, 608];
  if (shape.length !== 4 || shape[1] !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ModelError(`model: expected an input shape [N, 3, H, W] for inputShape, got ${JSON.stringify(shape)}`);
  }
  // The head concatenates upsampled stride-32 maps with stride-16 and stride-8 ones.
  const { yoloStride: stride, imageSide } = MODEL_LIMITS;
  if (shape[0] > 1024 || shape.slice(2).some((d) => d % stride !== 0 || d > imageSide)) {
    throw new ModelError(`model: expected N <= 1024 and H, W multiples of ${stride} up to ${imageSide} (YOLOv3 downsamples by ${stride}) for inputShape, got ${JSON.stringify(shape)}`);
  }
  const b = new GraphBuilder();
  const image = b.input('image', shape);
  const blocks = backbone(b, image, backboneCfg);
  const outputs = yoloV3Head(b, blocks, headCfg, head);
  b.output(...outputs);
  const levelAnchors = head.anchorMasks.map((m) => m.map((k) => head.anchors[k]));

  const postprocess = (raw: Tensor[] | Record<string, Tensor>, imSizes: Array<[number, number]>): Detection[][] => {
    const list = Array.isArray(raw) ? raw : outputs.map((o) => raw[o]);
    if (list.length !== outputs.length || list.some((t) => !t)) {
      throw new ModelError(`postprocess: expected ${outputs.length} raw outputs for raw, got ${list.filter((t) => t).length}`);
    }
    const N = list[0].shape[0];
    if (imSizes.length !== N) throw new ModelError(`postprocess: expected ${N} image sizes for imSizes, got ${imSizes.length}`);
    const data = list.map((t) => t.toArray());
    const C = head.numClasses;
    list.forEach((t, i) => {
      const want = levelAnchors[i].length * (5 + C);
      if (t.shape[1] !== want) throw new ModelError(`postprocess: expected ${want} channels for output ${i}, got ${t.shape[1]}`);
    });
    const levels = list.map((t, i) => ({ data: data[i], shape: t.shape }));
    return imSizes.map((size, n) => yoloDetections(levels, n, size, head));
  };
  const graph = b.graph;
  return {
    architecture: 'YOLOv3', mode, graph, input: image, outputs, head, levelAnchors, postprocess,
    dispose: () => graph.dispose(),
    [Symbol.dispose]: () => graph.dispose(),
  };
}

/** Seeded initialisation of every parameter (PaddleDetection's initialisers). */
export function initModel(model: { graph: Graph }, opts: { seed?: number; backend?: Backend<any> } = {}): void {
  initParams(model.graph, opts);
}
