//! Plays the probe table against a running server, one fresh connection per probe, and checks
//! after each that the server still answers `/healthz`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::badinput::{Outcome, converse};
use crate::process::health_ok;

use super::follow::what_follows;
use super::{Level, Observed, Owner, Probe, Verdict};

/// How long a probe waits for an answer (every probe's request is complete and small).
const ANSWER_WAIT: Duration = Duration::from_secs(2);
/// How long a probe that allows silence waits, and how long it waits for a close.
const QUIET_WAIT: Duration = Duration::from_secs(1);

/// One probe's result on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The probe's name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// `MUST` or `SHOULD`.
    pub level: Level,
    /// `RFC 9112 §6.1`.
    pub rfc: String,
    /// The score.
    pub verdict: Verdict,
    /// Whose behaviour it is in this target.
    pub owner: Owner,
    /// What the server did, e.g. `status 200, then answered the next bytes with 200`.
    pub observed: String,
    /// What passes, e.g. `400 or a close, then close`.
    pub expected: String,
}

/// Plays every probe against `addr` (the server of `target`). Stops early, with the reason,
/// when the server stops answering `/healthz`.
pub fn probe_target(
    target: &str,
    addr: SocketAddr,
    probes: &[Probe],
) -> (Vec<ProbeResult>, Option<String>) {
    let mut results = Vec::with_capacity(probes.len());
    for probe in probes {
        let observed = match observe(addr, probe) {
            Ok(observed) => observed,
            // A client that cannot send its request saw the server close on it.
            Err(_) => Observed {
                outcome: Outcome::Closed,
                headers: Vec::new(),
                after: None,
            },
        };
        results.push(ProbeResult {
            name: probe.name.clone(),
            group: probe.group.clone(),
            level: probe.level,
            rfc: probe.rfc.clone(),
            verdict: probe.judge(&observed),
            owner: probe.owner_in(target),
            observed: observed.describe(),
            expected: probe.pass.describe(),
        });
        if !health_ok(addr) {
            let why = format!(
                "`{target}` stopped answering GET /healthz after probe {}; the probes after it \
                 did not run",
                probe.name
            );
            return (results, Some(why));
        }
    }
    (results, None)
}

/// Plays one probe and reads what follows its answer when the probe asks.
pub fn observe(addr: SocketAddr, probe: &Probe) -> std::io::Result<Observed> {
    let silent_ok = probe.pass.or_silent || probe.lenient.as_ref().is_some_and(|l| l.or_silent);
    let wait = if silent_ok { QUIET_WAIT } else { ANSWER_WAIT };
    let mut conversation = converse(addr, &probe.steps, wait)?;
    let after = if probe.looks_after() && conversation.answer.head_end > 0 {
        Some(what_follows(&mut conversation, QUIET_WAIT)?)
    } else {
        None
    };
    let answer = &conversation.answer;
    Ok(Observed {
        outcome: answer.outcome,
        headers: answer.headers.iter().map(|(n, _)| n.clone()).collect(),
        after,
    })
}

/// Plays `probes` against the server of `target` at `addr` and returns its record, stamped
/// with the commit of the workspace at `root`.
pub fn record_target(
    target: &str,
    framework: &str,
    root: &std::path::Path,
    addr: SocketAddr,
    probes: &[Probe],
) -> super::record::StrictnessRecord {
    let (results, stopped) = probe_target(target, addr, probes);
    super::record::StrictnessRecord {
        schema_version: super::record::RECORD_SCHEMA,
        target: target.to_owned(),
        framework: framework.to_owned(),
        git_commit: crate::evidence::Commit::detect(root).to_string(),
        time: crate::evidence::rfc3339_utc(std::time::SystemTime::now()),
        probes: results,
        stopped,
    }
}
