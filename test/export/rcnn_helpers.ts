/**
 * Small Faster / Mask R-CNN R50 models for the export tests: the digits configs with few
 * proposals, built at 64 x 64, seeded weights, batch norms moved far from their initial
 * statistics (so folding changes every conv) and the class / objectness layers scaled up so
 * that scores are well apart: a comparison then tests the pipeline, not the order of ties.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { readConfig, type SlimConfig } from '../../src/config';
import { buildRcnnModel, initModel, type RcnnModel } from '../../src/nn';
import { SMALL_RCNN } from '../nn/rcnn_fixture';
import { randomiseNorms } from './helpers';

export const RCNN_CFG = { faster: 'configs/faster_rcnn_r50_digits.yml', mask: 'configs/mask_rcnn_r50_digits.yml' } as const;

export function rcnnCfg(kind: keyof typeof RCNN_CFG): SlimConfig {
  return readConfig(RCNN_CFG[kind], SMALL_RCNN) as SlimConfig;
}

export function smallRcnn(kind: keyof typeof RCNN_CFG, seed = 1, size = 64): RcnnModel {
  const m = buildRcnnModel(rcnnCfg(kind) as never, { mode: 'test', inputShape: [1, 3, size, size] });
  initModel(m, { seed });
  randomiseNorms(m.graph, seed + 100);
  for (const name of ['cls_score_w', 'rpn_cls_logits_w']) {
    const p = m.graph.param(name);
    p.tensor!.set(p.tensor!.toArray().map((v) => v * 100));
  }
  return m;
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slimprune-${tag}-`));
}

/** A written .onnx file decoded as plain objects (int64 fields as numbers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const decodedOnnx = (file: string): any => onnx.ModelProto.toObject(onnx.ModelProto.decode(fs.readFileSync(file)), { longs: Number });

/** The declared dims of a value info (names for symbolic ones). */
export const dimsOf = (vi: { type: { tensorType: { shape: { dim: Array<{ dimValue?: number; dimParam?: string }> } } } }): Array<number | string> =>
  vi.type.tensorType.shape.dim.map((d) => d.dimParam || Number(d.dimValue));
