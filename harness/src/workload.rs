//! Workloads: what each load request is. Names are the ones the CLI and benches use.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::bodies;
use crate::load::RequestTemplate;
use crate::load::check::Answer;
use crate::vectors::Vector;

/// Default hashing rounds when a workload name gives none.
pub const DEFAULT_HASH_ROUNDS: u32 = 1000;
/// Default `/sleep` duration in milliseconds.
pub const DEFAULT_SLEEP_MS: u32 = 10;
/// The body seed of [`Workload::requests`]: fixed, so both sides of a comparison send the same
/// bodies. Benchmarks draw a new seed per run and record it.
pub const DEFAULT_BODY_SEED: u64 = 0x5eed;

/// One kind of request traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `GET /plaintext`.
    Plaintext,
    /// `GET /json`.
    Json,
    /// `GET /json/doc`: the ~1 KB document.
    JsonDoc,
    /// `POST /json/order` with the spec's varied order bodies.
    Order,
    /// `POST /hash?rounds=N`: CPU work on the request's own thread or event loop.
    Hash {
        /// SHA-256 rounds per request.
        rounds: u32,
    },
    /// `POST /hash/offload?rounds=N`: the same work on the offload pool.
    HashOffload {
        /// SHA-256 rounds per request.
        rounds: u32,
    },
    /// `GET /sleep?ms=N`: waiting without work.
    Sleep {
        /// Milliseconds to wait.
        ms: u32,
    },
}

/// A workload name that is not known.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown workload {0:?}; known: plaintext, json, json-doc, order, hash[:ROUNDS], hash-offload[:ROUNDS], sleep[:MS]"
)]
pub struct UnknownWorkload(String);

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, param) = match text.split_once(':') {
            Some((name, param)) => (name, Some(param)),
            None => (text, None),
        };
        let number = |default: u32| -> Result<u32, UnknownWorkload> {
            param.map_or(Ok(default), |p| {
                p.parse().map_err(|_| UnknownWorkload(text.to_owned()))
            })
        };
        let plain = |w: Workload| {
            if param.is_some() {
                Err(UnknownWorkload(text.to_owned()))
            } else {
                Ok(w)
            }
        };
        match name {
            "plaintext" => plain(Self::Plaintext),
            "json" => plain(Self::Json),
            "json-doc" => plain(Self::JsonDoc),
            "order" => plain(Self::Order),
            "hash" => Ok(Self::Hash {
                rounds: number(DEFAULT_HASH_ROUNDS)?,
            }),
            "hash-offload" => Ok(Self::HashOffload {
                rounds: number(DEFAULT_HASH_ROUNDS)?,
            }),
            "sleep" => Ok(Self::Sleep {
                ms: number(DEFAULT_SLEEP_MS)?,
            }),
            _ => Err(UnknownWorkload(text.to_owned())),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plaintext => f.write_str("plaintext"),
            Self::Json => f.write_str("json"),
            Self::JsonDoc => f.write_str("json-doc"),
            Self::Order => f.write_str("order"),
            Self::Hash { rounds } => write!(f, "hash:{rounds}"),
            Self::HashOffload { rounds } => write!(f, "hash-offload:{rounds}"),
            Self::Sleep { ms } => write!(f, "sleep:{ms}"),
        }
    }
}

impl Workload {
    /// The workload's family name, without parameters (the Criterion group).
    pub fn family(&self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Json => "json",
            Self::JsonDoc => "json-doc",
            Self::Order => "order",
            Self::Hash { .. } => "hash",
            Self::HashOffload { .. } => "hash-offload",
            Self::Sleep { .. } => "sleep",
        }
    }

    /// The requests a load connection cycles through, each with the answer the contract
    /// demands, with the pool of bodies drawn from [`DEFAULT_BODY_SEED`].
    pub fn requests(&self, addr: SocketAddr, vectors: &[Vector]) -> Vec<RequestTemplate> {
        self.requests_seeded(addr, vectors, DEFAULT_BODY_SEED)
    }

    /// The requests a load connection cycles through. GET answers come from the spec's
    /// vectors; POST workloads send a pool of distinct bodies drawn from `seed`
    /// ([`crate::bodies`]), so a target cannot answer from a memo table.
    pub fn requests_seeded(
        &self,
        addr: SocketAddr,
        vectors: &[Vector],
        seed: u64,
    ) -> Vec<RequestTemplate> {
        let get = |path: &str| {
            let template = RequestTemplate::get(addr, path);
            match vector_answer(vectors, path) {
                Some(answer) => template.answered(answer),
                None => template,
            }
        };
        match self {
            Self::Plaintext => vec![get("/plaintext")],
            Self::Json => vec![get("/json")],
            Self::JsonDoc => vec![get("/json/doc")],
            Self::Order => post_all(addr, "/json/order", bodies::order_bodies(seed)),
            Self::Hash { rounds } => post_all(
                addr,
                &format!("/hash?rounds={rounds}"),
                bodies::hash_bodies(seed, *rounds),
            ),
            Self::HashOffload { rounds } => post_all(
                addr,
                &format!("/hash/offload?rounds={rounds}"),
                bodies::hash_bodies(seed, *rounds),
            ),
            Self::Sleep { ms } => vec![
                RequestTemplate::get(addr, &format!("/sleep?ms={ms}"))
                    .answered(Answer::Exact(b"ok".to_vec()))
                    .not_before(std::time::Duration::from_millis(u64::from(*ms))),
            ],
        }
    }

    /// True for workloads that send bodies from a seeded pool.
    pub fn has_bodies(&self) -> bool {
        matches!(
            self,
            Self::Order | Self::Hash { .. } | Self::HashOffload { .. }
        )
    }
}

fn post_all(addr: SocketAddr, path: &str, bodies: Vec<bodies::Body>) -> Vec<RequestTemplate> {
    let headers = [("Content-Type", "application/json")];
    bodies
        .into_iter()
        .map(|body| {
            let headers: &[(&str, &str)] = if path == "/json/order" { &headers } else { &[] };
            RequestTemplate::new(addr, "POST", path, headers, Some(&body.bytes))
                .answered(body.answer)
        })
        .collect()
}

/// The answer the spec's vectors give for `GET path`.
fn vector_answer(vectors: &[Vector], path: &str) -> Option<Answer> {
    let vector = vectors
        .iter()
        .find(|v| v.request.method == "GET" && v.request.path == path && v.expect.status == 200)?;
    match (&vector.expect.body, &vector.expect.json) {
        (Some(body), _) => Some(Answer::Exact(body.clone().into_bytes())),
        (None, Some(json)) => Some(Answer::json(json.clone())),
        (None, None) => None,
    }
}

/// `[hash]` of spec/workloads.toml.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashParams {
    /// Connections of the hash groups.
    pub connections: usize,
    /// Work sizes in SHA-256 rounds per request.
    pub rounds: Vec<u32>,
}

/// The benchmark-ID label of a hash work size: its rounds (`r1k`, `r19k`, `r98k`), never a
/// duration, because the time the same rounds take differs by runtime (Node takes ~20 times
/// Rust's).
pub fn rounds_label(rounds: u32) -> String {
    if rounds >= 1000 && rounds % 1000 == 0 {
        format!("r{}k", rounds / 1000)
    } else {
        format!("r{rounds}")
    }
}

/// `[sleep]`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepParams {
    /// Milliseconds per request.
    pub ms: u32,
    /// Connection counts.
    pub connections: Vec<usize>,
}

/// A list of connection counts (`[sweep]`, `[documents]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionList {
    /// Connection counts.
    pub connections: Vec<usize>,
}

/// `[pipelined]`: the TechEmpower plaintext method.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelinedParams {
    /// Requests per write.
    pub depth: usize,
    /// Connection counts.
    pub connections: Vec<usize>,
}

/// `[mixed]`: the event-loop blocking probe.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixedParams {
    /// Background connections driving /hash.
    pub background_connections: usize,
    /// Rounds per background request.
    pub rounds: u32,
    /// Connections of the recorded probe run.
    pub probe_connections: usize,
    /// Rate of the recorded probe run.
    pub probe_rate_per_sec: f64,
    /// Length of the recorded probe run (quick mode: a quarter).
    pub probe_seconds: f64,
}

/// One benchmark that also gets open-loop runs for its tail latency.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLoopCase {
    /// Workload family (Criterion group).
    pub workload: String,
    /// Parameter part of the benchmark ID, e.g. `c64`.
    pub param: String,
    /// One rate every target should sustain, for comparisons across targets.
    pub common_rate_per_sec: f64,
    /// Overrides `[open_loop].fractions` for this case.
    pub fractions: Option<Vec<f64>>,
}

/// `[open_loop]`: tail latency from fixed-rate runs.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLoopParams {
    /// Fractions of each target's own measured capacity.
    pub fractions: Vec<f64>,
    /// Samples each run aims for (10,000 leave 10 beyond p99.9).
    pub target_samples: u64,
    /// Shortest run.
    pub min_seconds: f64,
    /// Longest run, whatever the samples.
    pub max_seconds: f64,
    /// Which benchmarks get them.
    pub cases: Vec<OpenLoopCase>,
}

impl OpenLoopParams {
    /// The open-loop case of `workload`/`param`, if it has one.
    pub fn case(&self, workload: &str, param: &str) -> Option<&OpenLoopCase> {
        self.cases
            .iter()
            .find(|c| c.workload == workload && c.param == param)
    }

    /// How long to run at `rate_per_sec` to get the target samples, within the bounds.
    pub fn seconds_at(&self, rate_per_sec: f64) -> f64 {
        (self.target_samples as f64 / rate_per_sec.max(1e-9))
            .clamp(self.min_seconds, self.max_seconds)
    }
}

/// The benchmark parameters in `spec/workloads.toml`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadParams {
    /// Workload families in run and report order.
    pub families: Vec<String>,
    /// Hash groups.
    pub hash: HashParams,
    /// Sleep group.
    pub sleep: SleepParams,
    /// Plaintext and json sweep.
    pub sweep: ConnectionList,
    /// json-doc and order.
    pub documents: ConnectionList,
    /// plaintext-pipelined.
    pub pipelined: PipelinedParams,
    /// The mixed probe.
    pub mixed: MixedParams,
    /// Open-loop tail runs.
    pub open_loop: OpenLoopParams,
}

impl WorkloadParams {
    /// Reads `workloads.toml` from the spec folder.
    pub fn load(spec_dir: &std::path::Path) -> Result<Self, crate::vectors::SpecError> {
        let path = spec_dir.join("workloads.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|source| crate::vectors::SpecError::Read {
                path: path.clone(),
                source,
            })?;
        toml::from_str(&text).map_err(|e| crate::vectors::SpecError::Invalid {
            path,
            name: "workloads".into(),
            why: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_parameters_default() {
        for name in [
            "plaintext",
            "json",
            "json-doc",
            "order",
            "hash:5",
            "hash-offload:7",
            "sleep:3",
        ] {
            assert_eq!(name.parse::<Workload>().unwrap().to_string(), name);
        }
        assert_eq!(
            "hash".parse::<Workload>().unwrap(),
            Workload::Hash {
                rounds: DEFAULT_HASH_ROUNDS
            }
        );
        assert_eq!(
            "sleep".parse::<Workload>().unwrap(),
            Workload::Sleep {
                ms: DEFAULT_SLEEP_MS
            }
        );
    }

    #[test]
    fn unknown_names_and_stray_parameters_are_rejected_with_the_known_list() {
        for bad in ["nope", "json:3", "hash:x", ""] {
            let err = bad.parse::<Workload>().unwrap_err().to_string();
            assert!(err.contains("plaintext, json"), "{err}");
        }
    }

    #[test]
    fn the_repository_workload_parameters_parse_with_three_hash_sizes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let params = WorkloadParams::load(&crate::vectors::spec_dir(&root)).unwrap();
        assert_eq!(params.hash.rounds.len(), 3);
        assert!(params.hash.rounds.windows(2).all(|w| w[0] < w[1]));
        let labels: Vec<String> = params
            .hash
            .rounds
            .iter()
            .map(|&r| rounds_label(r))
            .collect();
        assert_eq!(labels, ["r1k", "r19k", "r98k"]);
        assert_eq!(rounds_label(1500), "r1500");
        for case in &params.open_loop.cases {
            assert!(case.common_rate_per_sec > 0.0, "{case:?}");
        }
        assert!(params.sleep.connections.contains(&10_000));
    }

    fn repo_vectors() -> Vec<Vector> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        crate::vectors::load_vectors(&crate::vectors::spec_dir(&root)).unwrap()
    }

    #[test]
    fn post_workloads_send_a_pool_of_distinct_bodies_never_one_repeated_body() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        for workload in ["order", "hash:1000", "hash-offload:1000"] {
            let workload: Workload = workload.parse().unwrap();
            let mix = workload.requests_seeded(addr, &repo_vectors(), 42);
            let distinct: std::collections::BTreeSet<&Vec<u8>> =
                mix.iter().map(|r| &r.bytes).collect();
            assert_eq!(distinct.len(), crate::bodies::POOL_SIZE, "{workload}");
            assert!(
                mix.windows(2).all(|w| w[0].bytes != w[1].bytes),
                "{workload}"
            );
            assert!(
                mix.iter().all(|r| r.answer != Answer::Unchecked),
                "{workload}"
            );
            assert!(workload.has_bodies());
        }
    }

    #[test]
    fn get_workloads_check_against_the_spec_vectors_answers() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let plain = &Workload::Plaintext.requests(addr, &repo_vectors())[0];
        assert_eq!(plain.answer.check(b"Hello, World!", 1), Some(Ok(())));
        assert!(plain.answer.check(b"Hello", 1).unwrap().is_err());
        let doc = &Workload::JsonDoc.requests(addr, &repo_vectors())[0];
        assert!(matches!(doc.answer, Answer::Json { .. }));
        let sleep = &Workload::Sleep { ms: 10 }.requests(addr, &repo_vectors())[0];
        assert_eq!(sleep.not_before, Some(std::time::Duration::from_millis(10)));
    }
}
