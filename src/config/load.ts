/**
 * Reading a config file into one merged mapping: the file's `_READER_` (a path relative to
 * the including file, `~` expanded; includes may include further files) is read first and the
 * including file's keys are merged over it (merge.ts), then `-o` overrides are applied. The
 * result is raw (only YAML-typed); resolve.ts checks it against the registry.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { configError, describeValue } from './errors';
import { Origins, isMapping, mergeLayer, type Mapping } from './merge';
import { applyOverrides } from './overrides';
import { parseYaml } from './yaml';

export const READER_KEY = '_READER_';

export interface LoadedConfig {
  /** absolute path of the top file; null for configs built from an object */
  file: string | null;
  data: Mapping;
  origins: Origins;
}

export interface LoadOptions {
  /** `key=value` strings, as given to `-o` */
  overrides?: readonly string[];
}

/** A path for messages: relative to the working directory when below it. */
export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  const abs = path.resolve(file);
  const origins = new Origins();
  const data = readLayered(abs, [], origins);
  applyOverrides(data, opts.overrides ?? [], origins);
  return { file: abs, data, origins };
}

/** A config given as an object (tests, programmatic use); overrides apply as for files. */
export function configFromObject(data: Mapping, opts: LoadOptions & { source?: string } = {}): LoadedConfig {
  const origins = new Origins();
  const out: Mapping = {};
  mergeLayer(out, data, origins, opts.source ?? '<object>');
  applyOverrides(out, opts.overrides ?? [], origins);
  return { file: null, data: out, origins };
}

function readLayered(abs: string, chain: readonly string[], origins: Origins): Mapping {
  const shown = displayPath(abs);
  if (chain.includes(abs)) {
    const parent = displayPath(chain[chain.length - 1]);
    throw configError(`${READER_KEY} include cycle: ${[...chain, abs].map(displayPath).join(' -> ')}`, parent, READER_KEY);
  }
  const parsed = parseYaml(readText(abs, chain), shown) ?? {};
  if (!isMapping(parsed)) {
    throw configError(`expected a mapping of config keys at the top of the file, got ${describeValue(parsed)}`, shown);
  }
  const include = parsed[READER_KEY];
  delete parsed[READER_KEY];
  let data: Mapping = {};
  if (include !== undefined) {
    if (typeof include !== 'string' || include.trim() === '') {
      throw configError(`expected a file path for ${READER_KEY}, got ${describeValue(include)}`, shown, READER_KEY);
    }
    data = readLayered(includePath(include, abs), [...chain, abs], origins);
  }
  mergeLayer(data, parsed, origins, shown);
  return data;
}

function includePath(include: string, from: string): string {
  const p = include.startsWith('~') ? path.join(os.homedir(), include.slice(1)) : include;
  return path.resolve(path.dirname(from), p);
}

function readText(abs: string, chain: readonly string[]): string {
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    const parent = chain[chain.length - 1];
    if (!parent) throw configError(`cannot read config file ${displayPath(abs)}: ${why}`);
    throw configError(`cannot read ${READER_KEY} ${displayPath(abs)}: ${why}`, displayPath(parent), READER_KEY);
  }
}
