'use strict';
// stampede's Node.js reference servers (spec/CONTRACT.md). Their one npm dependency, pg, serves
// the database routes (`npm ci` in node-targets); without DATABASE_URL they run without it.
//
//   PORT=8080 node node-targets/server.js              target `node`: one process, one event loop
//   PORT=8080 node node-targets/server.js --cluster    target `node-cluster`: a primary and WORKERS
//                                                      node:cluster workers sharing HOST:PORT
//
// Environment: PORT (required), HOST (default 127.0.0.1), WORKERS (cluster size, default
// os.availableParallelism(); ignored without --cluster), OFFLOAD_THREADS (worker_threads for
// /hash/offload in total, default os.availableParallelism(); with --cluster each process gets
// OFFLOAD_THREADS / WORKERS of them, rounded up, as actix splits its blocking pool per worker),
// DATABASE_URL (unset: the database routes answer 503), DB_POOL_SIZE (database connections in
// total, default 16; with --cluster split exactly over the workers).
// A bad environment: one line on stderr, exit status 2 (spec/CONTRACT.md, "Process").
// SIGTERM or SIGINT: exit within 2 s. Tests: node --test node-targets/

const cluster = require('node:cluster');
const http = require('node:http');
const { readConfig, EXIT_BAD_CONFIG } = require('./config');
const { createHandler, createClientErrorHandler, createContinueHandler } = require('./contract');
const { OffloadPool } = require('./offload-pool');
const { openDatabase, poolShare } = require('./database');

const GRACE_MS = 1000; // in-flight requests get this long after SIGTERM, then connections close
const PRIMARY_KILL_MS = 1500; // the primary SIGKILLs workers still alive after this long
const MAX_REFORKS = 3; // workers that die unexpectedly are replaced this many times in total
const EXIT_START_FAILED = 3; // a worker could not listen: the primary gives up at once
// Tells a cluster worker its index (from 0), which fixes its share of DB_POOL_SIZE; a worker
// forked to replace one that died takes over its index.
const WORKER_INDEX_VAR = 'STAMPEDE_WORKER_INDEX';

function die(serverName, message, code) {
  process.stderr.write(`${serverName}: ${message}\n`);
  process.exit(code);
}

/**
 * Serves the contract on config.host:config.port in this process, with `offloadThreads`
 * worker_threads for /hash/offload and `dbConnections` database connections, until
 * SIGTERM/SIGINT or stop(); exits with `startFailedCode` if the server cannot start. Returns
 * stop().
 */
function serve(config, serverName, startFailedCode, offloadThreads, dbConnections) {
  let database;
  try {
    database = openDatabase(config.databaseUrl, dbConnections, serverName);
  } catch (err) {
    die(serverName, err.message, startFailedCode);
  }
  const pool = new OffloadPool(offloadThreads);
  const handle = createHandler(serverName, pool, database);
  // Host is checked by `handle`, so that its 400 carries the Server header.
  const server = http.createServer({ requireHostHeader: false }, handle);
  server.on('checkContinue', createContinueHandler(serverName, handle));
  // The contract keeps idle keep-alive connections for at least 60 s (Node's default is 5 s);
  // headersTimeout bounds a client that stops in the middle of its headers.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 10_000;
  server.on('clientError', createClientErrorHandler(serverName));
  server.on('error', (err) => {
    process.stderr.write(`${serverName}: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(startFailedCode);
  });
  server.listen(config.port, config.host);

  let stopping = false;
  function stop() {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0)); // also closes idle keep-alive connections (Node >= 19)
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, GRACE_MS).unref();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return stop;
}

function runPrimary(config) {
  const live = new Map(); // worker -> its index
  let reforksLeft = MAX_REFORKS;
  let stopping = false;
  let exitCode = 0;

  const fork = (index) => live.set(cluster.fork({ [WORKER_INDEX_VAR]: String(index) }), index);

  function stopAll(code) {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    if (live.size === 0) process.exit(exitCode);
    for (const worker of live.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of live.keys()) worker.process.kill('SIGKILL');
      process.exit(exitCode);
    }, PRIMARY_KILL_MS).unref();
  }

  cluster.on('exit', (worker, code, signal) => {
    const index = live.get(worker);
    live.delete(worker);
    if (stopping) {
      if (live.size === 0) process.exit(exitCode);
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (code === EXIT_START_FAILED) {
      process.stderr.write(`node-cluster: worker ${worker.process.pid} could not start; stopping\n`);
      stopAll(1);
    } else if (reforksLeft > 0) {
      reforksLeft--;
      process.stderr.write(
        `node-cluster: worker ${worker.process.pid} died (${how}); forking a new one ` +
          `(${reforksLeft} more replacements allowed)\n`,
      );
      fork(index);
    } else if (live.size > 0) {
      process.stderr.write(
        `node-cluster: worker ${worker.process.pid} died (${how}); not replaced, ` +
          `${live.size} workers left\n`,
      );
    } else {
      process.stderr.write(`node-cluster: worker ${worker.process.pid} died (${how}); none left\n`);
      process.exit(1);
    }
  });

  process.on('SIGTERM', () => stopAll(0));
  process.on('SIGINT', () => stopAll(0));
  for (let index = 0; index < config.workers; index++) fork(index);
}

function runWorker(config) {
  const threads = Math.ceil(config.offloadThreads / config.workers);
  const connections = poolShare(config.dbPoolSize, config.workers, Number(process.env[WORKER_INDEX_VAR]));
  const stop = serve(config, 'node-cluster', EXIT_START_FAILED, threads, connections);
  // The primary is gone (or asked us to go): Node exits an orphaned worker by itself; this
  // makes sure of it either way.
  cluster.worker.on('disconnect', stop);
}

function main() {
  const args = process.argv.slice(2);
  const clusterMode = args.includes('--cluster');
  const name = clusterMode ? 'node-cluster' : 'node';
  const unknown = args.filter((arg) => arg !== '--cluster');
  if (unknown.length > 0) {
    die(name, `unknown arguments ${unknown.join(' ')}; usage: server.js [--cluster]`, EXIT_BAD_CONFIG);
  }
  let config;
  try {
    config = readConfig(process.env);
  } catch (err) {
    die(name, err.message, EXIT_BAD_CONFIG);
  }
  if (!clusterMode) serve(config, 'node', 1, config.offloadThreads, config.dbPoolSize);
  else if (cluster.isPrimary) runPrimary(config);
  else runWorker(config);
}

main();
