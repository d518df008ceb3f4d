/**
 * YAML reading with PaddleDetection's tags. Every registered component name is a local tag:
 * `!PiecewiseDecay {gamma: 0.1}` reads as `{ __type__: 'PiecewiseDecay', gamma: 0.1 }`, and a
 * bare `!NormalizeBox` (no value) as `{ __type__: 'NormalizeBox' }`. Documents are read as
 * YAML 1.1, the version PyYAML (which PaddleDetection uses) implements, so `True`, `yes`,
 * `off` and `0.` mean what they mean there (single letters y/n stay strings, as in PyYAML). Unknown tags, duplicate keys and syntax errors
 * become one ConfigError with file:line:column.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  YAMLMap,
  type CollectionTag,
  type Document,
  type Node,
  type ScalarTag,
  type Tags,
  type YAMLError,
} from 'yaml';
import { configError, didYouMean, type ConfigError } from './errors';
import { CONFIG_LIMITS, forbiddenKeyError, forbiddenKeyReason } from './limits';
import { REGISTRY } from './registry';

/**
 * A mapping node under a `!Name` tag; its plain value carries the tag as `__type__`. The
 * object is created with `__type__` before the pairs are added (through the constructor
 * argument of YAMLMap.toJSON) so that aliases of an anchored tagged mapping keep the tag.
 */
class TaggedMap extends YAMLMap {
  override toJSON(_?: unknown, ctx?: Parameters<YAMLMap['toJSON']>[1]): any {
    const name = String(this.tag).replace(/^!/, '');
    const Make = function () {
      return { __type__: name };
    } as unknown as new () => Map<unknown, unknown>;
    return super.toJSON(_, ctx, Make);
  }
}

/** PyYAML's booleans: YAML 1.1's without the single letters y/Y/n/N. */
const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

function withPyYamlBooleans(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
    return { ...t, test: t.identify?.(true) ? PY_TRUE : PY_FALSE } as ScalarTag;
  });
}

function componentTags(): Tags {
  const tags: Array<CollectionTag | ScalarTag> = [];
  for (const name of REGISTRY.keys()) {
    const tag = `!${name}`;
    tags.push({ tag, collection: 'map', nodeClass: TaggedMap, identify: () => false });
    tags.push({
      tag,
      identify: () => false,
      resolve(value: string, onError: (msg: string) => void) {
        if (value.trim() === '') return { __type__: name };
        onError(`expected a mapping (or nothing) after ${tag}, got '${value}'`);
        return value;
      },
    });
  }
  return tags;
}

const TAGS = componentTags();

/**
 * Parses YAML text; `source` names it in errors (a file path or `-o key=value`). The document
 * is measured (limits.ts) before any JS value is built from it: keys, nesting, anchors and
 * the size it would have with every alias expanded, so neither a key that would edit
 * Object.prototype nor an alias bomb ever reaches the merge. Duplicate keys are found here
 * with a set per mapping (the YAML library's own check compares every pair of keys).
 */
export function parseYaml(text: string, source: string): unknown {
  prescan(text, source);
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      version: '1.1',
      customTags: (base) => [...withPyYamlBooleans(base), ...TAGS],
      prettyErrors: false,
      uniqueKeys: false,
    });
  } catch (e) {
    throw configError(`cannot parse: ${internalReason(e)}`, source);
  }
  const problems: YAMLError[] = [...doc.errors, ...doc.warnings];
  if (problems.length) throw yamlError(problems[0], text, source);
  if (doc.contents) new Meter(text, source).node(doc.contents, 0);
  try {
    // Aliases were counted and resolved above; the library's own count would walk the document per alias.
    return doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    throw configError(`cannot read: ${internalReason(e)}`, source);
  }
}

/**
 * A linear look at the raw text that refuses, before the (slow per key) YAML parser runs,
 * what cannot be under the limits: far more `key: ` separators than keys allowed, or flow
 * brackets nested far deeper than allowed. Quotes and comments are not told apart here, so
 * the margins are wide; the exact counts come from the Meter.
 */
function prescan(text: string, source: string): void {
  const L = CONFIG_LIMITS;
  let colons = 0;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next) || next === 32 || next === 10 || next === 13 || next === 9) colons++;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > deepest) deepest = depth;
    } else if ((c === 93 /* ] */ || c === 125) /* } */ && depth > 0) depth--;
  }
  if (colons > 2 * L.keys) throw configError(`expected at most ${L.keys} keys in one document, got about ${colons}`, source);
  if (deepest > 16 * L.depth) throw configError(`expected at most ${L.depth} levels of nesting, got brackets ${deepest} deep`, source);
}

/** A library or engine failure, as one line (a stack overflow means nesting beyond any config). */
function internalReason(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return `expected at most ${CONFIG_LIMITS.depth} levels of nesting, got more`;
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

interface Measure {
  /** values once aliases are expanded (capped just above the limit) */
  size: number;
  /** levels of collections from this node down (0 for a scalar), aliases expanded */
  height: number;
}

/** One pass over a document's nodes, in document order; each node is visited once. */
class Meter {
  private keys = 0;
  private refs = 0;
  /** the latest node carrying each anchor name so far (an alias means the last one before it) */
  private readonly anchors = new Map<string, Node>();
  private readonly measured = new Map<Node, Measure>();
  /** anchored nodes still being measured: an alias to one of them would make a cycle */
  private readonly open = new Set<Node>();

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  private where(n: { range?: readonly number[] | null } | null | undefined): string {
    const off = n?.range?.[0];
    if (off === undefined) return this.source;
    const [line, col] = lineCol(this.text, off);
    return `${this.source}:${line}:${col}`;
  }

  private fail(n: { range?: readonly number[] | null } | null | undefined, body: string): never {
    throw configError(body, this.where(n));
  }

  private countRef(n: Node): void {
    if (++this.refs > CONFIG_LIMITS.aliases) this.fail(n, `expected at most ${CONFIG_LIMITS.aliases} anchors and aliases, got more`);
  }

  node(n: unknown, depth: number): Measure {
    const L = CONFIG_LIMITS;
    if (n === null || n === undefined) return { size: 1, height: 0 };
    const node = n as Node;
    // depth: the collections around this node; a collection here is level depth + 1.
    if (depth >= L.depth && (isMap(node) || isSeq(node))) this.fail(node, `expected at most ${L.depth} levels of nesting, got more`);
    if (isAlias(node)) {
      this.countRef(node);
      const target = this.anchors.get(node.source);
      if (!target) this.fail(node, `unknown alias *${node.source} (an anchor &${node.source} must come before it)`);
      if (this.open.has(target)) this.fail(node, `alias *${node.source} is inside the node it refers to`);
      const m = this.measured.get(target) as Measure;
      if (depth + m.height > L.depth) this.fail(node, `expected at most ${L.depth} levels of nesting once *${node.source} is expanded, got more`);
      return m;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      this.countRef(node);
      this.anchors.set(anchor, node);
      this.open.add(node);
    }
    let size = 1;
    let height = 0;
    const add = (m: Measure) => {
      size = Math.min(size + m.size, L.nodes + 1);
      height = Math.max(height, m.height);
    };
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (++this.keys > L.keys) this.fail(pair.key as Node, `expected at most ${L.keys} keys in one document, got more`);
        const key = pair.key as Node | null;
        if (!isScalar(key)) this.fail(key ?? node, 'expected a plain key (a name or number), got a collection or nothing');
        const name = String(key.value);
        if (forbiddenKeyReason(name) !== undefined) throw forbiddenKeyError(name, this.where(key));
        if (name !== '<<') {
          if (seen.has(name)) this.fail(key, `cannot parse: Map keys must be unique; ${name} appears twice`);
          seen.add(name);
        }
        size = Math.min(size + 1, L.nodes + 1);
        add(this.node(pair.value, depth + 1));
      }
    } else if (isSeq(node)) {
      for (const item of node.items) add(this.node(item, depth + 1));
    }
    if (size > L.nodes) this.fail(node, `expected at most ${L.nodes} values once aliases are expanded, got more`);
    const m = { size, height: isMap(node) || isSeq(node) ? height + 1 : 0 };
    if (anchor) {
      this.open.delete(node);
      this.measured.set(node, m);
    }
    return m;
  }
}

function yamlError(e: YAMLError, text: string, source: string): ConfigError {
  const [line, col] = lineCol(text, e.pos[0]);
  const where = `${source}:${line}:${col}`;
  const unresolved = /^Unresolved tag: !(.*)$/.exec(e.message);
  if (unresolved) {
    const name = unresolved[1];
    return configError(`unknown tag !${name}${didYouMean(name, REGISTRY.keys())}`, where);
  }
  if (/call stack/i.test(e.message)) return configError(`expected at most ${CONFIG_LIMITS.depth} levels of nesting, got more`, where);
  const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return configError(`cannot parse: ${msg}`, where);
}

function lineCol(text: string, offset: number): [number, number] {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return [line, offset - before.lastIndexOf('\n')];
}
