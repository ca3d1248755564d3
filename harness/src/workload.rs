//! Workloads: what each load request is. Names are the ones the CLI and benches use.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::load::RequestTemplate;
use crate::vectors::Vector;

/// Default hashing rounds when a workload name gives none.
pub const DEFAULT_HASH_ROUNDS: u32 = 1000;
/// Default `/sleep` duration in milliseconds.
pub const DEFAULT_SLEEP_MS: u32 = 10;
/// Body hashed by the hash workloads.
pub const HASH_BODY: &[u8] = b"stampede";

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

    /// The requests a load connection cycles through. Order bodies come from the spec's
    /// successful `/json/order` vectors, so every body sent has a verified answer.
    pub fn requests(&self, addr: SocketAddr, vectors: &[Vector]) -> Vec<RequestTemplate> {
        match self {
            Self::Plaintext => vec![RequestTemplate::get(addr, "/plaintext")],
            Self::Json => vec![RequestTemplate::get(addr, "/json")],
            Self::JsonDoc => vec![RequestTemplate::get(addr, "/json/doc")],
            Self::Order => vectors
                .iter()
                .filter(|v| v.request.path == "/json/order" && v.expect.status == 200)
                .map(|v| {
                    let body = v.request.body_bytes();
                    let headers = [("Content-Type", "application/json")];
                    RequestTemplate::new(addr, "POST", "/json/order", &headers, Some(&body))
                })
                .collect(),
            Self::Hash { rounds } => vec![hash_request(addr, "/hash", *rounds)],
            Self::HashOffload { rounds } => vec![hash_request(addr, "/hash/offload", *rounds)],
            Self::Sleep { ms } => vec![RequestTemplate::get(addr, &format!("/sleep?ms={ms}"))],
        }
    }
}

fn hash_request(addr: SocketAddr, path: &str, rounds: u32) -> RequestTemplate {
    RequestTemplate::new(
        addr,
        "POST",
        &format!("{path}?rounds={rounds}"),
        &[],
        Some(HASH_BODY),
    )
}

/// One hash work size.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashSize {
    /// Label used in benchmark IDs, e.g. `1ms`.
    pub label: String,
    /// SHA-256 rounds per request.
    pub rounds: u32,
}

/// `[hash]` of spec/workloads.toml.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashParams {
    /// Connections of the hash groups.
    pub connections: usize,
    /// Work sizes.
    pub sizes: Vec<HashSize>,
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

/// `[mixed]`: the event-loop blocking probe.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixedParams {
    /// Background connections driving /hash.
    pub background_connections: usize,
    /// Rounds per background request.
    pub rounds: u32,
    /// Rate of the recorded probe run.
    pub probe_rate_per_sec: f64,
}

/// The benchmark parameters in `spec/workloads.toml`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadParams {
    /// Hash groups.
    pub hash: HashParams,
    /// Sleep group.
    pub sleep: SleepParams,
    /// Plaintext and json sweep.
    pub sweep: ConnectionList,
    /// json-doc and order.
    pub documents: ConnectionList,
    /// The mixed probe.
    pub mixed: MixedParams,
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
        assert_eq!(params.hash.sizes.len(), 3);
        assert!(
            params
                .hash
                .sizes
                .windows(2)
                .all(|w| w[0].rounds < w[1].rounds)
        );
        assert!(params.sleep.connections.contains(&10_000));
    }

    #[test]
    fn the_order_workload_sends_every_successful_order_vector() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let vectors = crate::vectors::load_vectors(&crate::vectors::spec_dir(&root)).unwrap();
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mix = Workload::Order.requests(addr, &vectors);
        assert!(mix.len() >= 3, "{}", mix.len());
        assert!(
            mix.iter()
                .all(|r| r.bytes.starts_with(b"POST /json/order "))
        );
    }
}
