'use strict';
// The Host rule: which single Host values an HTTP/1.1 request may carry.

const test = require('node:test');
const assert = require('node:assert/strict');
const { validHost } = require('../host');

test('names, addresses, IP literals and ports are valid Host values', () => {
  for (const value of ['x', 'example.com:8080', '127.0.0.1', '[::1]:8080', '[v1.fe]', 'a%20b', '', 'x:']) {
    assert.equal(validHost(value), true, value);
  }
});

test('userinfo, paths, spaces, lists with spaces, bad ports and open brackets are not', () => {
  for (const value of ['user@host', 'host/path', 'a, b', 'x:http', 'x:1:2', '[::1', '[::1]x', 'a%2', 'a b', 'ho?st']) {
    assert.equal(validHost(value), false, value);
  }
});
