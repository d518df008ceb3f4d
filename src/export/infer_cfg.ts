/**
 * `infer_cfg.yml` as PaddleDetection's static exporter writes it (deploy/python reads it):
 *   use_python_inference: false, mode: fluid, draw_threshold: 0.5, metric, arch (YOLO for
 *   YOLOv3) and its min_subgraph_size (3), with_background, Preprocess, label_list.
 * Preprocess: TestReader's sample transforms after DecodeImage, each as {type: name without
 * "Image", ...its fields}; a Resize under a fixed image_shape gets target_size = H, max_size 0
 * and image_shape [H, W]; a PadBatch batch transform adds {type: PadStride, stride}.
 * Also: which class names a config's data carries (label_list).
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import type { SlimConfig } from '../config';
import { VOC_LABELS, readLabelList } from '../data/datasets/voc';

const MIN_SUBGRAPH: Record<string, number> = { YOLO: 3, SSD: 3, RCNN: 40, RetinaNet: 40, EfficientDet: 40, Face: 3, TTFNet: 3, FCOS: 33, SOLOv2: 60 };

type Transform = Record<string, unknown> & { __type__?: string };

/** The arch key and min_subgraph_size PaddleDetection writes for an architecture. */
export function inferArch(architecture: string): { arch: string; minSubgraphSize: number } {
  const key = Object.keys(MIN_SUBGRAPH).find((k) => architecture.includes(k));
  return key ? { arch: key, minSubgraphSize: MIN_SUBGRAPH[key] } : { arch: architecture, minSubgraphSize: 3 };
}

/** The fixed [H, W] of TestReader's image_shape, or null. */
export function fixedImageShape(cfg: SlimConfig): [number, number] | null {
  const s = cfg.TestReader?.inputs_def?.image_shape as Array<number | null> | undefined;
  return s && s.length === 3 && typeof s[1] === 'number' && typeof s[2] === 'number' ? [s[1], s[2]] : null;
}

/** TestReader's sample transforms after DecodeImage (config form, __type__ kept). */
export function testTransforms(cfg: SlimConfig, size?: [number, number]): Transform[] {
  const list = ((cfg.TestReader?.sample_transforms ?? []) as Transform[]).filter((t) => t.__type__ !== 'DecodeImage');
  const shape = size ?? fixedImageShape(cfg);
  return list.map((t) => (t.__type__ === 'ResizeImage' && shape ? { ...t, target_size: shape[0], max_size: 0 } : { ...t }));
}

/** Preprocess entries as infer_cfg.yml lists them. */
export function preprocessList(cfg: SlimConfig, size?: [number, number]): Array<Record<string, unknown>> {
  const shape = size ?? fixedImageShape(cfg);
  const out: Array<Record<string, unknown>> = testTransforms(cfg, size).map(({ __type__, ...fields }) => {
    const e: Record<string, unknown> = { type: String(__type__).replace('Image', ''), ...fields };
    if (e.type === 'Resize' && shape) e.image_shape = [...shape];
    return e;
  });
  const pad = ((cfg.TestReader?.batch_transforms ?? []) as Transform[]).find((t) => t.__type__ === 'PadBatch');
  if (pad) out.push({ type: 'PadStride', stride: pad.pad_to_stride ?? 0 });
  return out;
}

function readNames(file: string): string[] {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return [];
  if (file.endsWith('.json')) {
    const js = JSON.parse(fs.readFileSync(file, 'utf8')) as { categories?: Array<{ id: number; name: string }> };
    return [...(js.categories ?? [])].sort((a, b) => a.id - b.id).map((c) => c.name);
  }
  return readLabelList(file);
}

/**
 * Class names: TestReader's dataset (use_default_label: the VOC names; anno_path: a label list
 * or an instances JSON), else EvalReader's label_list / anno_path, else "0".."C-1".
 */
export function labelsOf(cfg: SlimConfig, numClasses: number): string[] {
  const tries: string[][] = [];
  for (const r of [cfg.TestReader, cfg.EvalReader]) {
    const d = r?.dataset as Record<string, unknown> | undefined;
    if (!d) continue;
    if (d.use_default_label === true) tries.push(VOC_LABELS);
    const dir = typeof d.dataset_dir === 'string' ? d.dataset_dir : '';
    for (const key of ['label_list', 'anno_path']) {
      const f = d[key];
      if (typeof f === 'string' && f) {
        try {
          tries.push(readNames(path.resolve(dir, f)));
        } catch {
          // an unreadable list is no label source; the next one is tried
        }
      }
    }
  }
  return tries.find((t) => t.length === numClasses) ?? Array.from({ length: numClasses }, (_, i) => String(i));
}

/** The fields of infer_cfg.yml, in PaddleDetection's order. */
export function inferCfgDoc(cfg: SlimConfig, labels: string[], size?: [number, number]): Record<string, unknown> {
  const { arch, minSubgraphSize } = inferArch(cfg.architecture);
  const d = (cfg.TestReader?.dataset ?? {}) as Record<string, unknown>;
  return {
    use_python_inference: false,
    mode: 'fluid',
    draw_threshold: 0.5,
    metric: cfg.metric,
    arch,
    min_subgraph_size: minSubgraphSize,
    with_background: d.with_background === true,
    Preprocess: preprocessList(cfg, size),
    label_list: labels,
  };
}

/** The text of infer_cfg.yml. */
export function inferCfgYaml(cfg: SlimConfig, labels: string[], size?: [number, number]): string {
  return stringify(inferCfgDoc(cfg, labels, size));
}
