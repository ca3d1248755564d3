//! Strictness: the RFC 9110/9112 probe table (`spec/rfc-probes.json`) played on raw sockets
//! against a target, each probe scored pass, lenient or fail at its RFC level. The probes reuse
//! the bad-input machinery ([`crate::badinput`]): the same steps, the same client.
//!
//! Data path: [`load_probes`] -> [`run::probe_target`] (one [`ProbeResult`] per probe, what
//! followed the answer read by [`follow`]) -> [`record::StrictnessRecord`] (JSON under
//! `target/stampede/conformance/`, read back by the summary's Strictness column).

pub mod follow;
pub mod record;
pub mod run;
pub mod targets;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::badinput::{Outcome, Step};
use crate::vectors::SpecError;

/// The file of the probe table in the spec folder.
pub const PROBES_FILE: &str = "rfc-probes.json";

/// The RFC keyword a probe checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub enum Level {
    /// An absolute requirement.
    #[serde(rename = "MUST")]
    Must,
    /// A recommendation.
    #[serde(rename = "SHOULD")]
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
        }
    }
}

/// Whose code decides the answer to a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The framework's HTTP parser, before any code of the target runs.
    Framework,
    /// The target's own code (middleware, routes), except in the targets listed under
    /// `framework_in`, whose framework answers first.
    Target,
}

/// A set of outcomes: a first answer with one of `statuses` (and the headers named in
/// `headers`), or a close, or silence; with `then_close`, nothing may follow the answer but a
/// close — no second answer, no connection left open.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    /// Acceptable status codes of the first final answer.
    #[serde(default)]
    pub statuses: Vec<u16>,
    /// Headers (lowercase names) the answer must carry.
    #[serde(default)]
    pub headers: Vec<String>,
    /// A closed connection without an answer.
    #[serde(default)]
    pub or_closed: bool,
    /// No answer within the timeout.
    #[serde(default)]
    pub or_silent: bool,
    /// After the answer the server closes, answering nothing that followed it.
    #[serde(default)]
    pub then_close: bool,
}

/// What followed the first answer on the connection, when a probe looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum After {
    /// The server closed (or reset) the connection.
    Closed,
    /// It answered again: the bytes after the first message were taken as a second request.
    Answered(u16),
    /// It kept the connection open and said nothing more.
    Open,
}

/// What a server did with one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The first final answer, a close, or silence.
    pub outcome: Outcome,
    /// Header names of the first answer (lowercase).
    pub headers: Vec<String>,
    /// What followed; looked for only by probes whose outcomes ask for `then_close`.
    pub after: Option<After>,
}

impl Observed {
    /// `status 400, then closed`.
    pub fn describe(&self) -> String {
        let after = match self.after {
            None => String::new(),
            Some(After::Closed) => ", then closed".into(),
            Some(After::Answered(s)) => format!(", then answered the next bytes with {s}"),
            Some(After::Open) => ", then kept the connection open".into(),
        };
        format!("{}{after}", self.outcome)
    }
}

impl Outcomes {
    /// True when `observed` is one of these outcomes.
    pub fn accepts(&self, observed: &Observed) -> bool {
        match observed.outcome {
            Outcome::Status(status) => {
                self.statuses.contains(&status)
                    && self.headers.iter().all(|h| observed.headers.contains(h))
                    && (!self.then_close || observed.after == Some(After::Closed))
            }
            Outcome::Closed => self.or_closed,
            Outcome::Silent => self.or_silent,
        }
    }

    /// `status 400 or a closed connection, then closed`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.statuses.iter().map(|s| format!("{s}")).collect();
        if !self.headers.is_empty() {
            if let Some(last) = parts.last_mut() {
                last.push_str(&format!(" with {}", self.headers.join(", ")));
            }
        }
        if self.or_closed {
            parts.push("a close".into());
        }
        if self.or_silent {
            parts.push("no answer".into());
        }
        let mut text = parts.join(" or ");
        if self.then_close {
            text.push_str(", then close");
        }
        text
    }
}

/// One probe of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Unique name.
    pub name: String,
    /// Group in the table: request-line, fields, host, content-length, transfer-encoding,
    /// chunked, method.
    pub group: String,
    /// The RFC keyword of the requirement.
    pub level: Level,
    /// Where it is written: `RFC 9112 §6.1`.
    pub rfc: String,
    /// The requirement, close to the RFC's words.
    pub requirement: String,
    /// What the client sends, in order.
    pub steps: Vec<Step>,
    /// What a compliant, strict server does.
    pub pass: Outcomes,
    /// What the RFC allows too but is the laxer choice (e.g. replacing obs-fold with a space
    /// instead of rejecting it); anything else fails.
    #[serde(default)]
    pub lenient: Option<Outcomes>,
    /// Whose code decides the answer.
    pub owner: Owner,
    /// With owner `target`: targets whose framework answers this probe before their code runs.
    #[serde(default)]
    pub framework_in: Vec<String>,
}

impl Probe {
    /// Whose behaviour this probe sees in `target`.
    pub fn owner_in(&self, target: &str) -> Owner {
        match self.owner {
            Owner::Target if self.framework_in.iter().any(|t| t == target) => Owner::Framework,
            owner => owner,
        }
    }

    /// True when the probe must look at what follows the first answer.
    pub fn looks_after(&self) -> bool {
        self.pass.then_close || self.lenient.as_ref().is_some_and(|l| l.then_close)
    }
}

/// A probe's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The strict, compliant outcome.
    Pass,
    /// An outcome the RFC allows but the laxer one.
    Lenient,
    /// Not what the RFC allows.
    Fail,
}

impl Verdict {
    /// `pass`, `lenient` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Lenient => "lenient",
            Self::Fail => "fail",
        }
    }
}

impl Probe {
    /// Scores what a server did.
    pub fn judge(&self, observed: &Observed) -> Verdict {
        if self.pass.accepts(observed) {
            Verdict::Pass
        } else if self.lenient.as_ref().is_some_and(|l| l.accepts(observed)) {
            Verdict::Lenient
        } else {
            Verdict::Fail
        }
    }
}

#[derive(Debug, Deserialize)]
struct ProbeFile {
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    about: String,
    probes: Vec<Probe>,
}

/// Loads the probe table from the spec folder; names must be unique.
pub fn load_probes(spec_dir: &Path) -> Result<Vec<Probe>, SpecError> {
    let path = spec_dir.join(PROBES_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| SpecError::Read {
        path: path.clone(),
        source,
    })?;
    let file: ProbeFile = serde_json::from_str(&text).map_err(|source| SpecError::Parse {
        path: path.clone(),
        source,
    })?;
    let mut names = std::collections::BTreeSet::new();
    for probe in &file.probes {
        let why = if !names.insert(probe.name.as_str()) {
            Some("the name is used twice; names must be unique")
        } else if probe.owner == Owner::Framework && !probe.framework_in.is_empty() {
            Some("`framework_in` lists targets, but the owner is already `framework` everywhere")
        } else if probe.pass.statuses.is_empty() && !probe.pass.or_closed {
            Some("`pass` accepts nothing: give statuses or or_closed")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(SpecError::Invalid {
                path,
                name: probe.name.clone(),
                why: why.into(),
            });
        }
    }
    Ok(file.probes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(outcome: Outcome, after: Option<After>) -> Observed {
        Observed {
            outcome,
            headers: vec!["allow".into()],
            after,
        }
    }

    #[test]
    fn the_repository_table_loads_and_covers_every_group_the_issue_names() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let probes = load_probes(&crate::vectors::spec_dir(&root)).unwrap();
        for group in [
            "request-line",
            "fields",
            "host",
            "content-length",
            "transfer-encoding",
            "chunked",
        ] {
            assert!(probes.iter().any(|p| p.group == group), "{group}");
        }
        assert!(
            probes
                .iter()
                .any(|p| p.pass.then_close && p.group == "transfer-encoding")
        );
        assert!(probes.iter().all(|p| p.rfc.starts_with("RFC 911")));
    }

    #[test]
    fn a_table_with_a_name_twice_or_a_pass_that_accepts_nothing_is_refused_with_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let probe = |name: &str, pass: &str| {
            format!(
                r#"{{"name": "{name}", "group": "g", "level": "MUST", "rfc": "RFC 9112 §3",
                "requirement": "", "steps": [], "pass": {pass}, "owner": "framework"}}"#
            )
        };
        let write = |probes: &[String]| {
            let text = format!(
                r#"{{"version": 1, "about": "", "probes": [{}]}}"#,
                probes.join(",")
            );
            std::fs::write(dir.path().join(PROBES_FILE), text).unwrap();
            load_probes(dir.path()).unwrap_err().to_string()
        };
        let twice = write(&[
            probe("a", r#"{"statuses": [400]}"#),
            probe("a", r#"{"statuses": [400]}"#),
        ]);
        assert!(
            twice.contains("`a`") && twice.contains("used twice"),
            "{twice}"
        );
        let nothing = write(&[probe("b", "{}")]);
        assert!(nothing.contains("accepts nothing"), "{nothing}");
    }

    #[test]
    fn a_desync_probe_passes_only_when_the_server_closes_after_its_answer() {
        let probe = Outcomes {
            statuses: vec![200, 400],
            or_closed: true,
            then_close: true,
            ..Outcomes::default()
        };
        assert!(probe.accepts(&observed(Outcome::Status(200), Some(After::Closed))));
        assert!(probe.accepts(&observed(Outcome::Closed, None)));
        assert!(!probe.accepts(&observed(Outcome::Status(200), Some(After::Answered(200)))));
        assert!(!probe.accepts(&observed(Outcome::Status(400), Some(After::Open))));
    }

    #[test]
    fn a_required_header_must_be_in_the_answer() {
        let outcomes = Outcomes {
            statuses: vec![200],
            headers: vec!["allow".into()],
            ..Outcomes::default()
        };
        assert!(outcomes.accepts(&observed(Outcome::Status(200), None)));
        let bare = Observed {
            headers: Vec::new(),
            ..observed(Outcome::Status(200), None)
        };
        assert!(!outcomes.accepts(&bare));
        assert_eq!(outcomes.describe(), "200 with allow");
    }

    #[test]
    fn the_lenient_outcomes_score_between_pass_and_fail() {
        let probe = Probe {
            name: "obs-fold".into(),
            group: "fields".into(),
            level: Level::Must,
            rfc: "RFC 9112 §5.2".into(),
            requirement: String::new(),
            steps: Vec::new(),
            pass: Outcomes {
                statuses: vec![400],
                or_closed: true,
                ..Outcomes::default()
            },
            lenient: Some(Outcomes {
                statuses: vec![200],
                ..Outcomes::default()
            }),
            owner: Owner::Target,
            framework_in: vec!["gin".into()],
        };
        assert_eq!(
            probe.judge(&observed(Outcome::Status(400), None)),
            Verdict::Pass
        );
        assert_eq!(probe.judge(&observed(Outcome::Closed, None)), Verdict::Pass);
        assert_eq!(
            probe.judge(&observed(Outcome::Status(200), None)),
            Verdict::Lenient
        );
        assert_eq!(
            probe.judge(&observed(Outcome::Status(404), None)),
            Verdict::Fail
        );
        assert_eq!(probe.owner_in("gin"), Owner::Framework);
        assert_eq!(probe.owner_in("axum"), Owner::Target);
    }
}
