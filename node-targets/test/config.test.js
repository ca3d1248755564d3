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

test('defaults are loopback, one per available CPU, no database and 16 connections', () => {
  const cpus = os.availableParallelism();
  const none = { databaseUrl: null, dbPoolSize: 16 };
  assert.deepEqual(readConfig({ PORT: '8080' }),
    { host: '127.0.0.1', port: 8080, workers: cpus, offloadThreads: cpus, ...none });
  assert.deepEqual(readConfig({ PORT: '1', HOST: '', WORKERS: '', OFFLOAD_THREADS: '3', DATABASE_URL: '', DB_POOL_SIZE: '' }),
    { host: '127.0.0.1', port: 1, workers: cpus, offloadThreads: 3, ...none });
  assert.deepEqual(readConfig({ PORT: '1', HOST: '0.0.0.0', WORKERS: '2', OFFLOAD_THREADS: '3' }),
    { host: '0.0.0.0', port: 1, workers: 2, offloadThreads: 3, ...none });
});

test('DATABASE_URL is taken as given and DB_POOL_SIZE counts the connections', () => {
  const url = 'postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world';
  const config = readConfig({ PORT: '1', DATABASE_URL: url, DB_POOL_SIZE: '4096' });
  assert.equal(config.databaseUrl, url);
  assert.equal(config.dbPoolSize, 4096);
  assert.equal(readConfig({ PORT: '1', DATABASE_URL: 'not a url', DB_POOL_SIZE: '1' }).databaseUrl, 'not a url',
    'a bad URL is not a start-up failure');
});

test('WORKERS, OFFLOAD_THREADS and DB_POOL_SIZE must be whole numbers from 1 to 4096', () => {
  for (const value of ['0', '-2', 'two', '1.5', '4097', '99999999999999999999999', ' 8']) {
    for (const name of ['WORKERS', 'OFFLOAD_THREADS', 'DB_POOL_SIZE']) {
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
