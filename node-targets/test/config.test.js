'use strict';
// Environment parsing and the offload pool.

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const { readConfig } = require('../config');
const { OffloadPool } = require('../offload-pool');
const { chainedSha256Hex } = require('../hash');

test('PORT is required and must be a port number', () => {
  assert.throws(() => readConfig({}), /PORT is required/);
  for (const port of ['x', '-1', '65536', '80.5']) {
    assert.throws(() => readConfig({ PORT: port }), /PORT must be/, port);
  }
});

test('defaults are loopback and one per available CPU', () => {
  const cpus = os.availableParallelism();
  assert.deepEqual(readConfig({ PORT: '8080' }),
    { host: '127.0.0.1', port: 8080, workers: cpus, offloadThreads: cpus });
  assert.deepEqual(readConfig({ PORT: '1', HOST: '0.0.0.0', WORKERS: '2', OFFLOAD_THREADS: '3' }),
    { host: '0.0.0.0', port: 1, workers: 2, offloadThreads: 3 });
});

test('WORKERS and OFFLOAD_THREADS must be positive integers', () => {
  for (const value of ['0', '-2', 'two', '1.5']) {
    assert.throws(() => readConfig({ PORT: '1', WORKERS: value }), /WORKERS must be/, value);
    assert.throws(() => readConfig({ PORT: '1', OFFLOAD_THREADS: value }), /OFFLOAD_THREADS must be/, value);
  }
});

test('the offload pool queues more jobs than threads and answers each one correctly', async () => {
  const pool = new OffloadPool(2);
  try {
    const bodies = Array.from({ length: 9 }, (_, i) => Buffer.from(`body ${i}`));
    const answers = await Promise.all(bodies.map((body, i) => pool.hash(body, i + 1)));
    answers.forEach((hex, i) => assert.equal(hex, chainedSha256Hex(bodies[i], i + 1)));
  } finally {
    pool.close();
  }
});
