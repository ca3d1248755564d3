// stampede load test for k6, written by `stampede export k6` (do not edit by hand: export again).
//
// Sends the same requests and varied bodies as stampede's own load client for this workload and
// body seed, and checks status and answers as stampede's load checks do. Runs unchanged on one
// machine, on several (`--execution-segment` with `--execution-segment-sequence`) and under the
// k6-operator. Import every instance's `--out json=FILE` with `stampede import k6 FILE...`.
//
// Environment: BASE_URL overrides the server URL, METRICS_URL the server's metrics endpoint
// (`stampede serve TARGET --metrics ADDR`), so one script serves any address.
import http from 'k6/http';
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter, Gauge } from 'k6/metrics';

const STAMPEDE = __STAMPEDE_CONFIG__;
// Built once per instance and shared read-only by every VU (a VU copies only the request it
// sends), so the 1,024 bodies of a POST workload cost memory once, not once per VU.
const REQUESTS = new SharedArray('stampede requests', () =>
__STAMPEDE_REQUESTS__
);

const BASE_URL = (__ENV.BASE_URL || STAMPEDE.url).replace(/\/+$/, '');
const METRICS_URL = __ENV.METRICS_URL || STAMPEDE.metrics_url || '';
// As stampede's checks: JSON answers that differ from the canonical bytes are parsed on every
// 8th request of a VU; a hash digest not yet known is computed on every 64th.
const PARSE_EVERY = 8;
const COMPUTE_EVERY = 64;
const QUOTE_CHARS = 120;

function loadScenario() {
  if (STAMPEDE.rate_per_sec === null) {
    return {
      executor: 'constant-vus',
      vus: STAMPEDE.connections,
      duration: STAMPEDE.duration,
      exec: 'load',
    };
  }
  // k6 rates are integers per time unit: a fractional rate is given per 1000 s.
  const whole = Number.isInteger(STAMPEDE.rate_per_sec);
  return {
    executor: 'constant-arrival-rate',
    rate: whole ? STAMPEDE.rate_per_sec : Math.round(STAMPEDE.rate_per_sec * 1000),
    timeUnit: whole ? '1s' : '1000s',
    duration: STAMPEDE.duration,
    preAllocatedVUs: STAMPEDE.connections,
    maxVUs: STAMPEDE.connections,
    exec: 'load',
  };
}

const scenarios = { load: loadScenario() };
if (METRICS_URL) {
  // One VU in the whole test (the segment that gets it) reads the server's memory each second.
  scenarios.server_metrics = {
    executor: 'constant-vus',
    vus: 1,
    duration: STAMPEDE.duration,
    exec: 'scrapeDuring',
  };
}

const thresholds = {
  // A run that sent nothing measured nothing.
  'http_reqs{scenario:load}': ['count>0'],
  // stampede calls a run INVALID above 0.1% errors or with any wrong answer.
  'http_req_failed{scenario:load}': ['rate<0.001'],
  'checks{stampede_check:answer}': ['rate==1'],
};
if (STAMPEDE.has_not_before) {
  thresholds['checks{stampede_check:too-fast}'] = ['rate==1'];
}
if (STAMPEDE.rate_per_sec !== null) {
  // 1% of the whole test's iterations. k6 checks thresholds per instance and the init context
  // cannot see the execution segment, so with N instances this is N times as lenient; the
  // import's share of late sends is exact.
  const planned = STAMPEDE.rate_per_sec * STAMPEDE.duration_seconds;
  thresholds['dropped_iterations{scenario:load}'] = [`count<=${Math.floor(planned * 0.01)}`];
}

export const options = {
  scenarios,
  thresholds,
  // Every answer is read: the checks need the bodies.
  discardResponseBodies: false,
};

const info = new Counter('stampede_info');
const wrongAnswers = new Counter('stampede_wrong_answers');
const scrapeFailures = new Counter('stampede_scrape_failures');
const SERVER_GAUGES = [
  ['stampede_server_cpu_seconds_total', new Gauge('stampede_server_cpu_seconds')],
  ['stampede_server_memory_pss_bytes', new Gauge('stampede_server_pss_bytes')],
  ['stampede_server_memory_rss_bytes', new Gauge('stampede_server_rss_bytes')],
  ['stampede_server_threads', new Gauge('stampede_server_threads')],
  ['stampede_server_open_fds', new Gauge('stampede_server_open_fds')],
  ['stampede_server_processes', new Gauge('stampede_server_processes')],
  ['stampede_server_cores', new Gauge('stampede_server_cores')],
  ['stampede_server_cpu_from_cgroup', new Gauge('stampede_server_cpu_from_cgroup')],
];

const statusCallbacks = {};
for (const status of STAMPEDE.statuses) {
  statusCallbacks[status] = http.expectedStatuses(status);
}

const scrapeCallback = http.expectedStatuses(200);

// Digests of this VU, computed when first needed (each VU is its own JavaScript runtime).
const digests = new Map();
let wrongExampleSent = false;

export function setup() {
  info.add(1, {
    workload: STAMPEDE.workload,
    seed: String(STAMPEDE.body_seed),
    connections: String(STAMPEDE.connections),
    rate: STAMPEDE.rate_per_sec === null ? '' : String(STAMPEDE.rate_per_sec),
    duration: STAMPEDE.duration,
    segment: String(exec.test.options.executionSegment || '0:1'),
    metrics_url: METRICS_URL,
    url: BASE_URL,
  });
  scrape('before');
}

export function teardown() {
  scrape('after');
}

export function scrapeDuring() {
  scrape('during');
  sleep(1);
}

export function load() {
  const r = REQUESTS[exec.scenario.iterationInTest % REQUESTS.length];
  const res = http.request(r.method, BASE_URL + r.path, r.body, {
    headers: r.headers,
    tags: { name: r.name },
    responseCallback: statusCallbacks[r.status],
  });
  const statusOk = check(res, { status: (x) => x.status === r.status }, { stampede_check: 'status' });
  if (!statusOk) {
    return;
  }
  const nth = exec.vu.iterationInScenario;
  const verdict = judge(r, res.body, nth);
  if (verdict !== null) {
    check(verdict, { answer: (v) => v.ok }, { stampede_check: 'answer' });
    if (!verdict.ok && !wrongExampleSent) {
      wrongExampleSent = true;
      wrongAnswers.add(1, { example: `${r.method} ${r.path}: ${verdict.why}` });
    }
  }
  if (r.not_before_ms !== null) {
    check(res, { 'not too fast': (x) => x.timings.duration >= r.not_before_ms },
      { stampede_check: 'too-fast' });
  }
}

// null: not checked this time; otherwise { ok, why }.
function judge(r, body, nth) {
  const answer = r.answer;
  switch (answer.kind) {
    case 'exact':
      return compare(answer.text, body);
    case 'json': {
      if (body === answer.canonical) {
        return { ok: true };
      }
      if (nth % PARSE_EVERY !== 0) {
        return null;
      }
      let parsed;
      try {
        parsed = JSON.parse(body);
      } catch (e) {
        parsed = undefined;
      }
      // JavaScript numbers hold 53 bits: integers beyond are also compared as digits.
      const ok = parsed !== undefined && jsonEqual(parsed, JSON.parse(answer.canonical))
        && sameList(bigIntegers(body), bigIntegers(answer.canonical));
      return ok ? { ok } : { ok, why: `expected JSON equal to ${quote(answer.canonical)}, got ${quote(body)}` };
    }
    case 'hash-chain': {
      let want = digests.get(r.body);
      if (want === undefined) {
        if (nth % COMPUTE_EVERY !== 0) {
          return null;
        }
        want = chainedSha256Hex(r.body, answer.rounds);
        digests.set(r.body, want);
      }
      return compare(want, body);
    }
    default:
      return null;
  }
}

function compare(want, got) {
  return want === got ? { ok: true } : { ok: false, why: `expected ${quote(want)}, got ${quote(got)}` };
}

function quote(text) {
  const s = String(text);
  return JSON.stringify(s.slice(0, QUOTE_CHARS)) + (s.length > QUOTE_CHARS ? '...' : '');
}

// The contract's /hash answer: h1 = SHA-256(body), h(k+1) = SHA-256(h(k)), lowercase hex.
function chainedSha256Hex(body, rounds) {
  if (rounds <= 1) {
    return crypto.sha256(body, 'hex');
  }
  let digest = crypto.sha256(body, 'binary');
  for (let i = 1; i < rounds - 1; i++) {
    digest = crypto.sha256(asBuffer(digest), 'binary');
  }
  return crypto.sha256(asBuffer(digest), 'hex');
}

function asBuffer(digest) {
  return digest instanceof ArrayBuffer ? digest : new Uint8Array(digest).buffer;
}

function jsonEqual(a, b) {
  if (a === b) {
    return true;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length
    && keysA.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}

function bigIntegers(text) {
  return (String(text).match(/-?\d{16,}/g) || []).sort();
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function scrape(phase) {
  if (!METRICS_URL) {
    return;
  }
  const res = http.get(METRICS_URL, {
    tags: { stampede: 'scrape', name: 'metrics' },
    responseCallback: scrapeCallback,
  });
  if (res.status !== 200 || typeof res.body !== 'string') {
    scrapeFailures.add(1, { phase });
    return;
  }
  const values = {};
  for (const line of res.body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !(m[1] in values)) {
      values[m[1]] = Number(m[3]);
    }
  }
  for (const [name, gauge] of SERVER_GAUGES) {
    if (name in values && Number.isFinite(values[name])) {
      gauge.add(values[name], { phase });
    }
  }
}
