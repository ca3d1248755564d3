'use strict';
// The database routes of spec/CONTRACT.md ("Database endpoints"): /db, /queries, /fortunes and
// /updates, on one pg.Pool (node-postgres) per process, which connects lazily and makes a
// request wait for a free connection. Every row in an answer comes from a query made for that
// request (nothing is cached); each statement is named, so pg prepares it once per connection.
// pg is loaded only when DATABASE_URL is set: every other route, and the tests, run without
// node_modules.

const { fortunesPage } = require('./fortunes-page');

const WORLD_ROWS = 10000; // World's ids are 1..=10000, and so are its random numbers
const MAX_QUERIES = 500;
const DIGITS = /^[0-9]+$/;
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const HTML = 'text/html; charset=utf-8';
const NOT_SET = 'DATABASE_URL is not set';
const EXTRA_FORTUNE = 'Additional fortune added at request time.';

const SELECT_WORLD = 'SELECT id, randomnumber FROM world WHERE id = $1';
const SELECT_FORTUNES = 'SELECT id, message FROM fortune';
// One statement for a whole batch, whatever its size (so pg_stat_statements keeps one entry).
const UPDATE_WORLDS =
  'UPDATE world SET randomnumber = v.r ' +
  'FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS v WHERE world.id = v.id';

/**
 * The `queries` parameter of `query` (the text after `?`) as TechEmpower clamps it: missing,
 * empty, not a whole number or below 1 is 1; above 500 is 500 (never a 400).
 */
function clampQueries(query) {
  const text = new URLSearchParams(query).get('queries');
  if (text === null || !DIGITS.test(text)) return 1;
  return Math.min(Math.max(Number(text), 1), MAX_QUERIES);
}

/**
 * The connections of cluster worker `index` (from 0) of `workers` when the server has `total`
 * in all: total / workers, plus one for the first total mod workers workers, so the shares add
 * up to `total` exactly; at least 1, so a worker can answer at all.
 */
function poolShare(total, workers, index) {
  const share = Math.floor(total / workers) + (index < total % workers ? 1 : 0);
  return Math.max(share, 1);
}

const randomWorldNumber = () => 1 + Math.floor(Math.random() * WORLD_ROWS);

/** Byte order of the UTF-8 text, which is code point order (not JavaScript's UTF-16 order). */
const byMessageBytes = (a, b) => Buffer.compare(Buffer.from(a.message), Buffer.from(b.message));

/** The queries of the four routes. */
class Database {
  /**
   * `pool`: pg.Pool, or anything with its query({name, text, values}) -> Promise<{rows}>.
   * `report(err)` hears of every failed query.
   */
  constructor(pool, report) {
    this.pool = pool;
    this.report = report;
  }

  /** The World row `id` as {id, randomNumber}. */
  async world(id) {
    const { rows } = await this.pool.query({ name: 'world', text: SELECT_WORLD, values: [id] });
    if (rows.length !== 1) throw new Error(`world ${id}: ${rows.length} rows`);
    return { id: rows[0].id, randomNumber: rows[0].randomnumber };
  }

  /** `count` random World rows (repeats allowed), one query each. */
  randomWorlds(count) {
    return Promise.all(Array.from({ length: count }, () => this.world(randomWorldNumber())));
  }

  /** Every Fortune row plus the one added at request time, sorted by message. */
  async fortunes() {
    const { rows } = await this.pool.query({ name: 'fortunes', text: SELECT_FORTUNES, values: [] });
    const fortunes = rows.map(({ id, message }) => ({ id, message }));
    fortunes.push({ id: 0, message: EXTRA_FORTUNE });
    return fortunes.sort(byMessageBytes);
  }

  /**
   * `count` random World rows, each with a new random number, written by one UPDATE before
   * they are returned. The batch holds each id once (an id drawn twice keeps its last number,
   * which both of its rows in the answer show), sorted by id, so that concurrent batches lock
   * rows in the same order and cannot deadlock.
   */
  async updateWorlds(count) {
    const worlds = await this.randomWorlds(count);
    const numbers = new Map();
    for (const world of worlds) numbers.set(world.id, randomWorldNumber());
    for (const world of worlds) world.randomNumber = numbers.get(world.id);
    const ids = [...numbers.keys()].sort((a, b) => a - b);
    const values = [ids, ids.map((id) => numbers.get(id))];
    await this.pool.query({ name: 'update-worlds', text: UPDATE_WORLDS, values });
    return worlds;
  }
}

/** A report(err) that writes the first database error to stderr and no other: no logging per request. */
function reportOnce(serverName) {
  let reported = false;
  return (err) => {
    if (reported) return;
    reported = true;
    process.stderr.write(
      `${serverName}: database error (later ones are not logged): ${err.message}\n`,
    );
  };
}

/**
 * A Database on a pool of `max` connections to `url`, or null when `url` is unset or empty.
 * Throws only when the pg package is missing (a start-up failure); a URL pg cannot parse makes
 * every query fail instead (spec/CONTRACT.md: a bad URL is not a start-up failure).
 */
function openDatabase(url, max, serverName) {
  if (!url) return null;
  let pg;
  try {
    pg = require('pg');
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error('DATABASE_URL is set but the pg package is not installed: run `npm ci` in node-targets');
  }
  const report = reportOnce(serverName);
  let pool;
  try {
    pool = new pg.Pool({ connectionString: url, max });
    // An idle connection that breaks (the database restarts) is an 'error' event, which would
    // end the process if nobody listened; pg drops that connection and opens a new one later.
    pool.on('error', report);
  } catch (err) {
    pool = { query: () => Promise.reject(err) };
  }
  return new Database(pool, report);
}

/**
 * The four routes as entries of contract.js's route map. `database` is a Database, or null
 * (DATABASE_URL unset: 503); `send` and `fail` are the handler's.
 */
function databaseRoutes(database, send, fail) {
  // Runs `work`, then answers 200 with `render` of its result, or 500 if either fails.
  function answer(res, work, contentType, render) {
    if (database === null) return send(res, 503, TEXT, NOT_SET);
    work()
      .then(render)
      .then(
        (body) => send(res, 200, contentType, body),
        (err) => {
          database.report(err);
          fail(res, 500);
        },
      );
  }
  const route = (contentType, work, render) => ({
    method: 'GET',
    handle: (req, res, query) => answer(res, () => work(query), contentType, render),
  });
  return [
    ['/db', route(JSON_TYPE, () => database.world(randomWorldNumber()), JSON.stringify)],
    ['/queries', route(JSON_TYPE, (query) => database.randomWorlds(clampQueries(query)), JSON.stringify)],
    ['/fortunes', route(HTML, () => database.fortunes(), fortunesPage)],
    ['/updates', route(JSON_TYPE, (query) => database.updateWorlds(clampQueries(query)), JSON.stringify)],
  ];
}

module.exports = {
  Database,
  clampQueries,
  databaseRoutes,
  openDatabase,
  poolShare,
  EXTRA_FORTUNE,
  MAX_QUERIES,
  NOT_SET,
};
