/**
 * Export of a trained (pruned) model for inference: norms folded into convs, then any of
 *   model.onnx              ONNX (verified in onnxruntime-node against slimprune's own output)
 *   model.json, weights.bin slimprune's inference format (src/infer reads it)
 *   infer_cfg.yml           PaddleDetection's deployment config
 * written into one folder, each file whole or not at all. Faster / Mask R-CNN export as two
 * ONNX files around their proposals (rcnn_export.ts).
 */
import * as path from 'path';
import type { SlimConfig } from '../config';
import type { YoloModel } from '../nn';
import type { PruneRecord } from '../prune/types';
import { writeFileAtomic } from './atomic';
import { foldNorms } from './bn_fold';
import { inferCfgYaml, labelsOf, testTransforms } from './infer_cfg';
import { writeNativeModel } from './native_format';
import { graphToOnnx, type OnnxBuilder } from './onnx';
import { addYoloPostprocess, IM_SIZE_INPUT } from './onnx_postprocess';
import { verifyOnnx, type VerifyResult } from './verify';
import { sampleImage } from './sample_image';

export { foldNorms, foldablePairs, ExportError, type FoldResult } from './bn_fold';
export { graphToOnnx, ONNX_OPSET, type OnnxOptions } from './onnx';
export { addYoloPostprocess, IM_SIZE_INPUT } from './onnx_postprocess';
export { verifyOnnx, runOnnx, compareOutputs, locateOnnxRuntime, VERIFY_TOLERANCE, type VerifyResult, type OutputDiff } from './verify';
export { writeNativeModel, readNativeModel, MODEL_JSON, WEIGHTS_BIN, type ModelJson, type InferenceMeta } from './native_format';
export { inferCfgYaml, inferCfgDoc, labelsOf, preprocessList, testTransforms, inferArch } from './infer_cfg';
export { sampleImage } from './sample_image';
export { exportRcnnModel, verifyRcnnExport, compareDetections, rcnnOnnx, RCNN_DETECTION_TOLERANCE, type RcnnExportOptions, type RcnnExportReport, type RcnnVerifyResult, type RcnnDetectionDiff } from './rcnn_export';
export { loadRcnnExport, RcnnOnnxModel, padToStride, type RcnnOnnxDetection } from './rcnn_runtime';
export { readRcnnInferCfg, rcnnInferCfgYaml, RCNN_STAGE_FILES, INFER_CFG, type RcnnExportCfg, type PrunedConv } from './rcnn_infer_cfg';
export { splitRcnn, subgraph, RCNN_ONNX_NAMES } from './rcnn_split';
export { OrtSessions, type OrtFeed, type OrtOutputs } from './ort_sessions';

export type ExportFormat = 'onnx' | 'native' | 'both';

export interface ExportModelOptions {
  cfg: SlimConfig;
  /** the folder to write ({output_dir}/{config name}) */
  dir: string;
  format?: ExportFormat;
  /** the pruning the model carries (stored in model.json and the ONNX doc string) */
  records?: PruneRecord[];
  labels?: string[];
  /** run the ONNX check (default true) */
  verify?: boolean;
  /** append box decoding + NonMaxSuppression to the ONNX graph (input im_size, outputs boxes, scores, selected_indices) */
  withPostprocess?: boolean;
}

export interface ExportReport {
  dir: string;
  files: string[];
  folded: number;
  /** null when no ONNX was written or verification was not asked for */
  verify: VerifyResult | null;
}

/** The folder PaddleDetection exports a config to: {outputDir}/{config file name up to its first dot}. */
export function exportDir(outputDir: string, configFile: string): string {
  return path.join(outputDir, path.basename(configFile).split('.')[0]);
}

/** Exports `model` (weights loaded, eval-ready) as the options say. */
export async function exportModel(model: YoloModel, o: ExportModelOptions): Promise<ExportReport> {
  const format = o.format ?? 'both';
  const records = o.records ?? [];
  const labels = o.labels ?? labelsOf(o.cfg, model.head.numClasses);
  const input = model.input;
  const shape = model.graph.shapeOf(input);
  const files: string[] = [];
  const { graph, folded } = foldNorms(model.graph);
  let verify: VerifyResult | null = null;
  try {
    if (format === 'onnx' || format === 'both') {
      const doc = records.length ? `pruned: ${JSON.stringify(records.map((r) => r.groups.map((g) => [g.master, g.ratio])))}` : 'unpruned';
      const extend = o.withPostprocess ? (b: OnnxBuilder) => addYoloPostprocess(b, model.outputs, model.head) : undefined;
      const bytes = graphToOnnx(graph, { name: path.basename(o.dir), doc, extend });
      const file = path.join(o.dir, 'model.onnx');
      writeFileAtomic(file, bytes);
      files.push(file);
      if (o.verify !== false) {
        const { forward } = await import('../graph/executor');
        const { Tensor } = await import('../backend/tensor');
        const dims = [1, ...shape.slice(1)];
        const data = sampleImage(dims);
        const x = Tensor.from(data, dims);
        const want: Record<string, Float32Array> = {};
        try {
          const { outputs } = forward(model.graph, { [input]: x }, { training: false });
          for (const [k, t] of Object.entries(outputs)) {
            want[k] = Float32Array.from(t.toArray());
            t.dispose();
          }
        } finally {
          x.dispose();
        }
        const feeds = [{ name: input, data, dims }];
        if (o.withPostprocess) feeds.push({ name: IM_SIZE_INPUT, data: Float32Array.from([dims[2], dims[3]]), dims: [1, 2] });
        verify = await verifyOnnx(file, feeds, want);
      }
    }
    if (format === 'native' || format === 'both') {
      writeNativeModel(o.dir, graph, {
        architecture: model.architecture, prune: records, labels, preprocess: testTransforms(o.cfg, [shape[2], shape[3]]), postprocess: model.head,
      });
      files.push(path.join(o.dir, 'model.json'), path.join(o.dir, 'weights.bin'));
    }
    const yml = path.join(o.dir, 'infer_cfg.yml');
    writeFileAtomic(yml, inferCfgYaml(o.cfg, labels, [shape[2], shape[3]]));
    files.push(yml);
  } finally {
    graph.dispose();
  }
  return { dir: o.dir, files, folded: folded.size, verify };
}
