'use strict';
// Pure parts of the contract: query parsing, the chained hash, the /json/doc document.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { parseRounds, parseSleepMs, jsonDoc } = require('../contract');
const { chainedSha256Hex } = require('../hash');

const SPEC = path.join(__dirname, '..', '..', 'spec');
const vectors = JSON.parse(fs.readFileSync(path.join(SPEC, 'vectors.json'), 'utf8')).vectors;
const vector = (name) => vectors.find((v) => v.name === name);

test('rounds from 1 to one million are accepted', () => {
  assert.equal(parseRounds('rounds=1'), 1);
  assert.equal(parseRounds('rounds=1000'), 1000);
  assert.equal(parseRounds('rounds=1000000'), 1000000);
  assert.equal(parseRounds('other=x&rounds=7'), 7);
});

test('rounds above one million are rejected', () => {
  assert.equal(parseRounds('rounds=1000001'), null);
  assert.equal(parseRounds('rounds=99999999999999999999999'), null);
});

test('missing, empty, zero, negative or non-numeric rounds are rejected', () => {
  for (const query of ['', 'rounds=', 'rounds=0', 'rounds=-1', 'rounds=ten', 'rounds=1.5',
    'rounds=+3', 'rounds=1e3', 'rounds=%201', 'round=3']) {
    assert.equal(parseRounds(query), null, query);
  }
});

test('sleep accepts 0 to 10000 ms and nothing else', () => {
  assert.equal(parseSleepMs('ms=0'), 0);
  assert.equal(parseSleepMs('ms=20'), 20);
  assert.equal(parseSleepMs('ms=10000'), 10000);
  for (const query of ['', 'ms=', 'ms=-5', 'ms=abc', 'ms=10001', 'ms=1e2']) {
    assert.equal(parseSleepMs(query), null, query);
  }
});

test('the chained hash matches the spec vector for 1000 rounds of "stampede"', () => {
  const v = vector('hash-stampede-1000');
  assert.equal(chainedSha256Hex(Buffer.from(v.request.body), 1000), v.expect.body);
});

test('one round of the chained hash is plain SHA-256', () => {
  assert.equal(chainedSha256Hex(Buffer.alloc(0), 1), vector('hash-empty-1').expect.body);
  assert.equal(chainedSha256Hex(Buffer.from('abc'), 2), vector('hash-abc-2').expect.body);
});

test('the json document equals spec/json-doc.json and is a fresh object each time', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(SPEC, 'json-doc.json'), 'utf8'));
  assert.deepEqual(JSON.parse(JSON.stringify(jsonDoc())), expected);
  assert.notEqual(jsonDoc(), jsonDoc());
});
