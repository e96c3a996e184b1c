import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import axios from 'axios';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/api/routes/health.js';
import { redisKeys } from '../../src/lib/keys.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('/readyz and the Redis connections the API serves from', () => {
  const prefix = uniquePrefix('readiness');
  const keys = redisKeys(prefix);
  const redis = new Redis(TEST_REDIS_URL);
  let statuses: Record<string, string> = {};
  let server: Server;
  let url = '';

  beforeAll(async () => {
    const app = express();
    app.use(healthRoutes({ redis, keys, metrics: createMetrics(), connections: () => statuses }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A live worker, so readiness turns on the connections alone.
    await redis.zadd(keys.workerHeartbeats, Date.now(), 'worker-1');
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('is ready while every connection is ready', async () => {
    statuses = { api: 'ready', 'api-queues': 'ready' };
    const ready = await axios.get(`${url}/readyz`, { validateStatus: () => true });
    expect(ready.status).toBe(200);
    expect(ready.data.checks).toMatchObject({ redis: 'ok', connections: 'ok' });
  });

  it('is not ready, naming it, while one connection has not come back although Redis answers', async () => {
    statuses = { api: 'ready', 'api-queues': 'reconnecting' };
    const ready = await axios.get(`${url}/readyz`, { validateStatus: () => true });
    expect(ready.status).toBe(503);
    expect(ready.data).toMatchObject({ status: 'not_ready', checks: { redis: 'ok', connections: 'not ready: api-queues: reconnecting' } });
  });
});
