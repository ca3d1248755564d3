'use strict';
// A fixed pool of worker_threads for /hash/offload, created at start (never a thread per
// request). Each thread runs one job at a time; when all are busy, jobs wait in a FIFO queue of
// at most QUEUE_LIMIT jobs, as in every target (spec/CONTRACT.md); one more is refused.
// A thread that dies is replaced a few times at most (logged to stderr); its job fails.

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const WORKER_SCRIPT = path.join(__dirname, 'hash-worker.js');
const MAX_RESPAWNS = 3;
const QUEUE_LIMIT = 1024;

/** The queue already holds its limit of waiting jobs (answered 503). */
class QueueFullError extends Error {
  constructor() {
    super('the offload queue is full');
    this.name = 'QueueFullError';
  }
}

class OffloadPool {
  constructor(size, { script = WORKER_SCRIPT, maxRespawns = MAX_RESPAWNS, queueLimit = QUEUE_LIMIT } = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('pool size must be >= 1');
    this.script = script;
    this.queueLimit = queueLimit;
    this.respawnsLeft = maxRespawns;
    this.closed = false;
    this.nextId = 1;
    this.slots = new Set();
    this.idle = [];
    this.queue = [];
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Resolves with the lowercase hex of the chained hash of `body` (a Buffer). */
  hash(body, rounds) {
    return new Promise((resolve, reject) => {
      if (this.closed || this.slots.size === 0) {
        reject(new Error('the offload pool is not running'));
        return;
      }
      if (this.idle.length === 0 && this.queue.length >= this.queueLimit) {
        reject(new QueueFullError());
        return;
      }
      this.queue.push({ body, rounds, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; queued and running jobs fail. */
  close() {
    this.closed = true;
    const error = new Error('the offload pool was closed');
    for (const slot of this.slots) {
      if (slot.job) slot.job.reject(error);
      slot.job = null;
      slot.worker.terminate();
    }
    this.slots.clear();
    this.idle.length = 0;
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  spawn() {
    const slot = { worker: new Worker(this.script), job: null };
    slot.worker.on('message', (message) => this.finish(slot, message));
    slot.worker.on('error', (err) => this.lose(slot, err));
    slot.worker.on('exit', (code) => this.lose(slot, new Error(`exited with code ${code}`)));
    this.slots.add(slot);
    this.idle.push(slot);
  }

  dispatch() {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const slot = this.idle.pop();
      const job = this.queue.shift();
      job.id = this.nextId++;
      slot.job = job;
      // Copy into a buffer of our own and transfer it: the request's Buffer may share a pool.
      const body = new Uint8Array(job.body.length);
      body.set(job.body);
      slot.worker.postMessage({ id: job.id, body, rounds: job.rounds }, [body.buffer]);
    }
  }

  finish(slot, message) {
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    slot.job = null;
    this.idle.push(slot);
    if (message.error !== undefined) job.reject(new Error(message.error));
    else job.resolve(message.hex);
    this.dispatch();
  }

  lose(slot, err) {
    if (this.closed || !this.slots.delete(slot)) return;
    const at = this.idle.indexOf(slot);
    if (at !== -1) this.idle.splice(at, 1);
    if (slot.job) slot.job.reject(err);
    slot.job = null;
    if (this.respawnsLeft > 0) {
      this.respawnsLeft--;
      process.stderr.write(`offload pool: a thread died (${err.message}); starting a new one\n`);
      this.spawn();
      this.dispatch();
      return;
    }
    process.stderr.write(`offload pool: a thread died (${err.message}); no respawns left\n`);
    if (this.slots.size === 0) {
      const error = new Error('the offload pool has no threads left');
      for (const job of this.queue.splice(0)) job.reject(error);
    }
  }
}

module.exports = { OffloadPool, QueueFullError, QUEUE_LIMIT };
