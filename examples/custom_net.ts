/**
 * A custom network built with slimprune's GraphBuilder, with explicit parameter names: prints
 * its parameters (name: shape, in graph order, as `slimprune prune --print_params` does), its
 * FLOPs as PaddleSlim counts them, runs one forward + backward pass on random data, then prunes
 * half the channels of the stem conv, whose output feeds a residual sum (so the block's
 * pointwise conv, both norms, the depthwise conv and the classifier's input shrink with it),
 * and runs forward + backward again on the smaller network.
 *
 *     node -r ./scripts/ts-register.js examples/custom_net.ts
 */
import { Tensor } from '../src/backend/tensor';
import { GraphBuilder } from '../src/graph/builder';
import { forward } from '../src/graph/executor';
import { countFlops } from '../src/graph/flops';
import { initParams } from '../src/graph/init';
import { apply, formatPruneReport, listGroups, measurePruning, plan } from '../src/prune';

const b = new GraphBuilder();
const x = b.input('image', [2, 3, 32, 32]);
let y = b.conv2d(x, { name: 'stem', out: 16, k: 3, stride: 2, pad: 1 });
y = b.batchNorm(y, { name: 'stem_bn', act: 'relu' });
// a depthwise-separable block with a residual connection
let r = b.conv2d(y, { name: 'block_dw', out: 16, k: 3, groups: 16 });
r = b.batchNorm(r, { name: 'block_dw_bn', act: 'relu6' });
r = b.conv2d(r, { name: 'block_pw', out: 16, k: 1 });
r = b.batchNorm(r, { name: 'block_pw_bn' });
y = b.add(y, r, { name: 'block_sum', act: 'relu' });
y = b.pool2d(y, { type: 'avg', global: true });
const logits = b.fc(b.flatten(y), { name: 'classifier', out: 10 });
b.output(logits);

const graph = b.graph;
for (const p of graph.paramList()) console.log(`${p.name}: [${p.shape.join(', ')}]`);
const f = countFlops(graph);
console.log(`FLOPs (multiply-adds per image): ${f.macs} = ${f.gflops.toFixed(6)} GFLOPs; params ${f.params}; size ${f.sizeMB.toFixed(3)} MB`);

initParams(graph, { seed: 42 });
const image = Tensor.from(Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i)), [2, 3, 32, 32], graph.param('stem_weights').tensor!.backend);
const { outputs, tape } = forward(graph, { image }, { training: true, grad: true });
const out = outputs[logits];
const grads = tape!.backward({ [logits]: Tensor.full(out.shape, 1, out.backend) });
console.log(`logits [${out.shape.join(', ')}] on the ${out.backend.name} backend; gradient of classifier_weights: [${grads.params.get('classifier_weights')!.shape.join(', ')}]`);

// Prune: the stem's group holds everything that must shrink with its output channels.
const group = listGroups(graph).find((g) => g.master === 'stem_weights')!;
console.log(`group of stem_weights: ${group.members.filter((m) => 'param' in m).map((m) => `${(m as { param: string }).param}[axis ${(m as { axis: number }).axis}]`).join(', ')}`);
const { result: record, report } = measurePruning(graph, () => apply(graph, plan(graph, { params: ['stem_weights'], ratios: [0.5], criterion: 'l1_norm' })));
console.log(formatPruneReport(report));
console.log(`kept channels of stem_weights: ${record.groups[0].kept.join(', ')}`);
const again = forward(graph, { image }, { training: true, grad: true });
const g2 = again.tape!.backward({ [logits]: Tensor.full(again.outputs[logits].shape, 1, out.backend) });
console.log(`after pruning: logits [${again.outputs[logits].shape.join(', ')}], block_pw_weights [${graph.param('block_pw_weights').shape.join(', ')}], gradient of classifier_weights [${g2.params.get('classifier_weights')!.shape.join(', ')}]`);
