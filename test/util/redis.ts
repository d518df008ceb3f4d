/**
 * A throwaway redis-server for tests: loopback only, a free port, a temp folder, no snapshots
 * and no append-only file, so nothing outlives the test. `redisServer()` says whether Debian's
 * redis-server is here (a suite without it is skipped with that reason).
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The redis-server executable, or why there is none. */
export function redisServer(): { path: string } | { reason: string } {
  for (const p of [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (p && fs.existsSync(p)) return { path: p };
  }
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return { path: 'redis-server' };
  return { reason: 'redis-server is not installed (apt-get install redis-server; .ci/run does)' };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function startOnce(exe: string, port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'];
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready after 10 s: ${out.slice(-500)}`));
    }, 10_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => void (out += b.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited (${signal ?? code}): ${out.slice(-500)}`));
    });
  });
}

/** Starts one; a port taken between choosing and binding is tried again with another. */
export async function startRedis(): Promise<RedisServer> {
  const exe = redisServer();
  if (!('path' in exe)) throw new Error(exe.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-redis-'));
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await startOnce(exe.path, port, dir);
    } catch (e) {
      lastError = e;
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: () =>
        new Promise<void>((resolve) => {
          const done = () => {
            fs.rmSync(dir, { recursive: true, force: true });
            resolve();
          };
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGKILL');
        }),
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
