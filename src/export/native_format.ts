/**
 * slimprune's own inference format: `model.json` + `weights.bin` in one folder.
 *
 *   model.json   {format: 'slimprune.inference', version: 1, architecture, input: {name,
 *                shape: [null, 3, H, W]}, outputs, nodes: [{id, type, inputs, outputs, attrs,
 *                params}], params: [{name, shape, offset, bytes}], weights: {file, bytes,
 *                sha256}, prune: [records], labels, preprocess: [transform configs, as the
 *                TestReader lists them after DecodeImage], postprocess: {anchors, anchorMasks,
 *                downsample, numClasses, scaleXY, clipBbox, nms}}
 *   weights.bin  every parameter's float32 values, little-endian, in `params` order
 *
 * The graph is stored after norm folding (what runs at inference), so it rebuilds with the
 * ordinary Graph API on any backend. Reading checks the format, version, size and checksum.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../backend/tensor';
import type { Backend } from '../backend/backend';
import { Graph } from '../graph/graph';
import type { Attrs } from '../graph/types';
import type { YoloHeadConfig } from '../nn';
import type { PruneRecord } from '../prune/types';
import { writeFileAtomic } from './atomic';
import { ExportError } from './bn_fold';

export const INFERENCE_FORMAT = 'slimprune.inference';
export const INFERENCE_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface InferenceMeta {
  architecture: string;
  prune: PruneRecord[];
  labels: string[];
  preprocess: Array<Record<string, unknown>>;
  postprocess: YoloHeadConfig;
}

export interface ModelJson extends InferenceMeta {
  format: typeof INFERENCE_FORMAT;
  version: number;
  input: { name: string; shape: Array<number | null> };
  outputs: string[];
  nodes: Array<{ id: string; type: string; inputs: string[]; outputs: string[]; attrs: Attrs; params: Record<string, string> }>;
  params: Array<{ name: string; shape: number[]; offset: number; bytes: number }>;
  weights: { file: string; bytes: number; sha256: string };
}

/** Writes `graph` (parameters with data) and `meta` into `dir`. */
export function writeNativeModel(dir: string, graph: Graph, meta: InferenceMeta): ModelJson {
  if (graph.inputs.length !== 1) throw new ExportError(`native format: expected a graph with one input, got ${graph.inputs.length}`);
  const params: ModelJson['params'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const p of graph.paramList()) {
    if (!p.tensor) throw new ExportError(`native format: expected data for parameter ${p.name}, got none`);
    const v = p.tensor.toArray();
    const b = Buffer.alloc(v.length * 4);
    for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i], i * 4);
    params.push({ name: p.name, shape: [...p.shape], offset, bytes: b.length });
    chunks.push(b);
    offset += b.length;
  }
  const bin = Buffer.concat(chunks);
  const input = graph.inputs[0];
  const json: ModelJson = {
    format: INFERENCE_FORMAT,
    version: INFERENCE_VERSION,
    ...meta,
    input: { name: input, shape: [null, ...graph.shapeOf(input).slice(1)] },
    outputs: [...graph.outputs],
    nodes: graph.nodes.map((n) => ({ id: n.id, type: n.type, inputs: [...n.inputs], outputs: [...n.outputs], attrs: n.attrs, params: { ...n.params } })),
    params,
    weights: { file: WEIGHTS_BIN, bytes: bin.length, sha256: createHash('sha256').update(bin).digest('hex') },
  };
  writeFileAtomic(path.join(dir, WEIGHTS_BIN), bin);
  writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json, null, 1) + '\n');
  return json;
}

/** Reads an export folder back: the graph (batch 1 at the stored size) and its metadata. */
export function readNativeModel(dir: string, o: { backend?: Backend<any>; batch?: number } = {}): { graph: Graph; json: ModelJson } {
  const file = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(file)) throw new ExportError(`model ${dir}: expected ${MODEL_JSON} (a slimprune export folder), got none`);
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new ExportError(`model ${dir}: expected valid JSON in ${MODEL_JSON}, got ${(e as Error).message}`);
  }
  if (json?.format !== INFERENCE_FORMAT) throw new ExportError(`model ${dir}: expected format '${INFERENCE_FORMAT}' in ${MODEL_JSON}, got ${JSON.stringify(json?.format)}`);
  if (json.version !== INFERENCE_VERSION) throw new ExportError(`model ${dir}: expected format version ${INFERENCE_VERSION}, got ${JSON.stringify(json.version)}`);
  if (path.basename(json.weights?.file ?? '') !== json.weights?.file) throw new ExportError(`model ${dir}: expected a plain file name for weights.file, got ${JSON.stringify(json.weights?.file)}`);
  const binFile = path.join(dir, json.weights.file);
  if (!fs.existsSync(binFile)) throw new ExportError(`model ${dir}: expected ${json.weights.file} (${json.weights.bytes} bytes), got none`);
  const bin = fs.readFileSync(binFile);
  if (bin.length !== json.weights.bytes) throw new ExportError(`model ${dir}: expected ${json.weights.file} of ${json.weights.bytes} bytes, got ${bin.length}`);
  const sum = createHash('sha256').update(bin).digest('hex');
  if (sum !== json.weights.sha256) throw new ExportError(`model ${dir}: expected ${json.weights.file} with sha256 ${json.weights.sha256}, got ${sum} (corrupted)`);
  const g = new Graph();
  const [, ...chw] = json.input.shape as number[];
  g.addInput(json.input.name, [o.batch ?? 1, ...chw]);
  try {
    for (const p of json.params) {
      const n = p.shape.reduce((a, d) => a * d, 1);
      if (p.bytes !== n * 4 || p.offset < 0 || p.offset + p.bytes > bin.length) throw new ExportError(`model ${dir}: expected parameter ${p.name} of shape [${p.shape.join(', ')}] inside ${json.weights.file}, got ${p.bytes} bytes at ${p.offset}`);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = bin.readFloatLE(p.offset + i * 4);
      g.addParam({ name: p.name, shape: p.shape, init: { type: 'constant', value: 0 }, trainable: false, decay: 'none', tensor: o.backend ? Tensor.from(data, p.shape, o.backend) : Tensor.from(data, p.shape) });
    }
    for (const n of json.nodes) g.addNode(n);
    g.outputs = [...json.outputs];
  } catch (e) {
    g.dispose();
    if (e instanceof ExportError) throw e;
    throw new ExportError(`model ${dir}: ${MODEL_JSON} does not describe a valid graph: ${(e as Error).message}`);
  }
  return { graph: g, json };
}
