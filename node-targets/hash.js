'use strict';
// The chained SHA-256 of the contract, shared by the inline handler and the offload threads:
// h1 = SHA-256(body), h(k+1) = SHA-256 of the 32 raw bytes of h(k); the answer is hex of h(N).

const { createHash } = require('node:crypto');

function chainedSha256Hex(body, rounds) {
  let digest = createHash('sha256').update(body).digest();
  for (let round = 1; round < rounds; round++) {
    digest = createHash('sha256').update(digest).digest();
  }
  return digest.toString('hex');
}

module.exports = { chainedSha256Hex };
