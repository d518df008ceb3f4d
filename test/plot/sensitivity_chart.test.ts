// `slimprune sensitivity plot`: a valid SVG with one curve per param and one bar per param
// when ratios are chosen (by --loss, by --target_flops with -c, from --ratios_file), and a PNG.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { XMLParser } from 'fast-xml-parser';
import { cli } from '../util/cli';
import { loadCliConfig } from '../../src/cli/options';
import { writeSensitivityFile } from '../../src/prune/sensitivity_file';
import { sensitivitySpec } from '../../src/plot/sensitivity_chart';
import { digestOf } from '../../src/train/checkpoint';

const ROOT = path.resolve(__dirname, '../..');
const CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_voc.yml');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-plot-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const P = ['yolo_block.0.0.0.conv.weights', 'yolo_block.0.0.1.conv.weights', 'yolo_block.0.1.0.conv.weights'];
const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const curve = (f: (r: number) => number) => Object.fromEntries(grid.map((r) => [String(r), f(r)]));
let file = '';

beforeAll(() => {
  file = path.join(dir, 'sens.json');
  const digest = digestOf(loadCliConfig({ config: CFG, overrides: [] }).model);
  writeSensitivityFile(file, { version: 1, metric: 'mAP', base: 0.75, config_digest: digest, sensitivities: { [P[0]]: curve((r) => r / 10), [P[1]]: curve((r) => r / 100), [P[2]]: curve((r) => (r * r) / 5) } });
});

/** Every element named `name` in parsed XML, depth first. */
function all(node: unknown, name: string, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(node)) node.forEach((n) => all(n, name, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === name) (Array.isArray(v) ? v : [v]).forEach((x) => out.push(x as Record<string, unknown>));
      all(v, name, out);
    }
  }
  return out;
}

function parseSvg(text: string) {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
  expect(xml.svg).toBeDefined();
  const groups = all(xml, 'g');
  /** the marks of one kind: vega draws each mark set as a <g class="mark-KIND role-mark ..."> */
  const marks = (kind: string) => groups.filter((g) => String(g.class ?? '').split(' ').includes(`mark-${kind}`) && String(g.class).includes('role-mark'));
  const texts = all(xml, 'text').map((t) => (typeof t === 'object' ? String(t['#text'] ?? '') : String(t)));
  return { xml, marks, texts };
}

test('--loss: one curve per param, one bar per param with its chosen ratio, a valid SVG', async () => {
  const out = path.join(dir, 'loss.svg');
  const r = await cli('sensitivity', 'plot', '-s', file, '-o', out, '--loss', '0.02');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toBe(`wrote ${out}: 3 curve(s), chosen ratios (loss <= 0.02)\n`);
  const svg = parseSvg(fs.readFileSync(out, 'utf8'));
  const lines = svg.marks('line').flatMap((g) => all(g, 'path'));
  expect(lines).toHaveLength(3);
  const bars = svg.marks('rect').flatMap((g) => all(g, 'path'));
  expect(bars).toHaveLength(3);
  for (const p of P) expect(svg.texts).toContain(p);
  expect(svg.texts.some((t) => t.includes('chosen ratios (loss <= 0.02)'))).toBe(true);
});

test('the bars carry the chosen ratios; no choice, no bars', () => {
  const f = { version: 1, metric: 'mAP', base: 0.5, config_digest: 'ab', sensitivities: { a: { '0.1': 0.01 }, b: { '0.1': 0.2 } } };
  const spec = sensitivitySpec(f, { ratios: { a: 0.1 }, title: 't' }) as { vconcat: Array<{ data: { values: unknown[] } }> };
  expect(spec.vconcat).toHaveLength(2);
  expect(spec.vconcat[1].data.values).toEqual([{ param: 'a', ratio: 0.1 }, { param: 'b', ratio: 0 }]);
  expect(spec.vconcat[0].data.values).toEqual([{ param: 'a', ratio: 0.1, loss: 0.01 }, { param: 'b', ratio: 0.1, loss: 0.2 }]);
  expect((sensitivitySpec(f, null) as { vconcat: unknown[] }).vconcat).toHaveLength(1);
});

test('PNG by --target_flops with -c, and from a --ratios_file', async () => {
  const png = path.join(dir, 'flops.png');
  const r = await cli('sensitivity', 'plot', '-s', file, '-o', png, '--target_flops', '0.05', '-c', CFG);
  expect(r.err).toBe('');
  expect(r.out).toMatch(/chosen ratios \(FLOPs -\d+\.\d%\)/);
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  expect(meta.width).toBeGreaterThan(400);
  expect(meta.height).toBeGreaterThan(300);
  const json = path.join(dir, 'ratios.json');
  fs.writeFileSync(json, JSON.stringify({ pruned_params: [P[1]], pruned_ratios: [0.6] }));
  const svgFile = path.join(dir, 'file.svg');
  const s = await cli('sensitivity', 'plot', '-s', file, '-o', svgFile, '--ratios_file', json);
  expect(s.code).toBe(0);
  expect(parseSvg(fs.readFileSync(svgFile, 'utf8')).marks('rect').flatMap((g) => all(g, 'path'))).toHaveLength(3);
  const plain = path.join(dir, 'plain.svg');
  expect((await cli('sensitivity', 'plot', '-s', file, '-o', plain)).out).toBe(`wrote ${plain}: 3 curve(s)\n`);
  expect(parseSvg(fs.readFileSync(plain, 'utf8')).marks('rect')).toHaveLength(0);
});

test('refusals: output type, choices mixed, a bad ratios file', async () => {
  expect((await cli('sensitivity', 'plot', '-s', file, '-o', path.join(dir, 'x.pdf'))).err).toMatch(/-o, --output: expected a file name ending in \.svg or \.png, got '.*x\.pdf'/);
  const json = path.join(dir, 'bad.json');
  fs.writeFileSync(json, JSON.stringify({ ratios: { a: 1.5 } }));
  expect((await cli('sensitivity', 'plot', '-s', file, '-o', path.join(dir, 'x.svg'), '--ratios_file', json)).err).toMatch(/--ratios_file .*bad\.json: expected \{"ratios"/);
  expect((await cli('sensitivity', 'plot', '-s', file, '-o', path.join(dir, 'x.svg'), '--ratios_file', json, '--loss', '0.1')).err).toMatch(/got both/);
  expect((await cli('sensitivity', 'plot', '-s', file, '-o', path.join(dir, 'x.svg'), '--target_flops', '0.5')).err).toMatch(/--target_flops: expected -c CONFIG/);
  expect(fs.existsSync(path.join(dir, 'x.svg'))).toBe(false);
});
