// `slimprune worker` flags: each mistake one line naming the flag, exit 2; no server, exit 1.
import * as net from 'net';
import { cli } from '../util/cli';

test('flag mistakes are usage errors naming the flag', async () => {
  const none = await cli('worker');
  expect(none.code).toBe(2);
  expect(none.err).toMatch(/required option '--queue <url>' not specified/);
  const bad = await cli('worker', '--queue', 'localhost:6379');
  expect(bad).toMatchObject({ code: 2, err: "slimprune worker: --queue: expected redis://HOST:PORT[/DB] (the redis:// scheme), got 'localhost:6379'\n" });
  const conc = await cli('worker', '--queue', 'redis://127.0.0.1:6379', '--concurrency', '0');
  expect(conc).toMatchObject({ code: 2, err: 'slimprune worker: --concurrency: expected an integer in 1..256, got "0"\n' });
  const lock = await cli('worker', '--queue', 'redis://127.0.0.1:6379', '--lock-duration', '2.5');
  expect(lock).toMatchObject({ code: 2, err: 'slimprune worker: --lock_duration: expected an integer in 1..86400, got "2.5"\n' });
});

test('no Redis at the address: one line, exit 1', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const r = await cli('worker', '--queue', `redis://127.0.0.1:${port}`);
  expect(r).toMatchObject({ code: 1, out: '', err: `slimprune worker: --queue redis://127.0.0.1:${port}: expected a reachable Redis server, got ECONNREFUSED\n` });
});
