// main(): exit codes (0 ok, 2 usage/config, 1 runtime), one-line errors, and the actions that
// drive the model builder, FLOPs counter and pruner (through stand-ins here).
import * as path from 'path';
import { spawnSync } from 'child_process';
import { main } from '../../src/cli';
import { requireStage, type Stages, type GraphLike } from '../../src/cli/stages';
import { RuntimeError } from '../../src/cli/errors';

const ROOT = path.resolve(__dirname, '../..');
const CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_voc.yml');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

function fakeStages(): { stages: Partial<Stages>; calls: string[] } {
  const calls: string[] = [];
  const graph: GraphLike & { pruned: boolean } = {
    pruned: false,
    params: new Map([
      ['conv1_weights', { shape: [32, 3, 3, 3] }],
      ['yolo_block.0.0.0.conv.weights', { shape: [512, 1024, 1, 1] }],
      ['yolo_block.0.0.0.bn.scale', { shape: [512] }],
    ]),
  };
  return {
    calls,
    stages: {
      nn: {
        buildModel: (cfg, o) => {
          calls.push(`build ${cfg.architecture} ${o.mode} ${o.inputShape ? o.inputShape.join('x') : '-'}`);
          return { graph };
        },
        initModel: () => void calls.push('init'),
      },
      flops: {
        countFlops: (g) => {
          const p = (g as typeof graph).pruned;
          return { macs: p ? 500 : 1000, gflops: p ? 0.5 : 1, params: p ? 50 : 100, sizeMB: p ? 0.2 : 0.4 };
        },
      },
      prune: {
        plan: (_g, o) => {
          calls.push(`plan ${o.params.join(',')} ${o.ratios.join(',')} ${o.criterion ?? ''}`);
          return { p: 1 };
        },
        apply: (g, _p, o) => {
          calls.push(`apply ${o.mode}`);
          (g as typeof graph).pruned = true;
          return {};
        },
        groupOf: (_g, param) => ({
          root: param,
          channels: 512,
          members: [
            { kind: 'param', param, axis: 0, role: 'producer' },
            { kind: 'param', param: 'yolo_block.0.0.0.bn.scale', axis: 0, role: 'channel' },
          ],
        }),
        listGroups: () => [
          { master: 'conv1_weights', channels: 32, members: [{ param: 'conv1_weights', axis: 0, role: 'producer' }, { node: 'dw', attr: 'groups' }] },
          { master: 'yolo_output.0.conv.weights', channels: 75, members: [], unprunable: 'its output is a graph output' },
        ],
      },
    },
  };
}

describe('exit codes and one-line errors', () => {
  test('help and version exit 0', async () => {
    const c = capture();
    expect(await main(['--help'], { io: c.io })).toBe(0);
    expect(c.out.join('')).toMatch(/Usage: slimprune[\s\S]*prune[\s\S]*sensitivity/);
    expect(await main(['prune', '--help'], { io: c.io })).toBe(0);
    expect(c.out.join('')).toMatch(/--pruned_params <names\.\.\.>[\s\S]*also --pruned-params/);
  });

  test('usage errors exit 2 with one line', async () => {
    for (const args of [['prune', '-P'], ['prune', '-c', CFG, '--pruned_params', 'a', '--pruned_ratios', '1.5'], ['prun']]) {
      const c = capture();
      expect(await main(args, { io: c.io })).toBe(2);
      const text = c.err.join('');
      expect(text.trim().split('\n')).toHaveLength(1);
      expect(text).toMatch(/^slimprune/);
    }
  });

  test('a bad config exits 2 and names the file, key and closest names', async () => {
    const c = capture();
    expect(await main(['prune', '-c', CFG, '-P', '-o', 'MobileNet.norm_typ=bn'], { io: c.io, stages: fakeStages().stages })).toBe(2);
    expect(c.err.join('')).toBe('slimprune prune: config: -o MobileNet.norm_typ=bn: unknown key MobileNet.norm_typ for MobileNet (did you mean norm_type?)\n');
    const d = capture();
    expect(await main(['eval', '-c', 'no/such.yml'], { io: d.io })).toBe(2);
    expect(d.err.join('')).toBe('slimprune eval: config: cannot read config file no/such.yml: no such file\n');
  });

  test('an unknown parameter name exits 2 with the closest names', async () => {
    const c = capture();
    expect(await main(['groups', '-c', CFG, '-p', 'yolo_block.0.0.0.conv.weight'], { io: c.io, stages: fakeStages().stages })).toBe(2);
    expect(c.err.join('')).toMatch(/--pruned_params: expected a parameter of the model, got 'yolo_block\.0\.0\.0\.conv\.weight' \(did you mean yolo_block\.0\.0\.0\.conv\.weights/);
  });

  test('runtime failures exit 1; the stack only with SLIMPRUNE_DEBUG=1', async () => {
    const f = fakeStages();
    const c = capture();
    expect(await main(['eval', '-c', CFG], { io: c.io, stages: f.stages })).toBe(1);
    expect(c.err.join('')).toBe('slimprune eval: weights output/yolov3_mobilenet_v1_voc/model_final: expected a checkpoint directory, a .tar of one or an http(s) URL, got nothing at that path\n');
    const broken = { nn: { buildModel: () => { throw new Error('boom'); }, initModel: () => undefined } };
    const d = capture();
    process.env.SLIMPRUNE_DEBUG = '1';
    try {
      expect(await main(['prune', '-c', CFG, '-P'], { io: d.io, stages: broken })).toBe(1);
    } finally {
      delete process.env.SLIMPRUNE_DEBUG;
    }
    expect(d.err[0]).toBe('slimprune prune: boom\n');
    expect(d.err.join('')).toMatch(/at .*main\.test\.ts/);
  });

  test('architectures not built yet are a clean runtime error', async () => {
    const c = capture();
    const args = ['prune', '-c', CFG, '-P', '-o', 'architecture=CascadeRCNN', 'CascadeRCNN={backbone: ResNet, rpn_head: FPNRPNHead}', 'CascadeBBoxHead={head: CascadeTwoFCHead}'];
    expect(await main(args, { io: c.io, stages: fakeStages().stages })).toBe(1);
    expect(c.err.join('')).toBe('slimprune prune: architecture CascadeRCNN is not available yet\n');
  });

  test('a missing stage module is a clean runtime error', () => {
    expect(() => requireStage(path.join(ROOT, 'src/no_such_stage'), 'src/no_such_stage', ['f'], 'the thing')).toThrow(
      new RuntimeError('the thing is not available in this build yet (no src/no_such_stage)'),
    );
    expect(() => requireStage(path.join(ROOT, 'src/cli/errors'), 'src/cli/errors', ['buildModel'], 'the model builder')).toThrow(
      'the model builder is not available in this build yet (src/cli/errors has no buildModel)',
    );
  });
});

describe('actions', () => {
  test('prune -P prints name: shape of every parameter of the train graph', async () => {
    const f = fakeStages();
    const c = capture();
    expect(await main(['prune', '-c', CFG, '--print_params'], { io: c.io, stages: f.stages })).toBe(0);
    expect(c.out.join('')).toBe(
      'conv1_weights: [32, 3, 3, 3]\nyolo_block.0.0.0.conv.weights: [512, 1024, 1, 1]\nyolo_block.0.0.0.bn.scale: [512]\n' +
        'total: 3 parameter tensors, 525664 values, 2.01 MB (fp32)\n',
    );
    expect(f.calls).toEqual(['build YOLOv3 train -']);
    const j = capture();
    expect(await main(['sensitivity', '-c', CFG, '-P', '--json'], { io: j.io, stages: f.stages })).toBe(0);
    const listed = JSON.parse(j.out.join(''));
    expect(listed.params[1]).toEqual({ name: 'yolo_block.0.0.0.conv.weights', shape: [512, 1024, 1, 1] });
    expect(listed.count).toBe(525664);
  });

  test("flops counts the inference graph at TestReader's fixed image shape", async () => {
    const f = fakeStages();
    const c = capture();
    expect(await main(['flops', '-c', CFG, '--json'], { io: c.io, stages: f.stages })).toBe(0);
    expect(JSON.parse(c.out.join(''))).toEqual({ input_size: 608, macs: 1000, gflops: 1, params: 100, size_mb: 0.4 });
    expect(f.calls).toEqual(['build YOLOv3 test 1x3x608x608']);
    const s = capture();
    expect(await main(['flops', '-c', CFG, '--input_size', '320', '--json'], { io: s.io, stages: f.stages })).toBe(0);
    expect(JSON.parse(s.out.join('')).input_size).toBe(320);
    expect(f.calls[1]).toBe('build YOLOv3 test 1x3x320x320');
    const bad = capture();
    expect(await main(['flops', '-c', CFG, '--input_size', '32.5'], { io: bad.io, stages: f.stages })).toBe(2);
    expect(bad.err.join('')).toMatch(/--input_size: expected a positive integer, got 32.5/);
  });

  test('flops -p prunes the graph shapes and reports before, after and the reduction', async () => {
    const f = fakeStages();
    const c = capture();
    const code = await main(['flops', '-c', CFG, '-p', 'yolo_block.0.0.0.conv.weights', '--pruned-ratios', '0.5', '--json'], { io: c.io, stages: f.stages });
    expect(code).toBe(0);
    const r = JSON.parse(c.out.join(''));
    expect(r.input_size).toBe(608);
    expect(r.before).toEqual({ macs: 1000, gflops: 1, params: 100, size_mb: 0.4 });
    expect(r.after).toEqual({ macs: 500, gflops: 0.5, params: 50, size_mb: 0.2 });
    expect(r.reduction).toEqual({ macs_pct: 50, params_pct: 50 });
    expect(f.calls).toEqual(['build YOLOv3 test 1x3x608x608', 'init', 'plan yolo_block.0.0.0.conv.weights 0.5 ', 'apply only_graph']);
    const t = capture();
    await main(['flops', '-c', CFG, '-p', 'yolo_block.0.0.0.conv.weights', '--pruned_ratios', '0.5'], { io: t.io, stages: fakeStages().stages });
    expect(t.out.join('')).toMatch(/MACs {4}1,000 -> 500 {2}\(-50\.00%\)/);
  });

  test('groups lists each member with its axis', async () => {
    const c = capture();
    expect(await main(['groups', '-c', CFG, '-p', 'yolo_block.0.0.0.conv.weights'], { io: c.io, stages: fakeStages().stages })).toBe(0);
    expect(c.out.join('')).toBe(
      'yolo_block.0.0.0.conv.weights: 512 channels, 2 members\n  yolo_block.0.0.0.conv.weights  axis 0  (producer)\n  yolo_block.0.0.0.bn.scale  axis 0  (channel)\n',
    );
  });

  test('groups without -p lists every group of the graph, unprunable ones with the reason', async () => {
    const c = capture();
    expect(await main(['groups', '-c', CFG], { io: c.io, stages: fakeStages().stages })).toBe(0);
    expect(c.out.join('')).toBe(
      'conv1_weights: 32 channels, 2 members\n  conv1_weights  axis 0  (producer)\n  dw.groups\n' +
        'yolo_output.0.conv.weights: 75 channels, not prunable (its output is a graph output)\n',
    );
    const j = capture();
    expect(await main(['groups', '-c', CFG, '--json'], { io: j.io, stages: fakeStages().stages })).toBe(0);
    expect(JSON.parse(j.out.join('')).map((g: { master: string }) => g.master)).toEqual(['conv1_weights', 'yolo_output.0.conv.weights']);
  });

  test('prune checks parameter names, then trains: a missing dataset is one error line before any weights are fetched (exit 1)', async () => {
    const c = capture();
    const code = await main(['prune', '-c', CFG, '-p', 'conv1_weights', '--pruned_ratios', '0.5', '-o', 'TrainReader.dataset.dataset_dir=no/such/voc'], { io: c.io, stages: fakeStages().stages });
    expect(code).toBe(1);
    expect(c.err.join('')).toMatch(/^slimprune prune: [^\n]*no\/such\/voc[^\n]*\n$/);
  });
});

describe('bin/slimprune.js', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin/slimprune.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SLIMPRUNE_FROM_SOURCE: '1' },
    });

  test('runs from the TypeScript sources: --version, and a config error exits 2 with one line', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const e = run(['prune', '-c', 'configs/yolov3_mobilenet_v1_voc.yml', '-P', '-o', 'YOLOv3.backbone=MobileNt']);
    expect(e.status).toBe(2);
    expect(e.stderr).toBe(
      "slimprune prune: config: -o YOLOv3.backbone=MobileNt: expected one of MobileNet, DarkNet, ResNet, ResNetC5 for YOLOv3.backbone, got 'MobileNt' (did you mean MobileNet?)\n",
    );
  });
});
