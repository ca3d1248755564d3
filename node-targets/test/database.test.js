'use strict';
// The database routes without a database: the queries clamp, the pool split, the fortunes page
// and the update batch, on a fake pool that answers as PostgreSQL would from spec/postgres/.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Database, clampQueries, poolShare } = require('../database');
const { escapeHtml, fortunesPage, html } = require('../fortunes-page');

const SEED = path.join(__dirname, '..', '..', 'spec', 'postgres', 'create.sql');

/** The Fortune rows the seed script inserts. */
function seededFortunes() {
  const insert = /^INSERT INTO Fortune \(id, message\) VALUES \((\d+), '(.*)'\);$/gm;
  return [...fs.readFileSync(SEED, 'utf8').matchAll(insert)].map(([, id, message]) => ({
    id: Number(id),
    message: message.replaceAll("''", "'"),
  }));
}

/** A pg.Pool stand-in: World holds id -> randomnumber; every query is recorded. */
function fakePool(world = new Map(), fortunes = seededFortunes()) {
  const queries = [];
  return {
    queries,
    world,
    async query({ name, text, values }) {
      queries.push({ name, text, values });
      if (name === 'world') {
        const [id] = values;
        if (!world.has(id)) world.set(id, 1 + (id % 10000));
        return { rows: [{ id, randomnumber: world.get(id) }] };
      }
      if (name === 'fortunes') return { rows: fortunes.map((f) => ({ ...f })) };
      if (name === 'update-worlds') {
        const [ids, numbers] = values;
        ids.forEach((id, i) => world.set(id, numbers[i]));
        return { rows: [] };
      }
      throw new Error(`unexpected query ${name}`);
    },
  };
}

const noReport = () => {};

test('queries that is missing, empty, not a whole number or below 1 counts as 1', () => {
  for (const query of ['', 'queries', 'queries=', 'queries=0', 'queries=foo', 'queries=-3',
    'queries=1.5', 'queries=+2', 'queries=%202', 'queries=1e2', 'other=7']) {
    assert.equal(clampQueries(query), 1, query);
  }
});

test('queries from 1 to 500 counts as given and above 500 as 500', () => {
  assert.equal(clampQueries('queries=1'), 1);
  assert.equal(clampQueries('queries=20'), 20);
  assert.equal(clampQueries('x=1&queries=500'), 500);
  assert.equal(clampQueries('queries=501'), 500);
  assert.equal(clampQueries('queries=99999999999999999999999'), 500);
});

test('the pool is split exactly over the cluster workers, the first ones taking the remainder', () => {
  const shares = (total, workers) => Array.from({ length: workers }, (_, k) => poolShare(total, workers, k));
  assert.deepEqual(shares(16, 1), [16]);
  assert.deepEqual(shares(16, 2), [8, 8]);
  assert.deepEqual(shares(16, 3), [6, 5, 5]);
  assert.deepEqual(shares(5, 2), [3, 2]);
  assert.deepEqual(shares(4096, 7), [586, 585, 585, 585, 585, 585, 585]);
  for (const [total, workers] of [[16, 3], [17, 4], [100, 7], [512, 6]]) {
    assert.equal(shares(total, workers).reduce((a, b) => a + b), total, `${total} over ${workers}`);
  }
});

test('every cluster worker gets at least one connection when there are fewer than workers', () => {
  assert.deepEqual(Array.from({ length: 4 }, (_, k) => poolShare(2, 4, k)), [1, 1, 1, 1]);
});

test('the template escapes & < > " and \' in every value it holds, and nothing twice', () => {
  assert.equal(escapeHtml(`a & b <c> "d" 'e'`), 'a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;');
  assert.equal(escapeHtml('フレームワーク — ok'), 'フレームワーク — ok');
  const cell = html`<td>${'<b>&amp;</b>'}</td>`;
  assert.equal(html`<tr>${cell}${[cell, cell]}</tr>`.text,
    '<tr>' + '<td>&lt;b&gt;&amp;amp;&lt;/b&gt;</td>'.repeat(3) + '</tr>');
});

test('the fortunes page lists the seeded rows and the added one, sorted by UTF-8 bytes and escaped', async () => {
  const database = new Database(fakePool(), noReport);
  const page = fortunesPage(await database.fortunes());
  // TechEmpower's expected page for these rows (toolset/test_types/fortune/fortune_html_parser.py).
  const expected =
    '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>' +
    '<tr><th>id</th><th>message</th></tr>' +
    '<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>' +
    '<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>' +
    '<tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to do.</td></tr>' +
    '<tr><td>2</td><td>A computer scientist is someone who fixes things that aren&#39;t broken.</td></tr>' +
    '<tr><td>8</td><td>A list is only as strong as its weakest link. — Donald Knuth</td></tr>' +
    '<tr><td>0</td><td>Additional fortune added at request time.</td></tr>' +
    '<tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>' +
    '<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>' +
    '<tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>' +
    '<tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen</td></tr>' +
    '<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>' +
    '<tr><td>1</td><td>fortune: No such file or directory</td></tr>' +
    '<tr><td>12</td><td>フレームワークのベンチマーク</td></tr>' +
    '</table></body></html>';
  assert.equal(page, expected);
});

test('fortunes sort by UTF-8 bytes, which differs from JavaScript string order above U+FFFF', async () => {
  // U+1F600 is a surrogate pair (0xD83D...) in UTF-16 and so sorts before U+FF01 there; in
  // UTF-8 (F0 9F ...) it sorts after U+FF01 (EF BC 81).
  const database = new Database(fakePool(new Map(), [{ id: 1, message: '\u{1F600}' }, { id: 2, message: '\uFF01' }]), noReport);
  assert.deepEqual((await database.fortunes()).map((f) => f.id), [0, 2, 1]);
});

test('updates read each row with its own query and write them all with one sorted, deduplicated UPDATE', async () => {
  const pool = fakePool();
  const database = new Database(pool, noReport);
  const worlds = await database.updateWorlds(500);
  assert.equal(worlds.length, 500);
  const reads = pool.queries.filter((q) => q.name === 'world');
  const writes = pool.queries.filter((q) => q.name === 'update-worlds');
  assert.equal(reads.length, 500);
  assert.equal(writes.length, 1);
  const [ids, numbers] = writes[0].values;
  assert.deepEqual(ids, [...new Set(reads.map((q) => q.values[0]))].sort((a, b) => a - b));
  assert.equal(numbers.length, ids.length);
  for (const number of numbers) assert.ok(Number.isInteger(number) && number >= 1 && number <= 10000, number);
  // The answer says what the table now holds, for an id drawn twice as well.
  for (const world of worlds) assert.equal(world.randomNumber, pool.world.get(world.id), `id ${world.id}`);
});

test('a failed query fails the request instead of answering partial rows', async () => {
  const pool = { query: () => Promise.reject(new Error('connection refused')) };
  const database = new Database(pool, noReport);
  await assert.rejects(database.randomWorlds(3), /connection refused/);
  await assert.rejects(database.updateWorlds(2), /connection refused/);
  await assert.rejects(database.fortunes(), /connection refused/);
});
