//! Verify: replays every spec vector against a running target with reqwest (correctness, not
//! speed) and checks the headers every response must carry. No target is measured unverified.

use std::time::{Duration, SystemTime};

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER, TRANSFER_ENCODING};

use crate::vectors::Vector;

/// How far a `Date` header may lie outside the request's own send-to-answer window: the
/// header has one-second resolution and may be cached for a second.
const DATE_TOLERANCE: Duration = Duration::from_secs(2);

/// One way a target's answer differs from the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The vector's name.
    pub vector: String,
    /// `METHOD /path`.
    pub endpoint: String,
    /// What differs, with expected and got.
    pub detail: String,
}

/// Errors of the verify step.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The HTTP client could not be built.
    #[error("verify: cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    /// The target answered wrongly.
    #[error("`{target}` failed verification on {} of {total} vectors:\n{}", mismatches.len(), render(mismatches))]
    Mismatches {
        /// The target.
        target: String,
        /// Vectors replayed.
        total: usize,
        /// What differed.
        mismatches: Vec<Mismatch>,
    },
}

fn render(mismatches: &[Mismatch]) -> String {
    mismatches
        .iter()
        .map(|m| format!("  {} ({}): {}", m.endpoint, m.vector, m.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replays `vectors` against `base_url` and checks that `target` answers each as the spec says,
/// then that it is still healthy. Returns the number of vectors that passed.
pub fn verify(target: &str, base_url: &str, vectors: &[Vector]) -> Result<usize, VerifyError> {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(VerifyError::Client)?;
    let mut mismatches = Vec::new();
    for vector in vectors {
        if let Err(detail) = check_vector(&client, target, base_url, vector) {
            mismatches.push(Mismatch {
                vector: vector.name.clone(),
                endpoint: vector.request.endpoint(),
                detail,
            });
        }
    }
    if let Err(detail) = still_healthy(&client, base_url) {
        mismatches.push(Mismatch {
            vector: "after all vectors".into(),
            endpoint: "GET /healthz".into(),
            detail,
        });
    }
    if mismatches.is_empty() {
        Ok(vectors.len())
    } else {
        Err(VerifyError::Mismatches {
            target: target.to_owned(),
            total: vectors.len(),
            mismatches,
        })
    }
}

fn still_healthy(client: &Client, base_url: &str) -> Result<(), String> {
    let response = client
        .get(format!("{base_url}/healthz"))
        .send()
        .map_err(|e| format!("the target stopped answering: {e}"))?;
    if response.status() == 200 {
        Ok(())
    } else {
        Err(format!("expected 200, got {}", response.status().as_u16()))
    }
}

fn check_vector(
    client: &Client,
    target: &str,
    base_url: &str,
    vector: &Vector,
) -> Result<(), String> {
    let request = &vector.request;
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("bad method {:?} in the spec", request.method))?;
    let mut builder = client.request(method, format!("{base_url}{}", request.path));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if request.has_body() {
        builder = builder.body(request.body_bytes());
    }
    let sent_at = SystemTime::now();
    let response = builder.send().map_err(|e| format!("request failed: {e}"))?;
    check_headers(target, &response, sent_at..=SystemTime::now())?;
    let status = response.status().as_u16();
    let content_type = header_text(&response, CONTENT_TYPE);
    let body = response
        .bytes()
        .map_err(|e| format!("reading the body failed: {e}"))?;
    check_answer(vector, status, content_type.as_deref(), &body)
}

fn header_text(response: &Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Server: <target>`, a current `Date`, and a framing header on every response.
fn check_headers(
    target: &str,
    response: &Response,
    window: std::ops::RangeInclusive<SystemTime>,
) -> Result<(), String> {
    match header_text(response, SERVER) {
        Some(server) if server == target => {}
        other => return Err(format!("header Server: expected {target:?}, got {other:?}")),
    }
    let date = header_text(response, DATE).ok_or("header Date: missing")?;
    check_date(&date, &window)?;
    let framed = response.headers().contains_key(CONTENT_LENGTH)
        || response.headers().contains_key(TRANSFER_ENCODING);
    if !framed {
        return Err("neither Content-Length nor Transfer-Encoding is set".into());
    }
    Ok(())
}

/// A `Date` header must parse and fall within the time the request took (from sending to the
/// answer), give or take the tolerance. A server busy for seconds on the request itself may
/// send a Date from when it began (Node refreshes its cached Date on its event loop).
pub fn check_date(date: &str, window: &std::ops::RangeInclusive<SystemTime>) -> Result<(), String> {
    let sent = httpdate::parse_http_date(date)
        .map_err(|_| format!("header Date: {date:?} is not an HTTP date"))?;
    let earliest = *window.start() - DATE_TOLERANCE;
    let latest = *window.end() + DATE_TOLERANCE;
    if sent < earliest || sent > latest {
        let now = *window.end();
        let skew = now
            .duration_since(sent)
            .or_else(|_| sent.duration_since(now))
            .unwrap_or_default();
        return Err(format!(
            "header Date: {date:?} is {skew:?} away from this machine's clock, outside the request's time"
        ));
    }
    Ok(())
}

/// Compares status, media type and body with the vector's expectation.
pub fn check_answer(
    vector: &Vector,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let expect = &vector.expect;
    if status != expect.status {
        return Err(format!(
            "status: expected {}, got {status} (body {:?})",
            expect.status,
            preview(body)
        ));
    }
    if let Some(want) = &expect.content_type {
        let got = content_type.map(|c| c.split(';').next().unwrap_or("").trim());
        if got.map(str::to_ascii_lowercase).as_deref() != Some(want.as_str()) {
            return Err(format!(
                "Content-Type: expected {want:?}, got {content_type:?}"
            ));
        }
    }
    if let Some(want) = &expect.body
        && body != want.as_bytes()
    {
        return Err(format!(
            "body: expected {:?}, got {:?}",
            preview(want.as_bytes()),
            preview(body)
        ));
    }
    if let Some(want) = &expect.json {
        let got: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("body is not JSON ({e}): {:?}", preview(body)))?;
        if &got != want {
            return Err(format!("JSON body: expected {want}, got {got}"));
        }
    }
    Ok(())
}

fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]).into_owned();
    if body.len() > MAX {
        format!("{text}... ({} bytes)", body.len())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{Expectation, VectorRequest};

    fn vector(expect: Expectation) -> Vector {
        Vector {
            name: "v".into(),
            request: VectorRequest {
                method: "GET".into(),
                path: "/plaintext".into(),
                headers: Default::default(),
                body: None,
                body_repeat: None,
            },
            expect,
        }
    }

    fn text(status: u16, body: &str) -> Expectation {
        Expectation {
            status,
            content_type: Some("text/plain".into()),
            body: Some(body.into()),
            json: None,
            json_file: None,
        }
    }

    #[test]
    fn a_wrong_body_names_expected_and_got() {
        let v = vector(text(200, "Hello, World!"));
        let err = check_answer(&v, 200, Some("text/plain"), b"Hello").unwrap_err();
        assert!(
            err.contains("\"Hello, World!\"") && err.contains("\"Hello\""),
            "{err}"
        );
    }

    #[test]
    fn a_charset_parameter_does_not_change_the_media_type() {
        let v = vector(text(200, "ok"));
        assert!(check_answer(&v, 200, Some("text/plain; charset=utf-8"), b"ok").is_ok());
        let err = check_answer(&v, 200, Some("text/html"), b"ok").unwrap_err();
        assert!(err.contains("Content-Type"), "{err}");
    }

    #[test]
    fn json_bodies_compare_by_value_not_by_bytes() {
        let v = vector(Expectation {
            status: 200,
            content_type: None,
            body: None,
            json: Some(serde_json::json!({"a": 1, "b": [true]})),
            json_file: None,
        });
        assert!(check_answer(&v, 200, None, br#"{ "b":[true],"a":1 }"#).is_ok());
        assert!(check_answer(&v, 200, None, br#"{"a":2,"b":[true]}"#).is_err());
        assert!(check_answer(&v, 200, None, b"not json").is_err());
    }

    #[test]
    fn a_wrong_status_is_reported_with_the_body() {
        let v = vector(text(405, ""));
        let err = check_answer(&v, 404, None, b"nope").unwrap_err();
        assert!(
            err.contains("expected 405, got 404") && err.contains("nope"),
            "{err}"
        );
    }

    #[test]
    fn dates_outside_the_request_window_or_unparseable_are_rejected() {
        let now = SystemTime::now();
        let window = now..=now;
        assert!(check_date(&httpdate::fmt_http_date(now), &window).is_ok());
        let old = now - Duration::from_secs(3600);
        assert!(check_date(&httpdate::fmt_http_date(old), &window).is_err());
        assert!(check_date("yesterday", &window).is_err());
    }

    #[test]
    fn a_slow_request_may_carry_the_date_of_when_it_began() {
        let began = SystemTime::now() - Duration::from_secs(7);
        let window = began..=SystemTime::now();
        assert!(check_date(&httpdate::fmt_http_date(began), &window).is_ok());
        let before = began - Duration::from_secs(10);
        assert!(check_date(&httpdate::fmt_http_date(before), &window).is_err());
    }
}
