'use strict';
// The Host rule of RFC 9112 section 3.2: Host = uri-host [ ":" port ] (RFC 9110 section 7.2),
// uri-host being an IP-literal in brackets or a reg-name (an IPv4 address is one), per RFC 3986
// section 3.2.2. The same rule as servers/contract/src/host.rs and go-targets/internal/contract.

// unreserved and sub-delims of RFC 3986, and '%' for pct-encoded (checked apart).
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
// An IP-literal's inside: IPv6address or IPvFuture, both made of these.
const IP_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;
const PORT = /^[0-9]*$/;

/** True when `value` (one Host field value) is valid; an empty value is valid too. */
function validHost(value) {
  let host = value;
  let port = '';
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1 || !IP_LITERAL.test(value.slice(1, close))) return false;
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    return PORT.test(rest.slice(1));
  }
  const colon = value.indexOf(':');
  if (colon !== -1) {
    host = value.slice(0, colon);
    port = value.slice(colon + 1);
  }
  return REG_NAME.test(host) && PORT.test(port);
}

module.exports = { validHost };
