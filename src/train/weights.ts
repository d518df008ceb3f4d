/**
 * Where `pretrain_weights` / `weights` point: a local checkpoint directory, a `.tar` (or
 * `.tar.gz` / `.tgz`) holding one, or an http(s) URL of such an archive. resolveWeights() turns
 * any of them into a local checkpoint directory.
 *
 * Downloads go once into a cache (SLIMPRUNE_CACHE, else ~/.cache/slimprune): the bytes land in
 * `<name>.part`, an interrupted download continues from there with a Range request (a server
 * that ignores Range restarts it), the finished file's sha256 is checked against a
 * `#sha256=<hex>` suffix of the URL when given and recorded beside it, and only then is it
 * renamed into place. A cached file whose recorded checksum no longer matches is fetched again.
 *
 * Archives are checked entry by entry before anything is written: absolute paths, `..`
 * components, links whose target leaves the folder and anything but files, folders and links
 * are refused with the entry named. They unpack into a temp folder renamed into place.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar';
import { isCheckpointDir } from './checkpoint';

export class WeightsError extends Error {
  override name = 'WeightsError';
}

export interface ResolveOptions {
  /** cache folder (default SLIMPRUNE_CACHE or ~/.cache/slimprune) */
  cacheDir?: string;
  /** progress and cache messages */
  log?: (line: string) => void;
}

export function defaultCacheDir(): string {
  return process.env.SLIMPRUNE_CACHE || path.join(os.homedir(), '.cache', 'slimprune');
}

const ARCHIVE = /\.(tar|tar\.gz|tgz)$/i;

/** The local checkpoint directory `spec` names (downloading and unpacking as needed). */
export async function resolveWeights(spec: string, o: ResolveOptions = {}): Promise<string> {
  const cache = o.cacheDir ?? defaultCacheDir();
  if (/^https?:\/\//i.test(spec)) {
    const file = await download(spec, path.join(cache, 'downloads'), o.log);
    return checkpointIn(await unpack(file, file.replace(ARCHIVE, '') + '.d'), spec);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new WeightsError(`weights ${spec}: expected an http(s) URL, a checkpoint directory or a .tar of one, got an unsupported URL scheme`);
  if (!fs.existsSync(spec)) throw new WeightsError(`weights ${spec}: expected a checkpoint directory, a .tar of one or an http(s) URL, got nothing at that path`);
  const st = fs.statSync(spec);
  if (st.isDirectory()) return checkpointIn(spec, spec);
  if (ARCHIVE.test(spec)) {
    const key = createHash('sha256').update(`${path.resolve(spec)}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
    const dest = path.join(cache, 'unpacked', `${key}-${path.basename(spec).replace(ARCHIVE, '')}`);
    return checkpointIn(await unpack(spec, dest), spec);
  }
  throw new WeightsError(`weights ${spec}: expected a checkpoint directory, a .tar of one or an http(s) URL, got a file of another kind`);
}

/** `dir` itself or its only sub-folder holding a checkpoint manifest. */
function checkpointIn(dir: string, spec: string): string {
  if (isCheckpointDir(dir)) return dir;
  const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && isCheckpointDir(path.join(dir, e.name)));
  if (subs.length === 1) return path.join(dir, subs[0].name);
  if (subs.length > 1) throw new WeightsError(`weights ${spec}: expected one checkpoint, got ${subs.length} (${subs.map((s) => s.name).join(', ')}); name the one to use`);
  throw new WeightsError(`weights ${spec}: expected a slimprune checkpoint (a folder with manifest.json), got none${fs.existsSync(path.join(dir, '__model__')) || fs.readdirSync(dir).length ? ' (other weight formats, e.g. PaddlePaddle parameter files, are not read)' : ''}`);
}

// ---------------------------------------------------------------- archives

/** Refuses entries that would write outside the folder, or that are not files, folders or links. */
export function checkEntry(entryPath: string, type: string, linkpath: string | undefined, archive: string): void {
  const bad = (why: string): never => {
    throw new WeightsError(`weights ${archive}: refusing to unpack entry ${JSON.stringify(entryPath)}: ${why}`);
  };
  if (path.isAbsolute(entryPath) || /^[a-zA-Z]:[\\/]/.test(entryPath)) bad('absolute path');
  const parts = entryPath.split(/[\\/]+/);
  if (parts.includes('..')) bad("'..' in its path");
  if (!['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link'].includes(type)) bad(`entries of type ${type} are not unpacked`);
  if (type === 'SymbolicLink' || type === 'Link') {
    const lp = linkpath ?? '';
    if (path.isAbsolute(lp)) bad(`link to absolute path ${JSON.stringify(lp)}`);
    // symlinks resolve from the entry's folder, hard links from the archive root
    const from = type === 'SymbolicLink' ? path.posix.dirname(entryPath.replace(/\\/g, '/')) : '.';
    const target = path.posix.normalize(path.posix.join(from, lp.replace(/\\/g, '/')));
    if (target === '..' || target.startsWith('../')) bad(`link target ${JSON.stringify(lp)} leaves the folder`);
  }
}

/** Unpacks `file` into `dest` (once; an existing `dest` is reused) after checking every entry. */
export async function unpack(file: string, dest: string): Promise<string> {
  if (fs.existsSync(dest)) return dest;
  const entries: Array<{ path: string; type: string; linkpath?: string }> = [];
  try {
    await tar.t({ file, strict: true, onReadEntry: (e) => void entries.push({ path: e.path, type: e.type, linkpath: e.linkpath }) });
  } catch (e) {
    throw new WeightsError(`weights ${file}: expected a tar archive, got one that cannot be read (${(e as Error).message})`);
  }
  if (!entries.length) throw new WeightsError(`weights ${file}: expected a tar archive with a checkpoint, got an empty or unreadable archive`);
  for (const e of entries) checkEntry(e.path, e.type, e.linkpath, file);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    await tar.x({
      file, cwd: tmp, strict: true, preservePaths: false, noChmod: true, preserveOwner: false,
      filter: (p, entry) => {
        const e = entry as tar.ReadEntry;
        checkEntry(p, e.type ?? 'File', e.linkpath, file);
        return true;
      },
    });
    fs.renameSync(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`weights ${file}: could not unpack: ${(e as Error).message}`);
  }
  return dest;
}

// ---------------------------------------------------------------- downloads

function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Downloads `url` into `dir` once; returns the local file. */
export async function download(url: string, dir: string, log?: (line: string) => void): Promise<string> {
  const u = new URL(url);
  const want = /^sha256=([0-9a-f]{64})$/i.exec(u.hash.slice(1))?.[1]?.toLowerCase() ?? null;
  u.hash = '';
  const clean = u.toString();
  const base = path.basename(u.pathname) || 'download';
  const file = path.join(dir, `${createHash('sha256').update(clean).digest('hex').slice(0, 16)}-${base}`);
  const sumFile = `${file}.sha256`;
  if (fs.existsSync(file) && fs.existsSync(sumFile)) {
    const recorded = fs.readFileSync(sumFile, 'utf8').trim();
    if (sha256File(file) === recorded && (!want || want === recorded)) return file;
    log?.(`cached ${file} does not match its checksum: downloading again`);
    fs.rmSync(file, { force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  const part = `${file}.part`;
  for (let attempt = 0; ; attempt++) {
    const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
    const r = await fetchInto(clean, part, have);
    if (r.complete) break;
    if (attempt >= 4) throw new WeightsError(`weights ${clean}: expected ${r.total} bytes, got ${r.got} after ${attempt + 1} attempts (connection keeps dropping)`);
    log?.(`download of ${clean} interrupted at ${r.got} bytes: resuming`);
  }
  const got = sha256File(part);
  if (want && got !== want) {
    fs.rmSync(part, { force: true });
    throw new WeightsError(`weights ${clean}: expected sha256 ${want}, got ${got} (download removed)`);
  }
  fs.writeFileSync(sumFile, got + '\n');
  fs.renameSync(part, file);
  return file;
}

/**
 * One GET appending to `part` from byte `have` (Range); resolves with whether the file is
 * complete. A 200 answer to a Range request restarts the file; 416 means it was complete.
 */
function fetchInto(url: string, part: string, have: number, redirects = 0): Promise<{ complete: boolean; got: number; total: number }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 5) return reject(new WeightsError(`weights ${url}: expected a file, got too many redirects`));
        return resolve(fetchInto(new URL(res.headers.location, url).toString(), part, have, redirects + 1));
      }
      if (status === 416 && have > 0) {
        res.resume();
        return resolve({ complete: true, got: have, total: have });
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        return reject(new WeightsError(`weights ${url}: expected HTTP 200, got ${status} ${res.statusMessage ?? ''}`.trim()));
      }
      const resumed = status === 206;
      const start = resumed ? have : 0;
      const len = Number(res.headers['content-length'] ?? NaN);
      const total = Number.isFinite(len) ? start + len : NaN;
      const out = fs.createWriteStream(part, { flags: resumed ? 'a' : 'w' });
      let got = start;
      res.on('data', (c: Buffer) => void (got += c.length));
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        out.end(() => {
          const size = fs.statSync(part).size;
          resolve({ complete: Number.isFinite(total) ? size >= total : res.complete, got: size, total });
        });
      };
      res.on('error', finish);
      res.on('aborted', finish);
      res.on('end', finish);
      res.pipe(out, { end: false });
    });
    req.on('error', (e) => {
      if (have > 0 || fs.existsSync(part)) resolve({ complete: false, got: fs.existsSync(part) ? fs.statSync(part).size : 0, total: NaN });
      else reject(new WeightsError(`weights ${url}: could not download (${e.message})`));
    });
  });
}
