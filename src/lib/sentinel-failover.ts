import { Redis, type RedisOptions } from 'ioredis';
import type { RedisAddress } from './redis-deployment.js';

/** What Sentinels publish when they promote a replica: `<master name> <old ip> <old port> <new ip> <new port>`. */
const SWITCH_MASTER = '+switch-master';

/**
 * Makes `client` leave its master when Sentinel announces a new one for `masterName`, so it asks Sentinel again and
 * follows the failover even when the old master hangs instead of closing its connections (a paused or partitioned
 * host). ioredis' own `failoverDetector` does this too, but it also aborts a reconnection in flight, which leaves the
 * client closed for good (status `end`: about one client in ten per failover in the Sentinel tests). A client that is
 * not ready is already asking Sentinel for the master, so it is left alone. The subscriptions end with the client.
 */
export function followFailovers(client: Redis, sentinels: readonly RedisAddress[], masterName: string, sentinelOptions: RedisOptions): void {
  let lastSwitch: string | undefined;
  const subscribers = sentinels.map((address) => {
    const subscriber = new Redis({ ...sentinelOptions, ...address, maxRetriesPerRequest: null, connectionName: 'cw-failover-watch' });
    // A Sentinel that is down is the failover's business; the client's own connection reports what it cannot reach.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      // Every Sentinel announces the same switch: one is enough.
      if (message.split(' ')[0] !== masterName || message === lastSwitch) return;
      lastSwitch = message;
      if (client.status === 'ready') client.disconnect(true);
    });
    void subscriber.subscribe(SWITCH_MASTER).catch(() => undefined);
    return subscriber;
  });
  client.once('end', () => {
    for (const subscriber of subscribers) subscriber.disconnect();
  });
}
