/**
 * Reading a config file into one merged mapping: the file's `_READER_` (a path relative to
 * the including file, `~` expanded; includes may include further files) is read first and the
 * including file's keys are merged over it (merge.ts), then `-o` overrides are applied. The
 * result is raw (only YAML-typed); resolve.ts checks it against the registry.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, configError, describeValue } from './errors';
import { CONFIG_LIMITS } from './limits';
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
  if (chain.length > CONFIG_LIMITS.includeDepth) {
    const parent = displayPath(chain[chain.length - 1]);
    throw configError(`expected ${READER_KEY} includes at most ${CONFIG_LIMITS.includeDepth} deep, got more`, parent, READER_KEY);
  }
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

/**
 * The text of a config file: a regular file (a directory, FIFO, device or socket is refused
 * before it is opened, and the open itself does not wait on a FIFO swapped in since) of at
 * most CONFIG_LIMITS.fileBytes.
 */
function readText(abs: string, chain: readonly string[]): string {
  const parent = chain[chain.length - 1];
  const fail = (why: string) => {
    if (!parent) return configError(`cannot read config file ${displayPath(abs)}: ${why}`);
    return configError(`cannot read ${READER_KEY} ${displayPath(abs)}: ${why}`, displayPath(parent), READER_KEY);
  };
  const limit = CONFIG_LIMITS.fileBytes;
  let fd: number | undefined;
  try {
    const kind = fileKind(fs.statSync(abs));
    if (kind) throw fail(`expected a regular file, got ${kind}`);
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    const again = fileKind(st);
    if (again) throw fail(`expected a regular file, got ${again}`);
    if (st.size > limit) throw fail(`expected at most ${limit} bytes, got ${st.size}`);
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > limit) throw fail(`expected at most ${limit} bytes, got more`);
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw fail(err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What a non-regular file is, for messages; undefined for a regular file. */
function fileKind(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'something else';
}
