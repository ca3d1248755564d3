'use strict';
// One thread of the /hash/offload pool (see offload-pool.js): answers { id, body, rounds }
// messages with { id, hex } (or { id, error }), one job at a time.

const { parentPort } = require('node:worker_threads');
const { chainedSha256Hex } = require('./hash');

parentPort.on('message', ({ id, body, rounds }) => {
  try {
    parentPort.postMessage({ id, hex: chainedSha256Hex(body, rounds) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
