/**
 * Redis connections for the queue. BullMQ opens its own connections from these options and
 * reconnects after a dropped link (a worker outlives a Redis restart). Before that, one short
 * PING with no retries tells a wrong address or a stopped server at once, as one message,
 * instead of a coordinator or worker waiting on reconnect attempts forever.
 */
import { Redis } from 'ioredis';
import { QueueError, type QueueAddress } from './url';

export interface ConnectionOptions {
  host: string;
  port: number;
  db: number;
  /** BullMQ's blocking commands need ioredis to wait for reconnection rather than fail */
  maxRetriesPerRequest: null;
}

export function connectionOf(a: QueueAddress): ConnectionOptions {
  return { host: a.host, port: a.port, db: a.db, maxRetriesPerRequest: null };
}

/** Resolves when the server answers PING on the address' database; else one QueueError. */
export async function checkReachable(a: QueueAddress, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    host: a.host,
    port: a.port,
    db: a.db,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | null = null;
  client.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const why = (lastError ?? (e as Error)) as NodeJS.ErrnoException;
    throw new QueueError(`--queue ${a.url}: expected a reachable Redis server, got ${why.code ?? why.message}`);
  } finally {
    // A client that gave up is already ended; disconnecting it again would arm ioredis'
    // 2 s socket-destroy timer and keep the process alive for nothing.
    if (client.status !== 'end') client.disconnect();
  }
}
