/**
 * ONNX round trip: the written model runs in onnxruntime-node and matches slimprune's
 * eval-mode output (unfolded graph) within 1e-4 relative, unpruned and pruned, at two batch
 * sizes (the batch dimension is symbolic). Skipped with the reason when onnxruntime-node is absent.
 */
import { onnx } from 'onnx-proto';
import { foldNorms } from '../../src/export/bn_fold';
import { graphToOnnx, ONNX_OPSET } from '../../src/export/onnx';
import { locateOnnxRuntime, verifyOnnx, runOnnx } from '../../src/export/verify';
import { GraphBuilder } from '../../src/graph/builder';
import { initParams } from '../../src/graph/init';
import { plan, apply } from '../../src/prune';
import { run, sampleInput, smallYolo } from './helpers';

const ort = locateOnnxRuntime();
type OnnxNode = { opType: string; name: string; input: string[]; output: string[] };
/** The decoded model as plain objects (int64 fields as numbers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const decoded = (bytes: Uint8Array): any => onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number });
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`ONNX round-trip tests skipped: ${ort}`);

describe('ONNX export', () => {
  test('opset, standard ops only, dynamic batch, Resize matching align-corners nearest', () => {
    const m = smallYolo(1);
    const { graph } = foldNorms(m.graph);
    try {
      const model = decoded(graphToOnnx(graph));
      expect(Number(model.opsetImport[0].version)).toBe(ONNX_OPSET);
      const types = new Set(model.graph.node.map((n: OnnxNode) => n.opType));
      expect([...types].sort()).toEqual(['Concat', 'Conv', 'LeakyRelu', 'Relu', 'Resize']);
      const resize = model.graph.node.find((n: OnnxNode) => n.opType === 'Resize')!;
      const at = Object.fromEntries(resize.attribute.map((a: { name: string; s: Uint8Array }) => [a.name, Buffer.from(a.s).toString()]));
      expect(at).toEqual({ mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'round_prefer_ceil' });
      expect(model.graph.input[0].type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
      expect(Number(model.graph.input[0].type!.tensorType!.shape!.dim![2].dimValue)).toBe(64);
      // every conv is followed by its activation (norms folded) except the three outputs
      const convs = model.graph.node.filter((n: OnnxNode) => n.opType === 'Conv');
      const unfollowed = convs.filter((c: OnnxNode) => !model.graph.node.some((n: OnnxNode) => /Relu/.test(n.opType) && n.input[0] === c.output[0]));
      expect(unfollowed.map((c: OnnxNode) => c.name).sort()).toEqual(['yolo_output.0', 'yolo_output.1', 'yolo_output.2']);
    } finally {
      graph.dispose();
      m.dispose();
    }
  });

  withOrt('unpruned YOLOv3-MobileNet in onnxruntime matches slimprune within 1e-4 at batch 1 and 2', async () => {
    const m = smallYolo(2);
    const { graph } = foldNorms(m.graph);
    try {
      const bytes = graphToOnnx(graph);
      for (const n of [1, 2]) {
        const x = sampleInput(n, 64, 10 + n);
        const want = run(m.graph, m.input, x, [n, 3, 64, 64]);
        const r = await verifyOnnx(bytes, { name: m.input, data: x, dims: [n, 3, 64, 64] }, want);
        if (!r.verified) throw new Error(r.skipped);
        console.log(`ONNX vs slimprune, batch ${n}: max abs ${r.maxAbs.toExponential(2)}, max rel ${r.maxRel.toExponential(2)}`);
        expect(r.maxRel).toBeLessThan(1e-4);
        expect(r.outputs.map((o) => o.name)).toEqual(m.outputs);
      }
    } finally {
      graph.dispose();
      m.dispose();
    }
  });

  withOrt('pruned YOLOv3-MobileNet: pruned shapes in the file, outputs match', async () => {
    const m = smallYolo(4);
    const params = ['yolo_block.0.0.0.conv.weights', 'yolo_block.0.1.1.conv.weights', 'yolo_transition.0.conv.weights', 'yolo_block.2.2.conv.weights'];
    const before = m.graph.param(params[0]).shape[0];
    apply(m.graph, plan(m.graph, { params, ratios: [0.5, 0.5, 0.5, 0.25] }));
    const { graph } = foldNorms(m.graph);
    try {
      const bytes = graphToOnnx(graph);
      const model = decoded(bytes);
      const init = (name: string) => model.graph.initializer.find((t: { name: string }) => t.name === name).dims.map(Number);
      expect(init('yolo_block.0.0.0.conv.weights')[0]).toBe(m.graph.param('yolo_block.0.0.0.conv.weights').shape[0]);
      expect(init('yolo_block.0.0.0.conv.weights')[0]).toBe(before / 2);
      const x = sampleInput(1, 64, 21);
      const r = await verifyOnnx(bytes, { name: m.input, data: x, dims: [1, 3, 64, 64] }, run(m.graph, m.input, x, [1, 3, 64, 64]));
      if (!r.verified) throw new Error(r.skipped);
      expect(r.maxRel).toBeLessThan(1e-4);
    } finally {
      graph.dispose();
      m.dispose();
    }
  });

  withOrt('other ops: affine channel, pools, sub/mul, relu6, hardswish, hardsigmoid, fc, softmax, bilinear resize', async () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 9, 9]);
    let y = b.conv2d(x, { name: 'c1', out: 4, k: 3, stride: 2, pad: [0, 1, 1, 0] });
    y = b.affineChannel(y, { name: 'a1', act: 'relu6' });
    const p = b.pool2d(y, { type: 'avg', k: 3, stride: 2, pad: 1, exclusive: true, ceilMode: true });
    const q = b.pool2d(y, { type: 'max', k: 3, stride: 2, pad: 1, ceilMode: true });
    let z = b.mul(b.sub(p, q), b.act(p, 'hardswish'));
    z = b.act(z, 'hardsigmoid', 0.3);
    z = b.upsample(z, { scale: 2, mode: 'bilinear', alignCorners: true });
    const u = b.upsample(z, { scale: 2, mode: 'nearest' });
    b.output(b.softmax(b.fc(b.pool2d(u, { type: 'avg', global: true }), { name: 'fc', out: 5 })));
    initParams(b.graph, { seed: 3 });
    const data = sampleInput(1, 9, 4);
    const want = run(b.graph, 'image', data, [1, 3, 9, 9]);
    const r = await verifyOnnx(graphToOnnx(b.graph), { name: 'image', data, dims: [1, 3, 9, 9] }, want);
    if (!r.verified) throw new Error(r.skipped);
    expect(r.maxRel).toBeLessThan(1e-4);
    b.graph.dispose();
  });

  withOrt('a mismatch beyond tolerance is an error naming the output', async () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 4, 4]);
    b.output(b.conv2d(x, { name: 'c', out: 2, k: 1 }));
    initParams(b.graph, { seed: 1 });
    const data = sampleInput(1, 4);
    const want = run(b.graph, 'image', data, [1, 3, 4, 4]);
    const bytes = graphToOnnx(b.graph);
    const got = await runOnnx(bytes, { name: 'image', data, dims: [1, 3, 4, 4] });
    expect(got.c.dims).toEqual([1, 2, 4, 4]);
    want.c[3] += 0.5;
    await expect(verifyOnnx(bytes, { name: 'image', data, dims: [1, 3, 4, 4] }, want)).rejects.toThrow(/within 0.0001 \(relative\), got .* on output c/);
    b.graph.dispose();
  });
});
