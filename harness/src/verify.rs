//! Verify: replays every spec vector against a running target with reqwest (correctness, not
//! speed) and checks the headers every response must carry. No target is measured unverified.
//!
//! Where TechEmpower's verify step is stricter than the contract alone, we apply its rules too
//! (written here, after toolset/test_types/verifications.py in TechEmpower/FrameworkBenchmarks,
//! `verify_headers`): the Content-Type forms it accepts, a Date that is not frozen (it
//! re-requests after 3 s; one request 1.1 s after the first suffices at one-second resolution),
//! and Content-Length or Transfer-Encoding on every answer.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER, TRANSFER_ENCODING};

use crate::vectors::Vector;

/// How far a `Date` header may lie outside the request's own send-to-answer window: the
/// header has one-second resolution and may be cached for a second.
const DATE_TOLERANCE: Duration = Duration::from_secs(2);
/// Two answers at least this far apart must carry different `Date`s (one-second resolution,
/// cached for at most a second).
const DATE_ADVANCE: Duration = Duration::from_millis(1100);

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
    let mut first_date = None;
    for vector in vectors {
        match check_vector(&client, target, base_url, vector) {
            Ok(date) => {
                first_date.get_or_insert((date, Instant::now()));
            }
            Err(detail) => mismatches.push(Mismatch {
                vector: vector.name.clone(),
                endpoint: vector.request.endpoint(),
                detail,
            }),
        }
    }
    let health = still_healthy(&client, base_url);
    if let Err(detail) = &health {
        mismatches.push(Mismatch {
            vector: "after all vectors".into(),
            endpoint: "GET /healthz".into(),
            detail: detail.clone(),
        });
    }
    if let (Ok(()), Some((date, at))) = (health, first_date)
        && first_check_of(target)
        && let Err(detail) = date_advances(&client, base_url, &date, at)
    {
        mismatches.push(Mismatch {
            vector: "Date not frozen".into(),
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

/// True the first time `target` is verified in this process: the frozen-Date check costs up to
/// a second of waiting and the binary does not change between two starts of one run.
fn first_check_of(target: &str) -> bool {
    static CHECKED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    CHECKED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(target.to_owned())
}

/// A request [`DATE_ADVANCE`] after the one that carried `first` must carry another Date.
fn date_advances(
    client: &Client,
    base_url: &str,
    first: &str,
    first_at: Instant,
) -> Result<(), String> {
    std::thread::sleep(DATE_ADVANCE.saturating_sub(first_at.elapsed()));
    let response = client
        .get(format!("{base_url}/healthz"))
        .send()
        .map_err(|e| format!("the target stopped answering: {e}"))?;
    let second = header_text(&response, DATE).ok_or("header Date: missing")?;
    check_date_changed(first, &second)
}

/// Two Dates taken [`DATE_ADVANCE`] apart must differ (TechEmpower: "Invalid Cached Date").
pub fn check_date_changed(first: &str, second: &str) -> Result<(), String> {
    if first == second {
        Err(format!(
            "header Date: {first:?} on two answers {DATE_ADVANCE:?} apart; the Date is frozen \
             (it may be cached for one second at most)"
        ))
    } else {
        Ok(())
    }
}

/// Replays one vector; on success returns the answer's Date header.
fn check_vector(
    client: &Client,
    target: &str,
    base_url: &str,
    vector: &Vector,
) -> Result<String, String> {
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
    let date = check_headers(target, &response, sent_at..=SystemTime::now())?;
    let status = response.status().as_u16();
    let content_type = header_text(&response, CONTENT_TYPE);
    let body = response
        .bytes()
        .map_err(|e| format!("reading the body failed: {e}"))?;
    check_answer(vector, status, content_type.as_deref(), &body)?;
    Ok(date)
}

fn header_text(response: &Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Server: <target>`, a current `Date`, and a framing header on every response (TechEmpower:
/// "Required response size header missing"). Returns the Date.
pub(crate) fn check_headers(
    target: &str,
    response: &Response,
    window: std::ops::RangeInclusive<SystemTime>,
) -> Result<String, String> {
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
    Ok(date)
}

/// A `Date` header must be an IMF-fixdate (RFC 9110 section 5.6.7, TechEmpower's
/// `%a, %d %b %Y %H:%M:%S %Z`; the obsolete RFC 850 and asctime forms are refused) and fall
/// within the time the request took (from sending to the answer), give or take the tolerance.
/// A server busy for seconds on the request itself may send a Date from when it began (Node
/// refreshes its cached Date on its event loop).
pub fn check_date(date: &str, window: &std::ops::RangeInclusive<SystemTime>) -> Result<(), String> {
    let sent = httpdate::parse_http_date(date)
        .map_err(|_| format!("header Date: {date:?} is not an HTTP date"))?;
    if httpdate::fmt_http_date(sent) != date {
        return Err(format!(
            "header Date: {date:?} is not in IMF-fixdate form (e.g. \"Sun, 06 Nov 1994 08:49:37 GMT\")"
        ));
    }
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
    if let Some(want) = &expect.content_type
        && !content_type.is_some_and(|got| content_type_matches(want, got))
    {
        return Err(format!(
            "Content-Type: expected {want:?}, optionally with \"; charset=utf-8\" (TechEmpower's \
             form), got {content_type:?}"
        ));
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

/// TechEmpower's accepted forms: `^<media type>(; ?charset=(UTF|utf)-8)?$` — the media type
/// exactly, then at most a UTF-8 charset parameter with at most one space.
pub fn content_type_matches(media_type: &str, got: &str) -> bool {
    let Some(rest) = got.strip_prefix(media_type) else {
        return false;
    };
    let Some(parameter) = rest.strip_prefix(';') else {
        return rest.is_empty();
    };
    let parameter = parameter.strip_prefix(' ').unwrap_or(parameter);
    matches!(parameter, "charset=UTF-8" | "charset=utf-8")
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
    fn content_types_match_techempowers_forms_only() {
        for good in [
            "application/json",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
        ] {
            assert!(content_type_matches("application/json", good), "{good}");
        }
        for bad in [
            "application/json ",
            "application/json;  charset=utf-8",
            "application/json; charset=latin-1",
            "application/json; charset=utf-8; q=1",
            "Application/JSON",
            "application/jsonx",
            "text/plain",
        ] {
            assert!(!content_type_matches("application/json", bad), "{bad}");
        }
    }

    #[test]
    fn a_charset_other_than_utf8_fails_the_vector() {
        let v = vector(text(200, "ok"));
        let err = check_answer(&v, 200, Some("text/plain; charset=iso-8859-1"), b"ok").unwrap_err();
        assert!(err.contains("Content-Type"), "{err}");
    }

    #[test]
    fn a_date_in_an_obsolete_form_is_rejected() {
        // RFC 9110's example instant, Sun, 06 Nov 1994 08:49:37 GMT.
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let window = at..=at;
        assert!(check_date("Sun, 06 Nov 1994 08:49:37 GMT", &window).is_ok());
        for obsolete in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            let err = check_date(obsolete, &window).unwrap_err();
            assert!(err.contains("IMF-fixdate"), "{obsolete}: {err}");
        }
    }

    #[test]
    fn a_date_that_follows_the_clock_passes_the_frozen_date_check_against_the_mock() {
        let mock = crate::mock::MockServer::start(crate::mock::MockBehavior::default())
            .expect("the mock starts");
        let client = Client::new();
        let first = client
            .get(format!("{}/healthz", mock.base_url()))
            .send()
            .expect("the mock answers");
        let date = header_text(&first, DATE).expect("the mock sends a Date");
        assert_eq!(
            date_advances(&client, &mock.base_url(), &date, Instant::now()),
            Ok(())
        );
    }

    #[test]
    fn the_same_date_twice_is_a_frozen_date() {
        let a = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert!(check_date_changed(a, a).is_err_and(|e| e.contains("frozen")));
        assert!(check_date_changed(a, "Sun, 06 Nov 1994 08:49:38 GMT").is_ok());
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
