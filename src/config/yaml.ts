/**
 * YAML reading with PaddleDetection's tags. Every registered component name is a local tag:
 * `!PiecewiseDecay {gamma: 0.1}` reads as `{ __type__: 'PiecewiseDecay', gamma: 0.1 }`, and a
 * bare `!NormalizeBox` (no value) as `{ __type__: 'NormalizeBox' }`. Documents are read as
 * YAML 1.1, the version PyYAML (which PaddleDetection uses) implements, so `True`, `yes`,
 * `off` and `0.` mean what they mean there (single letters y/n stay strings, as in PyYAML). Unknown tags, duplicate keys and syntax errors
 * become one ConfigError with file:line:column.
 */
import { parseDocument, YAMLMap, type CollectionTag, type ScalarTag, type Tags, type YAMLError } from 'yaml';
import { configError, didYouMean, type ConfigError } from './errors';
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

/** Parses YAML text; `source` names it in errors (a file path or `-o key=value`). */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: (base) => [...withPyYamlBooleans(base), ...TAGS],
    prettyErrors: false,
  });
  const problems: YAMLError[] = [...doc.errors, ...doc.warnings];
  if (problems.length) throw yamlError(problems[0], text, source);
  return doc.toJS({ maxAliasCount: 1000 });
}

function yamlError(e: YAMLError, text: string, source: string): ConfigError {
  const [line, col] = lineCol(text, e.pos[0]);
  const where = `${source}:${line}:${col}`;
  const unresolved = /^Unresolved tag: !(.*)$/.exec(e.message);
  if (unresolved) {
    const name = unresolved[1];
    return configError(`unknown tag !${name}${didYouMean(name, REGISTRY.keys())}`, where);
  }
  const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return configError(`cannot parse: ${msg}`, where);
}

function lineCol(text: string, offset: number): [number, number] {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return [line, offset - before.lastIndexOf('\n')];
}
