/**
 * The `--queue` address: redis://HOST:PORT[/DB]. Only this form is accepted (no user, password,
 * query or TLS), so a typo fails at once with one message instead of ioredis retrying a
 * connection to somewhere unexpected forever.
 */

export class QueueError extends Error {
  override name = 'QueueError';
}

export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  /** the address as given, for messages */
  url: string;
}

const FORM = 'redis://HOST:PORT[/DB]';

export function parseQueueUrl(url: string): QueueAddress {
  const bad = (what: string, got: string) => new QueueError(`--queue: expected ${FORM} (${what}), got '${got}'`);
  if (typeof url !== 'string' || url.trim() === '') throw bad('a Redis address', String(url ?? ''));
  const u = url.trim();
  if (!u.startsWith('redis://')) throw bad('the redis:// scheme', url);
  if (u.includes('@')) throw bad('no user or password', url);
  if (/[?#]/.test(u)) throw bad('no query or fragment', url);
  const m = /^redis:\/\/([^/:[\]\s]+|\[[0-9a-fA-F:.]+\]):([^/\s]*)(?:\/(\S*))?$/.exec(u);
  if (!m) throw bad('a host and a port', url);
  const [, rawHost, rawPort, rawDb] = m;
  if (!/^[0-9]+$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) throw bad('a port in 1..65535', url);
  let db = 0;
  if (rawDb !== undefined && rawDb !== '') {
    if (!/^[0-9]{1,6}$/.test(rawDb)) throw bad('a database number', url);
    db = Number(rawDb);
  }
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { host, port: Number(rawPort), db, url: u };
}
