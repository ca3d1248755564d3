'use strict';
// The request handler on a real node:http server: HEAD, the Host rule, oversized bodies, the
// database routes with no database or a fake one.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { createHandler, createContinueHandler, DRAIN_LIMIT } = require('../contract');
const { OffloadPool } = require('../offload-pool');
const { Database, NOT_SET } = require('../database');

const DATABASE_ROUTES = ['/db', '/queries?queries=2', '/fortunes', '/updates?queries=2'];

/**
 * Starts a server as server.js does, with `database` (null: DATABASE_URL unset); resolves with
 * its port and a close function.
 */
async function start(database = null) {
  const pool = new OffloadPool(1);
  const handle = createHandler('node', pool, database);
  const server = http.createServer({ requireHostHeader: false }, handle);
  server.on('checkContinue', createContinueHandler('node', handle));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => {
      pool.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends raw bytes (in pieces), then collects everything until the server closes. */
function exchange(port, pieces) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received = [];
    let writeError = null;
    socket.on('data', (d) => received.push(d));
    socket.on('error', (err) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') writeError = err.code;
      else reject(err);
    });
    socket.on('close', () => resolve({ text: Buffer.concat(received).toString('latin1'), writeError }));
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) break;
        await new Promise((done) => socket.write(piece, done));
      }
    });
  });
}

test('HEAD on a GET route answers like GET without the body', async () => {
  const server = await start();
  try {
    const { text } = await exchange(server.port, [
      'HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    const [head, rest] = text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, /Content-Length: 13/i);
    assert.match(rest, /^HTTP\/1\.1 200 /, 'the next answer follows the head at once');
  } finally {
    await server.close();
  }
});

test('a request without Host, or with two, gets 400 naming the server', async () => {
  const server = await start();
  try {
    for (const request of ['GET /plaintext HTTP/1.1\r\n\r\n',
      'GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n']) {
      const { text } = await exchange(server.port, [request]);
      assert.match(text, /^HTTP\/1\.1 400 /, request);
      assert.match(text, /\r\nServer: node\r\n/, request);
    }
  } finally {
    await server.close();
  }
});

test('an invalid Host value gets 400 naming the server', async () => {
  const server = await start();
  try {
    for (const host of ['user@host', 'host/path', 'a, b', 'x:http']) {
      const { text } = await exchange(server.port, [`GET /plaintext HTTP/1.1\r\nHost: ${host}\r\n\r\n`]);
      assert.match(text, /^HTTP\/1\.1 400 /, host);
      assert.match(text, /\r\nServer: node\r\n/, host);
    }
  } finally {
    await server.close();
  }
});

test('OPTIONS * gets 200 with Allow, and an absolute-form target is routed by its path', async () => {
  const server = await start();
  try {
    const { text } = await exchange(server.port, [
      'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET http://x/plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    assert.match(text, /^HTTP\/1\.1 200 [^]*\r\nAllow: GET, HEAD, POST\r\n/);
    assert.match(text, /Hello, World!$/);
  } finally {
    await server.close();
  }
});

test('an oversized body is read to its end and then refused with 413 on an open connection', async () => {
  const server = await start();
  try {
    const size = DRAIN_LIMIT;
    const pieces = [`POST /hash?rounds=1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`];
    for (let sent = 0; sent < size; sent += 65536) pieces.push(Buffer.alloc(65536, 97));
    pieces.push('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { text, writeError } = await exchange(server.port, pieces);
    assert.equal(writeError, null);
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/, 'the connection still serves requests');
  } finally {
    await server.close();
  }
});

test('a client waiting for 100 Continue with an oversized body gets 413 instead', async () => {
  const server = await start();
  try {
    const { text } = await exchange(server.port, [
      'POST /hash?rounds=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n',
    ]);
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(text, /100 Continue/);
  } finally {
    await server.close();
  }
});

test('a sleep is never answered sooner than asked, measured from the request write', async () => {
  // setTimeout alone fires up to 1 ms early (libuv keeps loop time in whole milliseconds):
  // about one answer in 25 was early before the handler checked the clock itself.
  const server = await start();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ms = 2;
    let earliest = Infinity;
    for (let i = 0; i < 300; i++) {
      const sent = process.hrtime.bigint();
      const body = await new Promise((resolve, reject) => {
        http
          .get({ port: server.port, host: '127.0.0.1', path: `/sleep?ms=${ms}`, agent }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      assert.equal(body, 'ok');
      earliest = Math.min(earliest, Number(process.hrtime.bigint() - sent) / 1e6);
    }
    assert.ok(earliest >= ms, `an answer came after ${earliest} ms, sooner than ${ms} ms`);
  } finally {
    agent.destroy();
    await server.close();
  }
});

/** GET (or `method`) `path` on a fresh connection; resolves with { status, headers, body }. */
function request(port, path, method = 'GET') {
  return new Promise((resolve, reject) => {
    http
      .request({ port, host: '127.0.0.1', path, method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      })
      .on('error', reject)
      .end();
  });
}

test('the database routes answer 503 naming DATABASE_URL when it is not set', async () => {
  const server = await start();
  try {
    for (const path of DATABASE_ROUTES) {
      const answer = await request(server.port, path);
      assert.equal(answer.status, 503, path);
      assert.equal(answer.body, NOT_SET, path);
      assert.equal(answer.headers.server, 'node', path);
      assert.ok(answer.headers.date, path);
    }
  } finally {
    await server.close();
  }
});

test('the database routes answer GET and HEAD alike and refuse POST with 405', async () => {
  // Always the same row, so that GET and HEAD answers have the same length; and the same new
  // number for /updates, which draws one per row (1..=10000: one to five digits).
  const world = { query: async ({ name }) => (name === 'fortunes'
    ? { rows: [{ id: 1, message: '<&>' }] }
    : { rows: name === 'world' ? [{ id: 42, randomnumber: 7 }] : [] }) };
  const server = await start(new Database(world, () => {}));
  const random = Math.random;
  Math.random = () => 0.5;
  try {
    for (const path of DATABASE_ROUTES) {
      const get = await request(server.port, path);
      const head = await request(server.port, path, 'HEAD');
      assert.equal(get.status, 200, path);
      assert.equal(head.status, 200, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)), path);
      assert.equal(get.headers.server, 'node', path);
      assert.equal((await request(server.port, path, 'POST')).status, 405, path);
    }
    assert.equal((await request(server.port, '/fortunes')).headers['content-type'], 'text/html; charset=utf-8');
    assert.match((await request(server.port, '/fortunes')).body, /<td>1<\/td><td>&lt;&amp;&gt;<\/td>/);
    const rows = JSON.parse((await request(server.port, '/queries?queries=3')).body);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.deepEqual(Object.keys(row), ['id', 'randomNumber']);
  } finally {
    Math.random = random;
    await server.close();
  }
});

test('a database route whose query fails answers 500 and the server goes on', async () => {
  const reported = [];
  const broken = { query: () => Promise.reject(new Error('connection refused')) };
  const server = await start(new Database(broken, (err) => reported.push(err.message)));
  try {
    for (const path of DATABASE_ROUTES) {
      assert.equal((await request(server.port, path)).status, 500, path);
    }
    assert.equal((await request(server.port, '/healthz')).status, 200);
    assert.ok(reported.every((m) => m === 'connection refused') && reported.length > 0);
  } finally {
    await server.close();
  }
});
