// Mutated real configs: a seeded case takes one of the project's configs or of the stored
// PaddleDetection ones and applies 1-4 mutations, on the YAML document (delete, duplicate,
// rename keys; values of the wrong type; huge, negative, NaN numbers; prototype keys; deep
// nesting; aliases; includes of odd files; long lists) or on the text (truncation, random
// bytes, lines dropped, doubled, re-indented), sometimes with `-o` overrides. Case (seed, i)
// is the same on every run.
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, isSeq, parseDocument, Pair, Scalar, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function rngFor(seed: number, i: number): Rng {
  let a = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

export const ROOT = path.resolve(__dirname, '../..');
export const SOURCES = [path.join(ROOT, 'configs'), path.resolve(ROOT, '../shared/paddledet-configs')];

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];

/** Keys the model is built from: mutated more often than the rest. */
const HOT_PATHS = [
  ['num_classes'],
  ['YOLOv3Head', 'num_classes'],
  ['YOLOv3Head', 'conv_block_num'],
  ['YOLOv3Head', 'anchors'],
  ['YOLOv3Head', 'anchor_masks'],
  ['YOLOv3Head', 'downsample'],
  ['YOLOv3Head', 'norm_decay'],
  ['YOLOv3Head', 'scale_x_y'],
  ['YOLOv3Head', 'nms', 'keep_top_k'],
  ['MobileNet', 'conv_group_scale'],
  ['MobileNet', 'norm_decay'],
  ['MobileNet', 'norm_type'],
  ['YOLOv3', 'backbone'],
  ['YOLOv3', 'yolo_head'],
  ['architecture'],
  ['TestReader', 'inputs_def', 'image_shape'],
  ['TrainReader', 'inputs_def', 'image_shape'],
  ['TrainReader', 'batch_size'],
  ['ResNet', 'depth'],
  ['ResNet', 'feature_maps'],
  ['LearningRate', 'base_lr'],
  ['_READER_'],
];

const ODD_NUMBERS: unknown[] = [
  0, -0, -1, 1, 2, 3, 31, 32, 33, 255, 256, 1.5, -2.5, 1e-300, 1e308, 2 ** 31, 2 ** 31 - 1, 2 ** 53 + 2, -(2 ** 53),
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 99999999999999999999, 100000, 65536,
];
const ODD_STRINGS = ['', ' ', '12', '0x10', '1e3', 'nan', '.inf', 'true', 'null', '~', 'YOLOv3', 'MobileNet', 'YOLOV3', 'x'.repeat(300), '!DecodeImage', '*a', '&a', '{', '[', '__proto__', '\t', 'é™'];

/** Files an include may point at besides config files. */
export interface OddFiles {
  fifo: string | null;
  dir: string;
  big: string;
  binary: string;
  missing: string;
  devLink: string;
}

/** Creates the odd include targets once per worker in `dir`. */
export function makeOddFiles(dir: string, mkfifo: (p: string) => boolean): OddFiles {
  const big = path.join(dir, 'big.yml');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 5 * 1024 * 1024); // sparse: cheap to make, over the size limit
  const binary = path.join(dir, 'binary.yml');
  const r = rngFor(1, 1);
  fs.writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, () => Math.floor(r() * 256))));
  const devLink = path.join(dir, 'zero-link.yml');
  try {
    fs.symlinkSync('/dev/zero', devLink);
  } catch {
    /* already there */
  }
  const fifo = path.join(dir, 'fifo.yml');
  fs.mkdirSync(path.join(dir, 'subdir'), { recursive: true });
  return { fifo: mkfifo(fifo) ? fifo : null, dir: path.join(dir, 'subdir'), big, binary, missing: path.join(dir, 'missing.yml'), devLink };
}

function oddTargets(o: OddFiles): string[] {
  return ['/dev/zero', '/dev/null', '/dev/urandom', o.dir, o.big, o.binary, o.missing, o.devLink, '/', '', '~', ...(o.fifo ? [o.fifo] : [])];
}

function oddValue(r: Rng, doc: Document, depthBudget = 3): unknown {
  const k = r();
  if (k < 0.35) return pick(r, ODD_NUMBERS);
  if (k < 0.6) return pick(r, ODD_STRINGS);
  if (k < 0.65) return null;
  if (k < 0.7) return r() < 0.5;
  if (k < 0.85 || depthBudget <= 0) return Array.from({ length: int(r, 0, 4) }, () => (depthBudget > 0 ? oddValue(r, doc, depthBudget - 1) : pick(r, ODD_NUMBERS)));
  const m: Record<string, unknown> = {};
  for (let j = int(r, 0, 3); j > 0; j--) m[pick(r, ['a', 'type', 'name', 'score_threshold', ...PROTO_KEYS.slice(1, 3)])] = oddValue(r, doc, depthBudget - 1);
  return m;
}

/** Every node path of the document (keys and list indices), root excluded. */
function allPaths(doc: Document): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (n: unknown, p: Array<string | number>) => {
    if (out.length > 5000) return;
    if (isMap(n)) {
      for (const pair of n.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : null;
        if (k === null) continue;
        out.push([...p, k]);
        walk(pair.value, [...p, k]);
      }
    } else if (isSeq(n)) n.items.forEach((x, j) => (out.push([...p, j]), walk(x, [...p, j])));
  };
  walk(doc.contents, []);
  return out;
}

function mapsOf(doc: Document): YAMLMap[] {
  const out: YAMLMap[] = [];
  const walk = (n: unknown) => {
    if (isMap(n)) {
      out.push(n);
      n.items.forEach((p) => walk(p.value));
    } else if (isSeq(n)) n.items.forEach(walk);
  };
  walk(doc.contents);
  return out;
}

function nest(r: Rng, depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let d = 0; d < depth; d++) v = r() < 0.5 ? [v] : { a: v };
  return v;
}

type DocMutation = (r: Rng, doc: Document, odd: OddFiles) => void;

/** Values a model may well be built from: they exercise the builders rather than the checks. */
const PLAUSIBLE: Array<[Array<string | number>, (r: Rng) => unknown]> = [
  [['num_classes'], (r) => int(r, 1, 120)],
  [['YOLOv3Head', 'conv_block_num'], (r) => int(r, 0, 3)],
  [['MobileNet', 'conv_group_scale'], (r) => pick(r, [0.01, 0.125, 0.25, 0.5, 0.75, 1, 1.5, 2])],
  [['TestReader', 'inputs_def', 'image_shape'], (r) => [3, 32 * int(r, 1, 12), 32 * int(r, 1, 12)]],
  [['YOLOv3Head', 'anchor_masks'], (r) => pick(r, [[[6, 7, 8], [3, 4, 5]], [[8], [4], [0]], [[0, 1, 2, 3, 4, 5, 6, 7, 8]], [[6, 7, 8], [3, 4, 5], [0, 1, 2]]])],
  [['YOLOv3Head', 'anchors'], (r) => Array.from({ length: 9 }, () => [int(r, 1, 400), int(r, 1, 400)])],
  [['YOLOv3Head', 'scale_x_y'], (r) => pick(r, [1, 1.05, [1.2, 1.1, 1.05]])],
  [['YOLOv3', 'backbone'], (r) => pick(r, ['MobileNet', 'DarkNet', 'ResNet'])],
  [['MobileNet', 'norm_type'], (r) => pick(r, ['bn', 'sync_bn'])],
  [['YOLOv3Head', 'norm_decay'], (r) => pick(r, [0, 0.0005, 1])],
];

const DOC_MUTATIONS: Record<string, DocMutation> = {
  plausible(r, doc) {
    const [p, v] = pick(r, PLAUSIBLE);
    doc.setIn(p, doc.createNode(v(r)));
  },
  deleteKey(r, doc) {
    const ps = allPaths(doc);
    if (ps.length) doc.deleteIn(pick(r, ps));
  },
  duplicateKey(r, doc) {
    const m = pick(r, mapsOf(doc));
    if (m?.items.length) {
      const p = pick(r, m.items);
      m.items.push(new Pair(p.key, p.value));
    }
  },
  renameKey(r, doc) {
    const m = pick(r, mapsOf(doc));
    if (m?.items.length) {
      const p = pick(r, m.items);
      if (isScalar(p.key)) p.key = new Scalar(String(p.key.value) + pick(r, ['_', 's', 'X', '']).slice(0, 1) + (r() < 0.3 ? '.x' : ''));
    }
  },
  oddValue(r, doc) {
    const ps = r() < 0.6 ? HOT_PATHS : allPaths(doc);
    if (ps.length) doc.setIn(pick(r, ps), doc.createNode(oddValue(r, doc)));
  },
  protoKey(r, doc) {
    const m = pick(r, mapsOf(doc));
    if (m) m.items.push(new Pair(new Scalar(pick(r, PROTO_KEYS)), doc.createNode(r() < 0.5 ? { polluted: 1, conv_block_num: 0 } : oddValue(r, doc))));
  },
  deepNesting(r, doc) {
    const ps = allPaths(doc);
    if (ps.length) doc.setIn(pick(r, ps), doc.createNode(nest(r, int(r, 20, 90), pick(r, ODD_NUMBERS))));
  },
  longList(r, doc) {
    const ps = r() < 0.5 ? HOT_PATHS : allPaths(doc);
    const n = int(r, 100, 3000);
    doc.setIn(pick(r, ps), doc.createNode(Array.from({ length: n }, (_, j) => (r() < 0.5 ? j : [j, j]))));
  },
  alias(r, doc) {
    const ps = allPaths(doc);
    if (ps.length < 2) return;
    const target = doc.getIn(pick(r, ps), true) as Node | undefined;
    if (!target || typeof target !== 'object') return;
    (target as { anchor?: string }).anchor = 'a' + int(r, 0, 3);
    doc.setIn(pick(r, ps), doc.createAlias(target as Scalar, (target as { anchor?: string }).anchor));
  },
  include(r, doc, odd) {
    doc.set('_READER_', pick(r, oddTargets(odd)));
  },
  tag(r, doc) {
    const m = pick(r, mapsOf(doc));
    if (m) m.tag = pick(r, ['!YOLOv3Head', '!MobileNet', '!Nope', '!DecodeImage', '!TrainReader', '!!map', '!!str', '!MultiClassNMS']);
  },
  swapSections(r, doc) {
    const root = doc.contents;
    if (!isMap(root) || root.items.length < 2) return;
    const a = pick(r, root.items);
    const b = pick(r, root.items);
    [a.value, b.value] = [b.value, a.value];
  },
  emptyCollections(r, doc) {
    const ps = allPaths(doc);
    if (ps.length) doc.setIn(pick(r, ps), r() < 0.5 ? new YAMLSeq() : new YAMLMap());
  },
};

const BOMB = (levels: number, fan: number) => {
  let s = `b0: &b0 [${Array(fan).fill('x').join(', ')}]\n`;
  for (let j = 1; j < levels; j++) s += `b${j}: &b${j} [${Array(fan).fill(`*b${j - 1}`).join(', ')}]\n`;
  return s;
};

type TextMutation = (r: Rng, text: string) => string;

const TEXT_MUTATIONS: Record<string, TextMutation> = {
  truncate: (r, t) => t.slice(0, Math.floor(r() * t.length)),
  randomBytes(r, t) {
    const chars = [...t];
    for (let j = int(r, 1, 8); j > 0; j--) {
      const at = Math.floor(r() * (chars.length + 1));
      const c = r() < 0.5 ? pick(r, [':', '&', '*', '!', '[', ']', '{', '}', '%', '@', '`', '|', '>', '-', '#', '"', "'", '\t', '\n', '\u0000', '\uFEFF', '\uFFFD', ' ']) : String.fromCharCode(int(r, 0, 0x2ff));
      chars.splice(at, r() < 0.5 ? 1 : 0, c);
    }
    return chars.join('');
  },
  dropLine(r, t) {
    const ls = t.split('\n');
    ls.splice(Math.floor(r() * ls.length), 1);
    return ls.join('\n');
  },
  doubleLine(r, t) {
    const ls = t.split('\n');
    const j = Math.floor(r() * ls.length);
    ls.splice(j, 0, ls[j]);
    return ls.join('\n');
  },
  reindent(r, t) {
    const ls = t.split('\n');
    const j = Math.floor(r() * ls.length);
    ls[j] = ' '.repeat(int(r, 0, 7)) + ls[j].trimStart();
    return ls.join('\n');
  },
  aliasBomb: (r, t) => t + '\n' + BOMB(int(r, 3, 9), int(r, 2, 9)),
  unknownAlias: (r, t) => t + `\nnum_classes: *${pick(r, ['nope', 'b0', 'a0'])}\n`,
  protoLine: (r, t) => t + `\n${pick(r, PROTO_KEYS)}:\n  polluted: 1\n  conv_block_num: 0\n`,
  flowDeep: (r, t) => t + `\nMobileNet: ${'['.repeat(int(r, 50, 3000))}\n`,
};

export interface ConfigCase {
  /** the file to load */
  top: string;
  /** -o overrides */
  overrides: string[];
  /** names one of which a ConfigError must mention */
  names: string[];
  /** files to delete afterwards */
  written: string[];
  /** what was done, for a failure report */
  steps: string[];
}

/** Writes case i's files under the copy of its source in `work` (work/<n>/...). */
export function makeConfigCase(seed: number, i: number, work: string, odd: OddFiles): ConfigCase {
  const r = rngFor(seed, i);
  const s = Math.floor(r() * SOURCES.length);
  const dir = path.join(work, String(s));
  const bases = fs.readdirSync(dir).filter((f) => f.endsWith('.yml') && !f.startsWith('case_'));
  const base = pick(r, bases);
  const text = fs.readFileSync(path.join(dir, base), 'utf8');
  const steps = [`base ${path.basename(SOURCES[s])}/${base}`];
  const names = [`case_${i}`, ...bases, '-o '];
  const written: string[] = [];

  // Sometimes the include is mutated instead of (or as well as) the top file.
  let topText = text;
  const include = /^_READER_:\s*'?([^'\n]+)'?\s*$/m.exec(text)?.[1];
  if (include && r() < 0.25 && bases.includes(include)) {
    const incName = `case_${i}_reader.yml`;
    const inc = mutateText(r, fs.readFileSync(path.join(dir, include), 'utf8'), odd, steps, 'include ');
    fs.writeFileSync(path.join(dir, incName), inc);
    written.push(path.join(dir, incName));
    topText = topText.replace(/^_READER_:.*$/m, `_READER_: ${incName}`);
  }
  if (r() < 0.85 || written.length === 0) topText = mutateText(r, topText, odd, steps, '');
  const top = path.join(dir, `case_${i}.yml`);
  fs.writeFileSync(top, topText);
  written.push(top);

  const overrides: string[] = [];
  if (r() < 0.4) {
    for (let j = int(r, 1, 3); j > 0; j--) {
      const proto = r() < 0.5 ? '__proto__' : pick(r, PROTO_KEYS);
      const key = r() < 0.4 ? [...pick(r, [[], ['TrainReader'], ['YOLOv3Head', 'nms']]), proto, pick(r, ['x', 'conv_block_num'])].join('.') : pick(r, HOT_PATHS).join('.');
      const v = oddValue(r, parseDocument(''));
      overrides.push(`${key}=${typeof v === 'string' ? v : JSON.stringify(v) ?? 'null'}`);
    }
    steps.push(`-o ${overrides.join(' -o ')}`);
  }
  return { top, overrides, names: [...names, ...oddTargets(odd).filter((x) => x.length > 1)], written, steps };
}

function mutateText(r: Rng, text: string, odd: OddFiles, steps: string[], label: string): string {
  const n = int(r, 1, 4);
  const docFirst = r() < 0.7;
  let out = text;
  const mild = r() < 0.3;
  if (docFirst || mild) {
    const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, logLevel: 'silent' });
    for (let j = 0; j < n; j++) {
      const name = mild ? 'plausible' : pick(r, Object.keys(DOC_MUTATIONS));
      steps.push(label + name);
      try {
        DOC_MUTATIONS[name](r, doc, odd);
      } catch {
        steps.push(`(${name} not applicable)`);
      }
    }
    try {
      out = doc.toString({ lineWidth: 0 });
    } catch {
      steps.push('(not serialisable: text kept)');
    }
  }
  if (!mild && (!docFirst || r() < 0.3)) {
    const name = pick(r, Object.keys(TEXT_MUTATIONS));
    steps.push(label + name);
    out = TEXT_MUTATIONS[name](r, out);
  }
  return out;
}
