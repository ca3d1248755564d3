//! A k6 script for a workload: our request templates (the same bodies for the same seed, with
//! the answers the contract demands) embedded as data in `script.js`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

use super::K6Error;
use crate::load::RequestTemplate;
use crate::load::check::ExpectedBody;
use crate::vectors::Vector;
use crate::workload::Workload;

/// The script's code; `__STAMPEDE_CONFIG__` is replaced by the run's data.
const TEMPLATE: &str = include_str!("script.js");
const CONFIG_PLACEHOLDER: &str = "__STAMPEDE_CONFIG__";
const REQUESTS_PLACEHOLDER: &str = "__STAMPEDE_REQUESTS__";

/// What one exported script runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportPlan {
    /// What to send.
    pub workload: Workload,
    /// The server, `http://HOST:PORT` (a path is not allowed: the workload gives the paths).
    pub url: String,
    /// VUs (one keep-alive connection each): closed-loop concurrency, or the open loop's VU pool.
    pub connections: usize,
    /// Constant total rate (open loop); `None` = closed loop.
    pub rate_per_sec: Option<f64>,
    /// How long the load runs.
    pub duration: Duration,
    /// Seed of the body pool.
    pub body_seed: u64,
    /// The server's metrics endpoint (`stampede serve --metrics`), scraped before, during and
    /// after the load.
    pub metrics_url: Option<String>,
}

/// The data the script reads as `STAMPEDE`.
#[derive(Debug, Serialize)]
struct ScriptConfig<'a> {
    workload: String,
    url: &'a str,
    metrics_url: Option<&'a str>,
    connections: usize,
    rate_per_sec: Option<f64>,
    duration: String,
    duration_seconds: f64,
    body_seed: u64,
    /// The distinct statuses the requests expect.
    statuses: Vec<u16>,
    /// Some answer must not come sooner than a given time (`/sleep`).
    has_not_before: bool,
}

/// One request of the mix as the script sends and checks it.
#[derive(Debug, PartialEq, Serialize)]
pub(crate) struct ScriptRequest {
    /// The `name` tag: the path without its query, so k6's metrics stay few.
    name: String,
    method: String,
    path: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: Option<String>,
    status: u16,
    answer: ScriptAnswer,
    not_before_ms: Option<u64>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum ScriptAnswer {
    None,
    Exact { text: String },
    Json { canonical: String },
    HashChain { rounds: u32 },
}

/// Writes the k6 script of `plan`; `vectors` give the GET answers.
pub fn script(plan: &ExportPlan, vectors: &[Vector]) -> Result<String, K6Error> {
    if plan.connections == 0 {
        return Err(K6Error::Plan(
            "--connections must be at least 1 (one k6 VU each)".into(),
        ));
    }
    if let Some(rate) = plan.rate_per_sec
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(K6Error::Plan(format!(
            "--rate {rate} is not a positive number of requests per second"
        )));
    }
    if plan.duration < Duration::from_secs(1) {
        return Err(K6Error::Plan(format!(
            "--duration {:?} is under 1s; k6 needs whole seconds, e.g. --duration 30s",
            plan.duration
        )));
    }
    let url = plan.url.trim_end_matches('/');
    check_base_url(url)?;
    // The templates' Host header is not sent (k6 writes its own): any address renders them.
    let placeholder = SocketAddr::from(([127, 0, 0, 1], 80));
    let requests = plan
        .workload
        .requests_seeded(placeholder, vectors, plan.body_seed)
        .iter()
        .map(script_request)
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let seconds = plan.duration.as_secs();
    let config = ScriptConfig {
        workload: plan.workload.to_string(),
        url,
        metrics_url: plan.metrics_url.as_deref(),
        connections: plan.connections,
        rate_per_sec: plan.rate_per_sec,
        duration: format!("{seconds}s"),
        duration_seconds: seconds as f64,
        body_seed: plan.body_seed,
        statuses,
        has_not_before: requests.iter().any(|r| r.not_before_ms.is_some()),
    };
    Ok(TEMPLATE
        .replacen(CONFIG_PLACEHOLDER, &to_json(&config)?, 1)
        .replacen(REQUESTS_PLACEHOLDER, &to_json(&requests)?, 1))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, K6Error> {
    serde_json::to_string(value).map_err(|e| K6Error::Plan(e.to_string()))
}

fn check_base_url(url: &str) -> Result<(), K6Error> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            K6Error::Plan(format!(
                "--url {url:?} must start with http:// or https://, e.g. http://127.0.0.1:8080"
            ))
        })?;
    if rest.is_empty() || rest.contains('/') {
        return Err(K6Error::Plan(format!(
            "--url {url:?} must be the server's base URL without a path (the workload gives the paths), e.g. http://127.0.0.1:8080"
        )));
    }
    Ok(())
}

/// Reads a rendered template back into method, path, headers and body.
pub(crate) fn script_request(template: &RequestTemplate) -> Result<ScriptRequest, K6Error> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(&template.bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(K6Error::Template("an incomplete HTTP request".into())),
    };
    let (Some(method), Some(path)) = (request.method, request.path) else {
        return Err(K6Error::Template("a request without method or path".into()));
    };
    let mut header_map = serde_json::Map::new();
    for header in request.headers.iter() {
        // k6 writes Host and Content-Length itself.
        if header.name.eq_ignore_ascii_case("host")
            || header.name.eq_ignore_ascii_case("content-length")
        {
            continue;
        }
        let value = String::from_utf8_lossy(header.value).into_owned();
        header_map.insert(header.name.to_owned(), value.into());
    }
    let body_bytes = &template.bytes[head..];
    let body = if body_bytes.is_empty() {
        None
    } else {
        Some(String::from_utf8(body_bytes.to_vec()).map_err(|_| {
            K6Error::Template(format!("{method} {path} has a body that is not UTF-8 text"))
        })?)
    };
    let answer = match &template.answer {
        ExpectedBody::Unchecked => ScriptAnswer::None,
        ExpectedBody::Exact(bytes) => ScriptAnswer::Exact {
            text: String::from_utf8(bytes.clone()).map_err(|_| {
                K6Error::Template(format!(
                    "{method} {path} expects an answer that is not UTF-8"
                ))
            })?,
        },
        ExpectedBody::Json { canonical, .. } => ScriptAnswer::Json {
            canonical: String::from_utf8_lossy(canonical).into_owned(),
        },
        ExpectedBody::HashChain { rounds, .. } => ScriptAnswer::HashChain { rounds: *rounds },
        // Rows and pages that depend on the database as it is during the run: k6 checks their
        // status only; `stampede load` checks their rows.
        ExpectedBody::World { .. } | ExpectedBody::WorldShape(_) | ExpectedBody::Fortunes(_) => {
            ScriptAnswer::None
        }
    };
    Ok(ScriptRequest {
        name: path.split('?').next().unwrap_or(path).to_owned(),
        method: method.to_owned(),
        path: path.to_owned(),
        headers: header_map,
        body,
        status: template.expected_status,
        answer,
        not_before_ms: template.not_before.map(|d| d.as_millis() as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_vectors() -> Vec<Vector> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        crate::vectors::load_vectors(&crate::vectors::spec_dir(&root)).unwrap()
    }

    fn plan(workload: &str) -> ExportPlan {
        ExportPlan {
            workload: workload.parse().unwrap(),
            url: "http://127.0.0.1:8080".into(),
            connections: 8,
            rate_per_sec: None,
            duration: Duration::from_secs(10),
            body_seed: 42,
            metrics_url: None,
        }
    }

    /// The data the script embeds: its config, with the shared requests under `requests`.
    fn embedded(script: &str) -> serde_json::Value {
        let lines: Vec<&str> = script.lines().collect();
        let config = lines
            .iter()
            .find(|l| l.starts_with("const STAMPEDE = "))
            .unwrap()
            .trim_start_matches("const STAMPEDE = ")
            .trim_end_matches(';');
        let shared = lines
            .iter()
            .position(|l| l.contains("new SharedArray('stampede requests'"))
            .unwrap();
        let mut data: serde_json::Value = serde_json::from_str(config).unwrap();
        data["requests"] = serde_json::from_str(lines[shared + 1]).unwrap();
        data
    }

    #[test]
    fn an_order_script_carries_exactly_the_seeded_bodies_and_their_totals() {
        let vectors = repo_vectors();
        let script = script(&plan("order"), &vectors).unwrap();
        let data = embedded(&script);
        let requests = data["requests"].as_array().unwrap();
        let ours = crate::bodies::order_bodies(42);
        assert_eq!(requests.len(), ours.len());
        for (sent, body) in requests.iter().zip(&ours) {
            assert_eq!(
                sent["body"].as_str().unwrap().as_bytes(),
                body.bytes.as_slice()
            );
            assert_eq!(sent["method"], "POST");
            assert_eq!(sent["headers"]["Content-Type"], "application/json");
            let ExpectedBody::Json { canonical, .. } = &body.answer else {
                panic!("order answers are JSON")
            };
            assert_eq!(
                sent["answer"]["canonical"].as_str().unwrap().as_bytes(),
                canonical
            );
        }
        assert_eq!(data["body_seed"], 42);
        assert!(!script.contains(CONFIG_PLACEHOLDER) && !script.contains(REQUESTS_PLACEHOLDER));
        assert_eq!(data["statuses"], serde_json::json!([200]));
        assert_eq!(data["has_not_before"], false);
    }

    #[test]
    fn a_hash_script_asks_for_the_chained_digest_and_a_sleep_script_for_the_wait() {
        let vectors = repo_vectors();
        let data = embedded(&script(&plan("hash:7"), &vectors).unwrap());
        let first = &data["requests"][0];
        assert_eq!(first["path"], "/hash?rounds=7");
        assert_eq!(first["name"], "/hash");
        assert_eq!(
            first["answer"],
            serde_json::json!({"kind": "hash-chain", "rounds": 7})
        );
        let sleep = embedded(&script(&plan("sleep:25"), &vectors).unwrap());
        assert_eq!(sleep["requests"][0]["not_before_ms"], 25);
        assert_eq!(sleep["has_not_before"], true);
        assert_eq!(sleep["requests"][0]["answer"]["text"], "ok");
        let plain = embedded(&script(&plan("plaintext"), &vectors).unwrap());
        assert_eq!(plain["requests"][0]["answer"]["text"], "Hello, World!");
        assert_eq!(plain["requests"][0]["body"], serde_json::Value::Null);
    }

    #[test]
    fn another_seed_gives_other_bodies() {
        let vectors = repo_vectors();
        let a = embedded(&script(&plan("hash:1"), &vectors).unwrap());
        let mut other = plan("hash:1");
        other.body_seed = 43;
        let b = embedded(&script(&other, &vectors).unwrap());
        assert_ne!(a["requests"][0]["body"], b["requests"][0]["body"]);
    }

    #[test]
    fn bad_plans_are_refused_with_the_option_to_fix() {
        let vectors = repo_vectors();
        let mut p = plan("json");
        p.url = "http://127.0.0.1:8080/json".into();
        let err = script(&p, &vectors).unwrap_err().to_string();
        assert!(err.contains("without a path"), "{err}");
        let mut p = plan("json");
        p.rate_per_sec = Some(0.0);
        assert!(
            script(&p, &vectors)
                .unwrap_err()
                .to_string()
                .contains("--rate")
        );
        let mut p = plan("json");
        p.connections = 0;
        assert!(
            script(&p, &vectors)
                .unwrap_err()
                .to_string()
                .contains("--connections")
        );
        let mut p = plan("json");
        p.duration = Duration::from_millis(200);
        assert!(
            script(&p, &vectors)
                .unwrap_err()
                .to_string()
                .contains("--duration")
        );
    }
}
