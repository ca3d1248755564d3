'use strict';
// The endpoints of spec/CONTRACT.md as a node:http request handler. No per-request logging.

const { isUtf8 } = require('node:buffer');
const { STATUS_CODES } = require('node:http');
const { chainedSha256Hex } = require('./hash');
const { orderSummary } = require('./order');
const { QueueFullError } = require('./offload-pool');
const { validHost } = require('./host');
const { databaseRoutes } = require('./database');

const MAX_BODY = 65536;
const DRAIN_LIMIT = 1 << 20; // bytes of an oversized body read and discarded before its 413
const MAX_ROUNDS = 1000000;
const MAX_SLEEP_MS = 10000;
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const DIGITS = /^[0-9]+$/;
// The methods some route answers: the Allow of OPTIONS *.
const ALLOW = 'GET, HEAD, POST';

/**
 * The integer query parameter `name` of `query` (the text after `?`) if it is all digits and
 * within min..=max, else null (missing, empty, signed, non-numeric or out of range: 400).
 */
function queryInt(query, name, min, max) {
  const text = new URLSearchParams(query).get(name);
  if (text === null || !DIGITS.test(text)) return null;
  const value = Number(text); // a very long digit string becomes a huge double: out of range
  return value >= min && value <= max ? value : null;
}

const parseRounds = (query) => queryInt(query, 'rounds', 1, MAX_ROUNDS);
const parseSleepMs = (query) => queryInt(query, 'ms', 0, MAX_SLEEP_MS);

/**
 * Calls `done` no sooner than `ms` ms from now, on a timer (no thread held). setTimeout alone
 * fires up to 1 ms early, because libuv keeps its loop time in whole milliseconds
 * (libuv/libuv#4773, nodejs/node#26578); the contract's /sleep must never answer sooner.
 */
function waitAtLeast(ms, done) {
  const due = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  const check = () => {
    const left = due - process.hrtime.bigint();
    if (left <= 0n) done();
    else setTimeout(check, Math.ceil(Number(left) / 1e6));
  };
  setTimeout(check, ms);
}

/** The document of spec/json-doc.json, built afresh for every request. */
function jsonDoc() {
  return {
    id: 1001,
    name: 'stampede reference document',
    active: true,
    score: 98.5,
    tags: ['rust', 'go', 'node', 'http', 'json', 'benchmark'],
    owner: {
      id: 42,
      login: 'octocat',
      email: 'octocat@example.com',
      verified: true,
      followers: 1024,
    },
    items: [
      { sku: 'A-100', title: 'Widget', qty: 2, price_cents: 1999, in_stock: true },
      { sku: 'B-220', title: 'Gadget', qty: 1, price_cents: 4550, in_stock: false },
      { sku: 'C-310', title: 'Sprocket', qty: 12, price_cents: 125, in_stock: true },
      { sku: 'D-404', title: 'Flange', qty: 3, price_cents: 899, in_stock: true },
      { sku: 'E-505', title: 'Gizmo', qty: 7, price_cents: 2500, in_stock: false },
      { sku: 'F-606', title: 'Doohickey', qty: 5, price_cents: 75, in_stock: true },
      { sku: 'G-707', title: 'Thingamajig', qty: 4, price_cents: 3200, in_stock: true },
      { sku: 'H-808', title: 'Whatsit', qty: 9, price_cents: 640, in_stock: false },
    ],
    meta: {
      version: 3,
      created: '2026-01-01T00:00:00Z',
      ratio: 0.25,
      region: 'eu-west',
      note: 'built and serialised per request',
    },
  };
}

/**
 * A node:http request handler answering as `serverName`; /hash/offload runs on `pool`
 * (an OffloadPool), the database routes on `database` (database.js; null: DATABASE_URL unset).
 */
function createHandler(serverName, pool, database = null) {
  function send(res, status, contentType, body, extraHeaders) {
    const headers = {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      Server: serverName,
    };
    if (extraHeaders !== undefined) Object.assign(headers, extraHeaders);
    res.writeHead(status, headers);
    res.end(body);
  }

  const fail = (res, status, extraHeaders) =>
    send(res, status, TEXT, STATUS_CODES[status], extraHeaders);

  // Collects the request body, at most MAX_BODY bytes. A larger one gets 413, and the client
  // must be able to read it (spec/CONTRACT.md, "Errors"): the rest, up to DRAIN_LIMIT bytes in
  // all, is read and discarded first, so the connection is not reset under a client still
  // sending. Beyond DRAIN_LIMIT (or announced beyond it) the 413 goes at once and the
  // connection closes.
  function readBody(req, res, onBody) {
    if (Number(req.headers['content-length']) > DRAIN_LIMIT) {
      fail(res, 413, { Connection: 'close' });
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else if (chunks.length > 0) chunks.length = 0;
      if (size > DRAIN_LIMIT && !res.headersSent) fail(res, 413, { Connection: 'close' });
    });
    req.on('end', () => {
      if (res.headersSent) return;
      if (size > MAX_BODY) fail(res, 413);
      else onBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
  }

  const routes = new Map([
    ['/healthz', { method: 'GET', handle: (req, res) => send(res, 200, TEXT, 'ok') }],
    ['/plaintext', { method: 'GET', handle: (req, res) => send(res, 200, TEXT, 'Hello, World!') }],
    [
      '/json',
      {
        method: 'GET',
        handle: (req, res) => send(res, 200, JSON_TYPE, JSON.stringify({ message: 'Hello, World!' })),
      },
    ],
    [
      '/json/doc',
      { method: 'GET', handle: (req, res) => send(res, 200, JSON_TYPE, JSON.stringify(jsonDoc())) },
    ],
    [
      '/json/order',
      {
        method: 'POST',
        handle: (req, res) =>
          readBody(req, res, (body) => {
            const summary = isUtf8(body) ? orderSummary(body.toString('utf8')) : null;
            if (summary === null) fail(res, 400);
            else send(res, 200, JSON_TYPE, summary);
          }),
      },
    ],
    [
      '/hash',
      {
        method: 'POST',
        handle: (req, res, query) => {
          const rounds = parseRounds(query);
          if (rounds === null) return fail(res, 400);
          readBody(req, res, (body) => send(res, 200, TEXT, chainedSha256Hex(body, rounds)));
        },
      },
    ],
    [
      '/hash/offload',
      {
        method: 'POST',
        handle: (req, res, query) => {
          const rounds = parseRounds(query);
          if (rounds === null) return fail(res, 400);
          readBody(req, res, (body) =>
            pool.hash(body, rounds).then(
              (hex) => send(res, 200, TEXT, hex),
              (err) => fail(res, err instanceof QueueFullError ? 503 : 500),
            ),
          );
        },
      },
    ],
    [
      '/sleep',
      {
        method: 'GET',
        handle: (req, res, query) => {
          const ms = parseSleepMs(query);
          if (ms === null) return fail(res, 400);
          waitAtLeast(ms, () => send(res, 200, TEXT, 'ok'));
        },
      },
    ],
    ...databaseRoutes(database, send, fail),
  ]);

  return function handle(req, res) {
    // RFC 9112 section 3.2: an HTTP/1.1 request needs exactly one Host, with a valid value.
    // The server is created with requireHostHeader: false so that this 400 carries the Server
    // header.
    if (req.httpVersion === '1.1' && !(hostCount(req.rawHeaders) === 1 && validHost(req.headers.host))) {
      return fail(res, 400, { Connection: 'close' });
    }
    // OPTIONS * asks about the server in general (RFC 9110 section 9.3.7).
    if (req.url === '*' && req.method === 'OPTIONS') {
      return send(res, 200, TEXT, '', { Allow: ALLOW });
    }
    const url = originForm(req.url);
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const route = routes.get(path);
    if (route === undefined) return fail(res, 404);
    // HEAD is GET without a body (RFC 9110 section 9.3.2); node:http drops the body itself
    // and keeps the Content-Length we set.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== route.method) {
      return fail(res, 405, { Allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
    }
    route.handle(req, res, mark === -1 ? '' : url.slice(mark + 1));
  };
}

/**
 * The path and query of a request target: a server must accept the absolute-form
 * (`http://host/path`, RFC 9112 section 3.2.2), which node:http leaves in `req.url` as sent.
 */
function originForm(url) {
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  const query = url.indexOf('?', scheme + 3);
  if (slash === -1 || (query !== -1 && query < slash)) return query === -1 ? '/' : '/' + url.slice(query);
  return url.slice(slash);
}

function hostCount(rawHeaders) {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 4 && rawHeaders[i].toLowerCase() === 'host') count++;
  }
  return count;
}

/**
 * A 'checkContinue' listener: a request that waits for `100 Continue` before sending a body
 * larger than the limit gets its 413 at once instead (nothing to drain); any other gets
 * `100 Continue` and goes to `handle`.
 */
function createContinueHandler(serverName, handle) {
  return function onCheckContinue(req, res) {
    if (Number(req.headers['content-length']) > MAX_BODY) {
      res.writeHead(413, {
        'Content-Type': TEXT,
        'Content-Length': Buffer.byteLength(STATUS_CODES[413]),
        Server: serverName,
        Connection: 'close',
      });
      res.end(STATUS_CODES[413]);
      return;
    }
    res.writeContinue();
    handle(req, res);
  };
}

/**
 * A 'clientError' listener (malformed HTTP) that answers like Node's default one, but with the
 * Server header, which every response carries.
 */
function createClientErrorHandler(serverName) {
  return function onClientError(err, socket) {
    const inProgress = socket._httpMessage && socket._httpMessage.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    let status = 400;
    if (err.code === 'HPE_HEADER_OVERFLOW') status = 431;
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nServer: ${serverName}\r\n` +
        `Date: ${new Date().toUTCString()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  };
}

module.exports = {
  createHandler,
  createClientErrorHandler,
  createContinueHandler,
  jsonDoc,
  parseRounds,
  parseSleepMs,
  MAX_BODY,
  DRAIN_LIMIT,
};
