'use strict';
// POST /json/order validation, on both the fast (JSON.parse) and the exact (BigInt) path.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { orderSummary, parseExact } = require('../order');

const vectors = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'spec', 'vectors.json'), 'utf8'),
).vectors.filter((v) => v.request.path === '/json/order' && v.request.method === 'POST');

// Both paths must agree on every input.
function summary(text) {
  const fast = orderSummary(text);
  const exact = orderSummary(text, { forceExact: true });
  assert.equal(fast, exact, `fast and exact paths disagree on ${text}`);
  return fast;
}

const order = (id, items) => `{"id":${id},"items":[${items.join(',')}]}`;
const item = (qty, price, sku = '"A"') => `{"sku":${sku},"qty":${qty},"price_cents":${price}}`;

test('every order vector of the spec gets its expected answer', () => {
  assert.ok(vectors.length >= 10);
  for (const v of vectors) {
    if (v.request.body_repeat) continue; // the 413 is the server's business
    const got = summary(v.request.body);
    if (v.expect.status === 200) {
      assert.notEqual(got, null, v.name);
      // Compare as text: JSON.parse would round the big integers.
      const e = v.expect.json;
      assert.equal(got, `{"id":${idText(v)},"item_count":${e.item_count},"total_cents":${e.total_cents}}`, v.name);
    } else {
      assert.equal(got, null, v.name);
    }
  }
});

// The expected id as written in the request (the vector's parsed json may have lost digits).
function idText(v) {
  return /"id":\s*(\d+)/.exec(v.request.body)[1];
}

test('the largest u64 id comes back exactly', () => {
  assert.equal(summary('{"id": 18446744073709551615, "items": []}'),
    '{"id":18446744073709551615,"item_count":0,"total_cents":0}');
  assert.equal(summary(order('9007199254740993', [])), '{"id":9007199254740993,"item_count":0,"total_cents":0}');
});

test('an id or price above u64 is rejected', () => {
  assert.equal(summary(order('18446744073709551616', [])), null);
  assert.equal(summary(order(1, [item(1, '18446744073709551616')])), null);
});

test('totals beyond 2^53 are exact and a total beyond u64 is rejected', () => {
  assert.equal(summary(order(1, [item(4294967295, 4294967297)])),
    '{"id":1,"item_count":1,"total_cents":18446744073709551615}');
  assert.equal(summary(order(1, [item(3, '9007199254740993'), item(1, 1)])),
    '{"id":1,"item_count":2,"total_cents":27021597764222980}');
  assert.equal(summary(order(1, [item(4294967295, 4294967297), item(1, 1)])), null);
});

test('fractions, exponents, negatives and minus zero are not unsigned integers', () => {
  for (const bad of ['1.0', '1.5', '1e2', '1E0', '-1', '-0', '0.0']) {
    assert.equal(summary(order(bad, [])), null, `id ${bad}`);
    assert.equal(summary(order(1, [item(bad, 1)])), null, `qty ${bad}`);
    assert.equal(summary(order(1, [item(1, bad)])), null, `price ${bad}`);
  }
});

test('qty above u32 is rejected and u32 max is accepted', () => {
  assert.equal(summary(order(1, [item(4294967296, 1)])), null);
  assert.equal(summary(order(1, [item(4294967295, 1)])), '{"id":1,"item_count":1,"total_cents":4294967295}');
});

test('wrong shapes and types are rejected', () => {
  for (const bad of ['[]', 'null', '1', '"x"', '{}', '{"items":[]}', '{"id":1}', '{"id":null,"items":[]}',
    '{"id":true,"items":[]}', order(1, ['[]']), order(1, ['1']), order(1, [item(1, 1, '5')]),
    order(1, ['{"qty":1,"price_cents":1}']), order(1, ['{"sku":"A","price_cents":1}']),
    order(1, ['{"sku":"A","qty":1}']), '{"id":1,"items":"[]"}']) {
    assert.equal(summary(bad), null, bad);
  }
});

test('malformed JSON is rejected', () => {
  for (const bad of ['', ' ', '{', '{"id":1,"items":[}', '{"id":01,"items":[]}', '{"id":1,"items":[]} x',
    '{"id":1,"items":[],}', "{'id':1,'items':[]}", '{"id":1,"items":[]}}', '{"id":+1,"items":[]}',
    '{"id":1.,"items":[]}', '{"id":1,"items":[],"x":"\u0001"}', '{"id":1,"items":[],"x":"\\q"}']) {
    assert.equal(summary(bad), null, JSON.stringify(bad));
  }
});

test('unknown fields, whitespace and escapes are accepted', () => {
  assert.equal(summary(' {\n"note": [1.5, -2, {"a": null}], "id":\t3, "__proto__": 1,\r\n "items": [' +
    '{"sku":"caf\\u00e9 \\"x\\"","qty":2,"price_cents":5,"extra":1e9}]} '),
    '{"id":3,"item_count":1,"total_cents":10}');
});

test('the exact parser keeps integers as BigInt and agrees with JSON.parse otherwise', () => {
  assert.deepEqual(parseExact('[18446744073709551615, 1.5, "a\\nb", true, null]'),
    [18446744073709551615n, 1.5, 'a\nb', true, null]);
});
