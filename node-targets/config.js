'use strict';
// Reads HOST, PORT, WORKERS, OFFLOAD_THREADS, DATABASE_URL and DB_POOL_SIZE with the rules,
// error texts and exit status every target shares (spec/CONTRACT.md, "Process" and "Database
// endpoints").

const os = require('node:os');

const MAX_COUNT = 4096; // the bound for WORKERS, OFFLOAD_THREADS and DB_POOL_SIZE
const DEFAULT_DB_POOL_SIZE = 16; // the server's database connections in total
const EXIT_BAD_CONFIG = 2; // the exit status of a target started with a bad environment

// ASCII digits only (no sign, space or fraction) with a value in 1..=max, else null.
function wholeNumber(text, max) {
  if (!/^[0-9]+$/.test(text)) return null;
  const value = Number(text); // a very long digit string becomes a huge double: out of range
  return value >= 1 && value <= max ? value : null;
}

// `name` in 1..=MAX_COUNT, or `fallback` when it is unset or empty.
function count(env, name, fallback) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = wholeNumber(text, MAX_COUNT);
  if (value === null) {
    throw new Error(`${name}=${JSON.stringify(text)} is not a whole number from 1 to ${MAX_COUNT}`);
  }
  return value;
}

/**
 * { host, port, workers, offloadThreads, databaseUrl (null when unset or empty), dbPoolSize }
 * from `env`; throws an Error saying what is wrong.
 */
function readConfig(env = process.env) {
  const portText = env.PORT;
  if (portText === undefined || portText === '') {
    throw new Error('PORT is not set (expected a whole number from 1 to 65535)');
  }
  const port = wholeNumber(portText, 65535);
  if (port === null) {
    throw new Error(`PORT=${JSON.stringify(portText)} is not a whole number from 1 to 65535`);
  }
  // The CPUs this process may run on (its affinity mask), as Go's NumCPU and Rust's
  // available_parallelism count them.
  const cpus = os.availableParallelism();
  return {
    host: env.HOST || '127.0.0.1',
    port,
    workers: count(env, 'WORKERS', cpus),
    offloadThreads: count(env, 'OFFLOAD_THREADS', cpus),
    databaseUrl: env.DATABASE_URL || null,
    dbPoolSize: count(env, 'DB_POOL_SIZE', DEFAULT_DB_POOL_SIZE),
  };
}

module.exports = { readConfig, EXIT_BAD_CONFIG };
