/**
 * Pruning groups of Faster / Mask R-CNN R50 (real configs): the res4 sum group reaches the RPN
 * conv's input and, through RoIAlign, res5's input; the res5 sum group reaches the box head's
 * fc rows and conv5_mask's input; head convs prune; the convs whose channels are the outputs
 * (RPN logits and deltas, mask logits) are refused with the reason. Pruning res4f_branch2c
 * changes exactly the expected parameter shapes, and the pruned network still trains one step.
 */
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { buildRcnnModel, initModel, type RcnnBatch, type RcnnModel } from '../../src/nn';
import { apply, groupOf, listGroups, plan } from '../../src/prune';
import { rcnnConfig, SMALL_RCNN } from '../nn/rcnn_fixture';
import { fastBackend } from '../util/fast_backend';

const paramsOf = (m: RcnnModel, root: string, role?: string) =>
  groupOf(m.graph, root).members.filter((x) => x.kind === 'param' && (!role || x.role === role)).map((x) => (x.kind === 'param' ? `${x.param}:${x.axis}` : '')).sort();

describe('R-CNN R50 pruning groups', () => {
  const faster = buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml'));
  const mask = buildRcnnModel(rcnnConfig('mask_rcnn_r50_1x.yml'));

  test('res4f_branch2c: the whole res4 sum group, the RPN conv input and res5 input through RoIAlign', () => {
    const res4 = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(paramsOf(faster, 'res4f_branch2c_weights', 'producer')).toEqual([...res4.map((x) => `res4${x}_branch2c_weights:0`), 'res4a_branch1_weights:0'].sort());
    expect(paramsOf(faster, 'res4f_branch2c_weights', 'consumer')).toEqual([
      ...res4.slice(1).map((x) => `res4${x}_branch2a_weights:1`), 'conv_rpn_w:1', 'res5a_branch2a_weights:1', 'res5a_branch1_weights:1',
    ].sort());
    expect(paramsOf(faster, 'res4f_branch2c_weights', 'channel')).toEqual(
      [...res4.flatMap((x) => [`bn4${x}_branch2c_scale:0`, `bn4${x}_branch2c_offset:0`]), 'bn4a_branch1_scale:0', 'bn4a_branch1_offset:0'].sort(),
    );
    // one group, whichever member names it
    expect(groupOf(faster.graph, 'res4a_branch1_weights').members.length).toBe(groupOf(faster.graph, 'res4f_branch2c_weights').members.length);
  });

  test('the RPN conv, res5 convs and the mask head prune; output convs are refused with the reason', () => {
    expect(paramsOf(faster, 'conv_rpn_w')).toEqual(['conv_rpn_b:0', 'conv_rpn_w:0', 'rpn_bbox_pred_w:1', 'rpn_cls_logits_w:1']);
    expect(paramsOf(faster, 'res5c_branch2b_weights')).toEqual(['bn5c_branch2b_offset:0', 'bn5c_branch2b_scale:0', 'res5c_branch2b_weights:0', 'res5c_branch2c_weights:1']);
    expect(paramsOf(faster, 'res5a_branch2c_weights', 'consumer')).toEqual(['bbox_pred_w:0', 'cls_score_w:0', 'res5b_branch2a_weights:1', 'res5c_branch2a_weights:1']);
    expect(paramsOf(mask, 'res5a_branch2c_weights', 'consumer')).toEqual(['bbox_pred_w:0', 'cls_score_w:0', 'conv5_mask_w:0', 'res5b_branch2a_weights:1', 'res5c_branch2a_weights:1']);
    expect(paramsOf(mask, 'conv5_mask_w')).toEqual(['conv5_mask_b:0', 'conv5_mask_w:1', 'mask_fcn_logits_w:1']);
    expect(() => groupOf(faster.graph, 'rpn_cls_logits_w')).toThrow('prune: expected channels that stay inside the network for rpn_cls_logits_w, got a path to graph output');
    expect(() => groupOf(mask.graph, 'mask_fcn_logits_w')).toThrow('prune: expected channels that stay inside the network for mask_fcn_logits_w, got a path to graph output');
  });

  test('slimprune groups lists every conv once: 4 sum groups, the rest on their own, 3 output convs refused', () => {
    for (const [m, convs] of [[faster, 56], [mask, 58]] as const) {
      const l = listGroups(m.graph);
      const producers = (g: (typeof l)[number]) => g.members.flatMap((x) => ('param' in x && x.role === 'producer' ? [x.param] : []));
      const listed = new Set(l.flatMap((g) => [g.master, ...producers(g)]));
      const all = m.graph.nodes.filter((n) => n.type === 'conv2d' || n.type === 'conv2d_transpose').map((n) => n.params.weight);
      expect(all).toHaveLength(convs);
      expect(all.filter((w) => !listed.has(w))).toEqual([]);
      const refused = l.filter((g) => g.unprunable).map((g) => g.master);
      expect(refused).toEqual(m === mask ? ['rpn_cls_logits_w', 'rpn_bbox_pred_w', 'mask_fcn_logits_w'] : ['rpn_cls_logits_w', 'rpn_bbox_pred_w']);
      const sums = l.filter((g) => producers(g).length > 2).map((g) => g.master);
      expect(sums).toEqual(['res2a_branch2c_weights', 'res3a_branch2c_weights', 'res4a_branch2c_weights', 'res5a_branch2c_weights']);
    }
  });
});

const fast = fastBackend('the pruned R-CNN run');
const d = fast ? describe : describe.skip;

d('pruning res4f_branch2c and head convs of Faster R-CNN R50', () => {
  test('the shapes that change, and a training step of the pruned network', () => {
    const m = buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml', SMALL_RCNN), { mode: 'train', inputShape: [1, 3, 64, 96] });
    initModel(m, { seed: 2, backend: fast! });
    const before = new Map(m.graph.paramList().map((p) => [p.name, [...p.shape]]));
    const p = plan(m.graph, { params: ['res4f_branch2c_weights', 'conv_rpn_w', 'res5c_branch2b_weights'], ratios: [0.25, 0.5, 0.5], warn: () => undefined });
    apply(m.graph, p, { mode: 'default' });
    const changed = m.graph.paramList().filter((q) => q.shape.join() !== before.get(q.name)!.join()).map((q) => `${q.name}:${q.shape.join('x')}`).sort();
    const res4 = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(changed).toEqual([
      ...res4.map((x) => `res4${x}_branch2c_weights:768x256x1x1`),
      ...res4.flatMap((x) => [`bn4${x}_branch2c_scale:768`, `bn4${x}_branch2c_offset:768`]),
      'res4a_branch1_weights:768x512x1x1', 'bn4a_branch1_scale:768', 'bn4a_branch1_offset:768',
      ...res4.slice(1).map((x) => `res4${x}_branch2a_weights:256x768x1x1`),
      'conv_rpn_w:512x768x3x3', 'conv_rpn_b:512',
      'rpn_cls_logits_w:15x512x1x1', 'rpn_bbox_pred_w:60x512x1x1',
      'res5a_branch2a_weights:512x768x1x1', 'res5a_branch1_weights:2048x768x1x1',
      'res5c_branch2b_weights:256x512x3x3', 'bn5c_branch2b_scale:256', 'bn5c_branch2b_offset:256',
      'res5c_branch2c_weights:2048x256x1x1',
    ].sort());
    expect(m.graph.shapeOf(m.values.res4)[1]).toBe(768);
    // the pruned network trains: forward with sampled RoIs, loss, backward
    const img = Tensor.from(Float32Array.from({ length: 3 * 64 * 96 }, (_, i) => Math.cos(i * 0.21)), [1, 3, 64, 96], fast!);
    const info = [{ height: 64, width: 96, scale: 1 }];
    const batch: RcnnBatch = { imInfo: info, gt: [{ boxes: [10, 8, 50, 56], classes: [7] }] };
    const f = m.feeds(img, info, batch);
    const r = forward(m.graph, f.feeds, { training: true, grad: true, fetch: f.fetch });
    expect(r.outputs[m.values.rois].shape).toEqual([8, 4]);
    expect(r.outputs[m.values.rpnCls].shape).toEqual([1, 15, 4, 6]);
    const l = m.loss(r.outputs, batch);
    expect(Number.isFinite(l.loss)).toBe(true);
    const g = r.tape!.backward(l.grads);
    expect(g.params.get('conv_rpn_w')!.shape).toEqual([512, 768, 3, 3]);
    expect(g.params.get('res5a_branch1_weights')!.shape).toEqual([2048, 768, 1, 1]);
    g.params.forEach((t) => t.dispose());
    Object.values(l.grads).forEach((t) => t.dispose());
    Object.values(r.outputs).forEach((t) => t.dispose());
    img.dispose();
    m.dispose();
  });
});
