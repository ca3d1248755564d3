//! The bad-input check of one target: every case played, its answer held against the table,
//! and the target still healthy after each.

use std::net::SocketAddr;

use super::client::{Answer, play};
use super::{BadInputCase, Outcome};
use crate::process::health_ok;

/// Plays every case against `addr`; returns one line per failure (empty when all pass).
/// After each case the target must answer `/healthz`.
pub fn check_all(target: &str, addr: SocketAddr, cases: &[BadInputCase]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        match play(addr, case) {
            Ok(answer) if case.expect.accepts(answer.outcome) => {
                if let Some(problem) = server_header_problem(target, case, &answer) {
                    failures.push(problem);
                }
                if answer.reset_after {
                    failures.push(format!(
                        "`{target}` {}: answered {}, then reset the connection: it closed with \
                         part of the request unread; read or discard the rest first (CONTRACT.md, \
                         \"Errors\")",
                        case.name, answer.outcome
                    ));
                }
            }
            Ok(answer) => failures.push(format!(
                "`{target}` {}: expected {}, got {}",
                case.name,
                case.expect.describe(),
                answer.outcome
            )),
            Err(err) => failures.push(format!(
                "`{target}` {}: the client failed: {err}",
                case.name
            )),
        }
        if !health_ok(addr) {
            failures.push(format!(
                "`{target}` stopped answering GET /healthz after {}",
                case.name
            ));
            break;
        }
    }
    failures
}

/// A status answer names the server, except where the table lists the target under
/// `framework_answers` — and there it must not, or the list (and CONTRACT.md) is out of date.
fn server_header_problem(target: &str, case: &BadInputCase, answer: &Answer) -> Option<String> {
    let Outcome::Status(status) = answer.outcome else {
        return None;
    };
    let named = answer.server.as_deref() == Some(target);
    let listed = case.framework_answers.iter().any(|t| t == target);
    match (named, listed) {
        (false, false) => Some(format!(
            "`{target}` {}: answered {status} with Server {:?}, not {target:?}; if the framework \
             writes this answer before the target's code runs, list `{target}` under \
             `framework_answers` of the case in spec/bad-inputs.json and in CONTRACT.md",
            case.name, answer.server
        )),
        (true, true) => Some(format!(
            "`{target}` {}: answered {status} with `Server: {target}`, but spec/bad-inputs.json \
             lists `{target}` under `framework_answers` for this case: remove it there and in \
             CONTRACT.md",
            case.name
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badinput::BadExpect;

    #[test]
    fn an_answer_must_name_the_server_unless_the_case_lists_the_target() {
        let case = BadInputCase {
            name: "c".into(),
            steps: Vec::new(),
            expect: BadExpect {
                statuses: vec![400],
                or_closed: false,
                or_silent: false,
                no_reset: false,
            },
            framework_answers: vec!["listed".into()],
        };
        let answer = |server: Option<&str>| Answer {
            server: server.map(str::to_owned),
            ..Answer::without_head(Outcome::Status(400))
        };
        assert_eq!(server_header_problem("t", &case, &answer(Some("t"))), None);
        assert!(server_header_problem("t", &case, &answer(None)).is_some());
        assert_eq!(server_header_problem("listed", &case, &answer(None)), None);
        let stale = server_header_problem("listed", &case, &answer(Some("listed")));
        assert!(stale.is_some_and(|m| m.contains("remove it")));
        let closed = Answer::without_head(Outcome::Closed);
        assert_eq!(server_header_problem("t", &case, &closed), None);
    }
}
