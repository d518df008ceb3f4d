// The CLI on the real R-CNN configs (slimprune's copies in configs/): --print_params lists every
// parameter with PaddleDetection's names and shapes, flops counts at 800x1333 by default,
// groups lists every conv, all through the real model builder, FLOPs counter and pruner.
import * as path from 'path';
import { main } from '../../src/cli';

const CONFIGS = path.resolve(__dirname, '../../configs');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err, text: () => out.join('') };
}

describe('slimprune on the R-CNN R50 configs', () => {
  test('prune --print_params: every parameter, PaddleDetection names, then the total', async () => {
    const c = capture();
    expect(await main(['prune', '-c', path.join(CONFIGS, 'faster_rcnn_r50_1x.yml'), '--print_params'], { io: c.io })).toBe(0);
    const lines = c.text().trim().split('\n');
    expect(lines).toHaveLength(170);
    expect(lines[0]).toBe('conv1_weights: [64, 3, 7, 7]');
    expect(lines).toContain('res4f_branch2c_weights: [1024, 256, 1, 1]');
    expect(lines).toContain('conv_rpn_w: [1024, 1024, 3, 3]');
    expect(lines).toContain('rpn_cls_logits_w: [15, 1024, 1, 1]');
    expect(lines).toContain('res5c_branch2c_weights: [2048, 512, 1, 1]');
    expect(lines.slice(-3, -1)).toEqual(['bbox_pred_w: [2048, 324]', 'bbox_pred_b: [324]']);
    expect(lines[lines.length - 1]).toBe('total: 169 parameter tensors, 33852960 values, 129.14 MB (fp32)');
    const m = capture();
    expect(await main(['prune', '-c', path.join(CONFIGS, 'mask_rcnn_r50_1x.yml'), '-P'], { io: m.io })).toBe(0);
    expect(m.text()).toContain('conv5_mask_w: [2048, 256, 2, 2]\nconv5_mask_b: [256]\nmask_fcn_logits_w: [81, 256, 1, 1]\nmask_fcn_logits_b: [81]\ntotal: 173 parameter tensors, 35971185 values');
  });

  test('flops: 800x1333 by default, --input_size, the demo config at its 128x128', async () => {
    const c = capture();
    expect(await main(['flops', '-c', path.join(CONFIGS, 'mask_rcnn_r50_1x.yml'), '--json'], { io: c.io })).toBe(0);
    const j = JSON.parse(c.text());
    expect(j.params).toBe(35971185);
    const d = capture();
    expect(await main(['flops', '-c', path.join(CONFIGS, 'faster_rcnn_r50_1x.yml')], { io: d.io })).toBe(0);
    expect(d.text()).toContain('FLOPs of FasterRCNN (inference graph, 800x1333 input)');
    expect(d.text()).toContain('res5 and the box / mask heads counted for one RoI');
    const e = capture();
    expect(await main(['flops', '-c', path.join(CONFIGS, 'faster_rcnn_r50_digits.yml')], { io: e.io })).toBe(0);
    expect(e.text()).toContain('(inference graph, 128x128 input)');
    const f = capture();
    expect(await main(['flops', '-c', path.join(CONFIGS, 'faster_rcnn_r50_1x.yml'), '--input_size', '512', '--json'], { io: f.io })).toBe(0);
    const small = JSON.parse(f.text());
    expect(small.input_size).toBe(512);
    expect(small.macs).toBeLessThan(JSON.parse(c.text()).macs);
  });

  test('groups: the RPN and head convs are listed, output convs with their reason', async () => {
    const c = capture();
    expect(await main(['groups', '-c', path.join(CONFIGS, 'mask_rcnn_r50_1x.yml')], { io: c.io })).toBe(0);
    const t = c.text();
    expect(t).toMatch(/^conv_rpn_w: 1024 channels/m);
    expect(t).toMatch(/^conv5_mask_w: 256 channels/m);
    expect(t).toMatch(/^res5c_branch2b_weights: 512 channels/m);
    expect(t).toMatch(/^mask_fcn_logits_w: 81 channels, not prunable \(prune: expected channels that stay inside the network/m);
  });
});
