'use strict';
// Reads HOST, PORT, WORKERS and OFFLOAD_THREADS (spec/CONTRACT.md, "Process").

const os = require('node:os');

const MAX_COUNT = 4096; // a sanity bound for WORKERS and OFFLOAD_THREADS

function count(env, name, fallback) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= MAX_COUNT)) {
    throw new Error(`${name} must be an integer from 1 to ${MAX_COUNT}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** { host, port, workers, offloadThreads } from `env`; throws an Error saying what is wrong. */
function readConfig(env = process.env) {
  const portText = env.PORT;
  if (portText === undefined || portText === '') {
    throw new Error('PORT is required (the port to listen on, e.g. PORT=8080)');
  }
  const port = /^[0-9]+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const cpus = os.availableParallelism();
  return {
    host: env.HOST || '127.0.0.1',
    port,
    workers: count(env, 'WORKERS', cpus),
    offloadThreads: count(env, 'OFFLOAD_THREADS', cpus),
  };
}

module.exports = { readConfig };
