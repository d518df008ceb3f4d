import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar';
import { readCheckpoint, saveCheckpoint } from '../../src/train/checkpoint';
import { resolveWeights } from '../../src/train/weights';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sp-weights-'));

/** A checkpoint folder `name` under a fresh folder; returns [root, dir]. */
function makeCheckpoint(name = 'model_final'): [string, string] {
  const root = tmp();
  const dir = path.join(root, name);
  const data = Float32Array.from({ length: 50000 }, (_, i) => Math.sin(i));
  saveCheckpoint(dir, { iteration: 3, params: [{ name: 'w', shape: [50000], data }] });
  return [root, dir];
}

async function tarOf(root: string, name: string): Promise<string> {
  const file = path.join(tmp(), `${name}.tar`);
  await tar.c({ file, cwd: root }, [name]);
  return file;
}

/** One ustar header block (+ data blocks) for a crafted entry. */
function entry(name: string, type: string, opts: { linkname?: string; body?: string | Buffer } = {}): Buffer {
  const body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body ?? '');
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(pad);
  return Buffer.concat([h, pad]);
}

function craftedTar(...entries: Buffer[]): string {
  const file = path.join(tmp(), 'evil.tar');
  fs.writeFileSync(file, Buffer.concat([...entries, Buffer.alloc(1024)]));
  return file;
}

describe('weights', () => {
  test('a local checkpoint folder, or a folder holding exactly one', async () => {
    const [root, dir] = makeCheckpoint();
    expect(await resolveWeights(dir, { cacheDir: tmp() })).toBe(dir);
    expect(await resolveWeights(root, { cacheDir: tmp() })).toBe(dir);
    await expect(resolveWeights(path.join(root, 'nope'), { cacheDir: tmp() })).rejects.toThrow(
      `weights ${path.join(root, 'nope')}: expected a checkpoint directory, a .tar of one or an http(s) URL, got nothing at that path`,
    );
    const empty = tmp();
    await expect(resolveWeights(empty, { cacheDir: tmp() })).rejects.toThrow(/expected a slimprune checkpoint \(a folder with manifest.json\), got none/);
  });

  test('a local .tar unpacks once into the cache and reads back', async () => {
    const [root] = makeCheckpoint();
    const file = await tarOf(root, 'model_final');
    const cache = tmp();
    const dir = await resolveWeights(file, { cacheDir: cache });
    expect(dir.startsWith(cache)).toBe(true);
    expect(readCheckpoint(dir).manifest.iteration).toBe(3);
    expect(await resolveWeights(file, { cacheDir: cache })).toBe(dir);
  });

  test.each([
    ['an absolute path', () => entry('/tmp/sp-evil-abs', '0', { body: 'x' }), 'absolute path'],
    ['a .. component', () => entry('ok/../../sp-evil', '0', { body: 'x' }), "'..' in its path"],
    ['a symlink out of the folder', () => entry('ck/link', '2', { linkname: '../../etc' }), 'link target "../../etc" leaves the folder'],
    ['an absolute symlink', () => entry('ck/link', '2', { linkname: '/etc/passwd' }), 'link to absolute path "/etc/passwd"'],
    ['a hard link out of the folder', () => entry('ck/hard', '1', { linkname: '../outside' }), 'link target "../outside" leaves the folder'],
    ['a device', () => entry('ck/dev', '3'), 'entries of type CharacterDevice are not unpacked'],
  ])('a crafted archive with %s is refused, nothing written', async (_what, make, why) => {
    const file = craftedTar(entry('ck/', '5'), make());
    const cache = tmp();
    await expect(resolveWeights(file, { cacheDir: cache })).rejects.toThrow(why);
    expect(fs.existsSync(path.join(cache, 'unpacked')) ? fs.readdirSync(path.join(cache, 'unpacked')) : []).toEqual([]);
    expect(fs.existsSync('/tmp/sp-evil-abs')).toBe(false);
  });

  test('an inner symlink that stays inside is accepted', async () => {
    const [root] = makeCheckpoint('ck');
    const file = craftedTar(
      ...fs.readdirSync(path.join(root, 'ck')).map((f) => entry(`ck/${f}`, '0', { body: fs.readFileSync(path.join(root, 'ck', f)) })),
      entry('alias', '2', { linkname: 'ck' }),
    );
    const dir = await resolveWeights(file, { cacheDir: tmp() });
    expect(readCheckpoint(dir).manifest.iteration).toBe(3);
  });

  test('an http URL downloads once; an interrupted download resumes with a Range request; checksums are checked', async () => {
    const [root] = makeCheckpoint();
    const body = fs.readFileSync(await tarOf(root, 'model_final'));
    const sum = createHash('sha256').update(body).digest('hex');
    const seen: Array<{ range?: string }> = [];
    let cut = true;
    const server = http.createServer((req, res) => {
      seen.push({ range: req.headers.range });
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(start));
        return;
      }
      res.writeHead(200, { 'Content-Length': body.length });
      if (cut) {
        cut = false;
        // half the file, then the connection drops
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const cache = tmp();
      const url = `http://127.0.0.1:${port}/weights/model_final.tar`;
      const logs: string[] = [];
      const dir = await resolveWeights(`${url}#sha256=${sum}`, { cacheDir: cache, log: (l) => logs.push(l) });
      expect(readCheckpoint(dir).manifest.iteration).toBe(3);
      expect(seen.length).toBe(2);
      expect(seen[0].range).toBeUndefined();
      expect(Number(/^bytes=(\d+)-$/.exec(seen[1].range ?? '')?.[1])).toBeGreaterThan(0);
      expect(logs.join('\n')).toMatch(/interrupted at \d+ bytes: resuming/);
      // cached: no new request
      expect(await resolveWeights(url, { cacheDir: cache })).toBe(dir);
      expect(seen.length).toBe(2);
      // a wrong expected checksum is refused and nothing is kept
      const other = tmp();
      await expect(resolveWeights(`${url}#sha256=${'0'.repeat(64)}`, { cacheDir: other })).rejects.toThrow(`expected sha256 ${'0'.repeat(64)}, got ${sum} (download removed)`);
      expect(fs.readdirSync(path.join(other, 'downloads'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  test('an HTTP error status is named', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(resolveWeights(`http://127.0.0.1:${port}/w.tar`, { cacheDir: tmp() })).rejects.toThrow(`weights http://127.0.0.1:${port}/w.tar: expected HTTP 200, got 404 Not Found`);
    } finally {
      server.close();
    }
  });
});
