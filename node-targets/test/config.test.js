'use strict';
// Environment parsing and the offload pool.

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const { readConfig } = require('../config');
const { OffloadPool, QueueFullError, QUEUE_LIMIT } = require('../offload-pool');
const { chainedSha256Hex } = require('../hash');

// The texts every target prints (spec/CONTRACT.md, "Process"); the harness checks them too.
const message = (env) => {
  try {
    readConfig(env);
  } catch (err) {
    return err.message;
  }
  return null;
};

test('PORT is required and must be a whole number from 1 to 65535', () => {
  assert.equal(message({}), 'PORT is not set (expected a whole number from 1 to 65535)');
  assert.equal(message({ PORT: '' }), 'PORT is not set (expected a whole number from 1 to 65535)');
  for (const port of ['x', '-1', '0', '65536', '80.5', '+80', ' 80']) {
    assert.equal(message({ PORT: port }), `PORT=${JSON.stringify(port)} is not a whole number from 1 to 65535`);
  }
});

test('defaults are loopback and one per available CPU', () => {
  const cpus = os.availableParallelism();
  assert.deepEqual(readConfig({ PORT: '8080' }),
    { host: '127.0.0.1', port: 8080, workers: cpus, offloadThreads: cpus });
  assert.deepEqual(readConfig({ PORT: '1', HOST: '', WORKERS: '', OFFLOAD_THREADS: '3' }),
    { host: '127.0.0.1', port: 1, workers: cpus, offloadThreads: 3 });
  assert.deepEqual(readConfig({ PORT: '1', HOST: '0.0.0.0', WORKERS: '2', OFFLOAD_THREADS: '3' }),
    { host: '0.0.0.0', port: 1, workers: 2, offloadThreads: 3 });
});

test('WORKERS and OFFLOAD_THREADS must be whole numbers from 1 to 4096', () => {
  for (const value of ['0', '-2', 'two', '1.5', '4097', '99999999999999999999999']) {
    for (const name of ['WORKERS', 'OFFLOAD_THREADS']) {
      assert.equal(message({ PORT: '1', [name]: value }),
        `${name}=${JSON.stringify(value)} is not a whole number from 1 to 4096`);
    }
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

test('the offload pool refuses a job when its queue is full', async () => {
  const pool = new OffloadPool(1, { queueLimit: 2 });
  try {
    // One job runs and two wait; the fourth is refused at once.
    const jobs = [1, 2, 3].map(() => pool.hash(Buffer.from('x'), 200000));
    await assert.rejects(pool.hash(Buffer.from('x'), 1), QueueFullError);
    await Promise.all(jobs);
  } finally {
    pool.close();
  }
  assert.equal(QUEUE_LIMIT, 1024);
});
