/**
 * One small network per topology: after pruning, forward and backward run, output shapes are
 * unchanged, and outputs equal the unpruned network's with the pruned channels' contributions
 * zeroed (lazy mode on the consumers' inputs), on the float64 reference and on native.
 */
import * as ops from '../../src/backend/ops';
import { groupOf, listGroups } from '../../src/prune';
import { checkPruning, deepClone, initNet, nets, testBackends } from './nets';

const shapeOf = (r: ReturnType<typeof checkPruning>, name: string) => r.pruned.param(name).shape;

describe.each(testBackends().map((b) => [b.name, b] as const))('pruned networks on %s', (_name, tb) => {
  test('plain chain', () => {
    const r = checkPruning(nets.chain, { params: ['c1_weights', 'c2_weights'], ratios: [0.5, 0.5] }, tb);
    expect(shapeOf(r, 'c1_weights')).toEqual([4, 3, 3, 3]);
    expect(shapeOf(r, 'c1_bn_variance')).toEqual([4]);
    expect(shapeOf(r, 'c2_weights')).toEqual([3, 4, 3, 3]);
    expect(shapeOf(r, 'c3_weights')).toEqual([4, 3, 1, 1]);
    expect(shapeOf(r, 'c3_bias')).toEqual([4]);
  });

  test('residual add: the conv feeding the sum from the other side is pruned with the same indices', () => {
    const r = checkPruning(nets.residual, { params: ['a_weights'], ratios: [0.5] }, tb);
    expect(shapeOf(r, 'a_weights')).toEqual([4, 4, 3, 3]);
    expect(shapeOf(r, 'stem_weights')).toEqual([4, 3, 3, 3]);
    expect(shapeOf(r, 'stem_bn_scale')).toEqual([4]);
    expect(shapeOf(r, 'head_weights')).toEqual([4, 4, 1, 1]);
    expect(r.plan.groups[0].kept).toHaveLength(4);
  });

  test('concat: indices of the second input shift by the first input channels', () => {
    const r = checkPruning(nets.concat, { params: ['A_weights', 'B_weights'], ratios: [0.5, 0.5] }, tb);
    expect(shapeOf(r, 'C_weights')).toEqual([5, 5, 3, 3]);
    const base = initNet(nets.concat(), tb.backend);
    const [a, b] = r.plan.groups;
    const idx = [...a.kept, ...b.kept.map((k) => k + 6)];
    const want = ops.gatherAxis(base.param('C_weights').tensor!, 1, idx);
    expect(Array.from(r.pruned.param('C_weights').tensor!.toArray())).toEqual(Array.from(want.toArray()));
  });

  test('depthwise separable: filters and groups follow, a multiplier-2 depthwise expands', () => {
    const r = checkPruning(nets.depthwise, { params: ['conv1_weights', 'conv2_1_sep_weights'], ratios: [0.5, 0.5] }, tb);
    expect(shapeOf(r, 'conv2_1_dw_weights')).toEqual([4, 1, 3, 3]);
    expect(r.pruned.node('conv2_1_dw').attrs.groups).toBe(4);
    expect(shapeOf(r, 'conv2_1_dw_bn_mean')).toEqual([4]);
    expect(shapeOf(r, 'conv3_dw_weights')).toEqual([6, 1, 3, 3]);
    expect(shapeOf(r, 'conv3_dw_bias')).toEqual([6]);
    expect(r.pruned.node('conv3_dw').attrs.groups).toBe(3);
    expect(shapeOf(r, 'out_weights')).toEqual([4, 6, 1, 1]);
  });

  test('depthwise conv listed itself prunes its producer', () => {
    const r = checkPruning(nets.depthwise, { params: ['conv2_1_dw_weights'], ratios: [0.25] }, tb);
    expect(shapeOf(r, 'conv1_weights')).toEqual([6, 3, 3, 3]);
    expect(shapeOf(r, 'conv2_1_sep_weights')).toEqual([6, 6, 1, 1]);
  });

  test('flatten into fc: each channel is H*W rows', () => {
    const r = checkPruning(nets.flattenFc, { params: ['c1_weights'], ratios: [0.4] }, tb);
    expect(shapeOf(r, 'c1_weights')).toEqual([3, 3, 3, 3]);
    expect(shapeOf(r, 'fc_weights')).toEqual([12, 4]);
  });

  test('split: indices partitioned and sections updated', () => {
    const r = checkPruning(nets.split, { params: ['pre_weights', 'P_weights'], ratios: [0.5, 0.5] }, tb);
    const sections = r.pruned.node('sp').attrs.sections as number[];
    expect(sections.reduce((a, b) => a + b, 0)).toBe(4);
    expect(shapeOf(r, 'P_weights')[1]).toBe(sections[0]);
    expect(shapeOf(r, 'Q_weights')).toEqual([2, sections[1], 3, 3]);
    expect(shapeOf(r, 'P_weights')[0]).toBe(2);
  });

  test('conv2d_transpose: input channels on axis 0, output channels on axis 1', () => {
    const r = checkPruning(nets.transpose, { params: ['enc_weights', 'dec_weights'], ratios: [0.5, 0.5] }, tb);
    expect(shapeOf(r, 'dec_weights')).toEqual([3, 2, 2, 2]);
    expect(shapeOf(r, 'dec_bias')).toEqual([2]);
    expect(shapeOf(r, 'out_weights')).toEqual([2, 2, 1, 1]);
  });

  test('YOLOv3 head: every yolo_block conv and the transition through upsample and concat', () => {
    const g = nets.yolo();
    const params = g.paramList().map((p) => p.name).filter((n) => /^yolo_(block|transition)\..*conv\.weights$/.test(n));
    expect(params).toHaveLength(9);
    const r = checkPruning(nets.yolo, { params, ratios: params.map(() => 0.5) }, tb);
    expect(shapeOf(r, 'yolo_block.0.2.conv.weights')).toEqual([4, 8, 1, 1]);
    expect(shapeOf(r, 'yolo_transition.0.conv.weights')).toEqual([2, 4, 1, 1]);
    // concat([upsampled transition (2 kept of 4), backbone 6]) feeds block 1
    expect(shapeOf(r, 'yolo_block.1.0.0.conv.weights')).toEqual([2, 8, 1, 1]);
    expect(shapeOf(r, 'yolo_output.0.conv.weights')).toEqual([7, 8, 1, 1]);
  });

  test('ResNet bottlenecks: every conv, including the branches feeding the sums', () => {
    const g = nets.resnet();
    const params = g.paramList().map((p) => p.name).filter((n) => /^(conv1|res).*_weights$/.test(n));
    const warnings: string[] = [];
    const r = checkPruning(nets.resnet, { params, ratios: params.map(() => 0.5) }, tb);
    void warnings;
    expect(shapeOf(r, 'res2a_branch2c_weights')).toEqual([6, 2, 1, 1]);
    expect(shapeOf(r, 'res2a_branch1_weights')).toEqual([6, 4, 1, 1]);
    expect(shapeOf(r, 'res2b_branch2c_weights')).toEqual([6, 2, 1, 1]);
    expect(shapeOf(r, 'res2b_branch2a_weights')).toEqual([2, 6, 1, 1]);
    expect(shapeOf(r, 'fc_weights')).toEqual([6, 3]);
    // branch1, 2a/2c of res2b are in the group of res2a_branch2c: listed once, warned
    expect(r.plan.warnings.length).toBe(2);
    expect(r.plan.warnings.join('\n')).toMatch(/res2a_branch1_weights and res2a_branch2c_weights/);
  });

  test('a residual branch listed alone (the conv feeding the sum)', () => {
    const r = checkPruning(nets.resnet, { params: ['res2b_branch2c_weights'], ratios: [0.25] }, tb);
    expect(shapeOf(r, 'res2a_branch2c_weights')[0]).toBe(9);
    expect(shapeOf(r, 'res2a_branch1_weights')[0]).toBe(9);
  });
});

describe('groups', () => {
  test('listGroups: one group per set of tied convs, with members and axes', () => {
    const g = nets.resnet();
    const l = listGroups(g);
    const masters = l.map((x) => x.master);
    expect(masters).toEqual(['conv1_weights', 'res2a_branch2a_weights', 'res2a_branch2b_weights', 'res2a_branch2c_weights', 'res2b_branch2a_weights', 'res2b_branch2b_weights']);
    const res = l.find((x) => x.master === 'res2a_branch2c_weights')!;
    expect(res.channels).toBe(12);
    const ps = res.members.filter((m): m is { param: string; axis: number; role: 'producer' | 'consumer' | 'channel' } => 'param' in m);
    expect(ps).toEqual(expect.arrayContaining([
      { param: 'res2a_branch1_weights', axis: 0, role: 'producer' },
      { param: 'res2b_branch2c_weights', axis: 0, role: 'producer' },
      { param: 'res2b_branch2a_weights', axis: 1, role: 'consumer' },
      { param: 'fc_weights', axis: 0, role: 'consumer' },
      { param: 'bn2a_branch1_scale', axis: 0, role: 'channel' },
    ]));
    expect(JSON.parse(JSON.stringify(l))).toEqual(l);
    expect(listGroups(g)).toBe(l); // computed once
  });

  test('concat members carry their offset mapping', () => {
    const g = groupOf(nets.concat(), 'B_weights');
    const c = g.members.find((m) => m.kind === 'param' && m.param === 'C_weights');
    expect(c).toMatchObject({ axis: 1, role: 'consumer', map: [{ op: 'offset', by: 6 }] });
  });

  test('the output convs of the network are listed as unprunable with the reason', () => {
    const l = listGroups(nets.yolo());
    const out = l.find((x) => x.master === 'yolo_output.0.conv.weights')!;
    expect(out.unprunable).toMatch(/graph output/);
  });

  test('groups are recomputed after pruning', () => {
    const g = deepClone(initNet(nets.chain(), testBackends()[0].backend));
    expect(groupOf(g, 'c1_weights').channels).toBe(8);
    g.param('c1_weights').shape = [5, 3, 3, 3];
    expect(groupOf(g, 'c1_weights').channels).toBe(5);
  });
});
