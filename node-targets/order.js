'use strict';
// POST /json/order: parse and validate {"id":u64,"items":[{"sku":string,"qty":u32,
// "price_cents":u64},..]} and answer {"id":..,"item_count":..,"total_cents":..} exactly.
//
// JSON.parse turns numbers into doubles, exact only up to 2^53 - 1, and it cannot tell `1`
// from `1.0`. So there are two paths that accept exactly the same documents:
// - fast: JSON.parse, used when no number in the text can have a fraction or exponent and every
//   id/price_cents is a safe integer (the usual case);
// - exact: a small strict parser that keeps every plain integer literal as a BigInt (and any
//   number with a fraction or exponent as a double, which no integer field accepts).
// Unknown fields are ignored. A total above 2^64 - 1 is out of range: 400, like any other.

const U32_MAX = 4294967295;
const U32_MAX_BIG = 4294967295n;
const U64_MAX = 18446744073709551615n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
// Conservative: also matches inside strings ("v1.2"), which only costs a trip to the exact path.
const MAYBE_FRACTION_OR_EXPONENT = /\d[.eE]/;

const INVALID = Symbol('invalid');
const NEEDS_EXACT = Symbol('needs exact');

/** The response body for a valid order text, or null when the order is invalid (400). */
function orderSummary(text, { forceExact = false } = {}) {
  if (!forceExact) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      return null;
    }
    if (!MAYBE_FRACTION_OR_EXPONENT.test(text)) {
      const summary = summarise(doc, false);
      if (summary !== NEEDS_EXACT) return summary === INVALID ? null : summary;
    }
  }
  let exactDoc;
  try {
    exactDoc = parseExact(text);
  } catch {
    return null; // malformed, or nested too deeply for this parser
  }
  const summary = summarise(exactDoc, true);
  return summary === INVALID || summary === NEEDS_EXACT ? null : summary;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A non-negative integer no larger than maxBig. From the exact path only BigInts are integers.
// From the fast path, doubles: accepted up to maxNumber; for u64 fields maxNumber is 2^53 - 1
// and anything larger NEEDS_EXACT (the double may not be the literal's value).
function unsigned(value, maxBig, maxNumber, exact) {
  if (typeof value === 'bigint') return value >= 0n && value <= maxBig ? value : INVALID;
  if (exact || typeof value !== 'number' || !Number.isInteger(value)) return INVALID;
  if (value < 0 || Object.is(value, -0)) return INVALID;
  if (value <= maxNumber) return value;
  return maxNumber === MAX_SAFE ? NEEDS_EXACT : INVALID;
}

function summarise(doc, exact) {
  if (!isObject(doc)) return INVALID;
  const id = unsigned(doc.id, U64_MAX, MAX_SAFE, exact);
  if (id === INVALID) return INVALID;
  const items = doc.items;
  if (!Array.isArray(items)) return INVALID;
  let needsExact = id === NEEDS_EXACT;
  // total stays a double while it is a safe integer, then continues as a BigInt.
  let total = exact ? 0n : 0;
  let big = exact;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isObject(item) || typeof item.sku !== 'string') return INVALID;
    const qty = unsigned(item.qty, U32_MAX_BIG, U32_MAX, exact);
    const price = unsigned(item.price_cents, U64_MAX, MAX_SAFE, exact);
    if (qty === INVALID || price === INVALID) return INVALID;
    if (price === NEEDS_EXACT || qty === NEEDS_EXACT) needsExact = true;
    if (needsExact) continue; // keep validating: a later invalid field is a 400 either way
    if (!big) {
      const sum = total + qty * price;
      if (sum <= MAX_SAFE) {
        total = sum;
        continue;
      }
      big = true;
      total = BigInt(total);
    }
    total += BigInt(qty) * BigInt(price);
  }
  if (needsExact) return NEEDS_EXACT;
  if (big && total > U64_MAX) return INVALID;
  return `{"id":${id},"item_count":${items.length},"total_cents":${total}}`;
}

// ---- the exact parser: strict RFC 8259, the grammar JSON.parse accepts ----

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WHITESPACE = /[ \t\n\r]*/y;

function parseExact(text) {
  const state = { text, at: 0 };
  const value = parseValue(state);
  skipWhitespace(state);
  if (state.at !== text.length) throw new SyntaxError('unexpected text after the value');
  return value;
}

function skipWhitespace(state) {
  WHITESPACE.lastIndex = state.at;
  WHITESPACE.exec(state.text);
  state.at = WHITESPACE.lastIndex;
}

function expect(state, char) {
  skipWhitespace(state);
  if (state.text[state.at] !== char) throw new SyntaxError(`expected ${char} at ${state.at}`);
  state.at++;
}

function parseValue(state) {
  skipWhitespace(state);
  const { text, at } = state;
  switch (text[at]) {
    case '{':
      return parseObject(state);
    case '[':
      return parseArray(state);
    case '"':
      return parseString(state);
    case 't':
      return literal(state, 'true', true);
    case 'f':
      return literal(state, 'false', false);
    case 'n':
      return literal(state, 'null', null);
    default: {
      NUMBER.lastIndex = at;
      const match = NUMBER.exec(text);
      if (match === null) throw new SyntaxError(`unexpected character at ${at}`);
      state.at = NUMBER.lastIndex;
      const source = match[0];
      const plainInteger = match[1] === undefined && match[2] === undefined && source !== '-0';
      // -0 stays a double, rejected like 1.0: it is not an unsigned integer literal.
      return plainInteger ? BigInt(source) : Number(source);
    }
  }
}

function literal(state, word, value) {
  if (!state.text.startsWith(word, state.at)) throw new SyntaxError(`bad literal at ${state.at}`);
  state.at += word.length;
  return value;
}

function parseString(state) {
  STRING.lastIndex = state.at;
  const match = STRING.exec(state.text);
  if (match === null) throw new SyntaxError(`bad string at ${state.at}`);
  state.at = STRING.lastIndex;
  return JSON.parse(match[0]); // the regex has validated it; JSON.parse decodes the escapes
}

function parseObject(state) {
  state.at++; // {
  const object = Object.create(null); // so that a "__proto__" key is just a key
  skipWhitespace(state);
  if (state.text[state.at] === '}') {
    state.at++;
    return object;
  }
  for (;;) {
    skipWhitespace(state);
    if (state.text[state.at] !== '"') throw new SyntaxError(`expected a key at ${state.at}`);
    const key = parseString(state);
    expect(state, ':');
    object[key] = parseValue(state);
    skipWhitespace(state);
    const next = state.text[state.at++];
    if (next === '}') return object;
    if (next !== ',') throw new SyntaxError(`expected , or } at ${state.at - 1}`);
  }
}

function parseArray(state) {
  state.at++; // [
  const array = [];
  skipWhitespace(state);
  if (state.text[state.at] === ']') {
    state.at++;
    return array;
  }
  for (;;) {
    array.push(parseValue(state));
    skipWhitespace(state);
    const next = state.text[state.at++];
    if (next === ']') return array;
    if (next !== ',') throw new SyntaxError(`expected , or ] at ${state.at - 1}`);
  }
}

module.exports = { orderSummary, parseExact };
