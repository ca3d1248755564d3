use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use super::*;
use crate::benchmark_id::BenchmarkId;
use crate::load::check::ExpectedBody;

fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn repo_spec() -> WorkloadSpec {
    WorkloadSpec::load(&crate::vectors::spec_dir(&repo_root())).unwrap()
}

fn repo_vectors() -> Vec<Vector> {
    crate::vectors::load_vectors(&crate::vectors::spec_dir(&repo_root())).unwrap()
}

fn addr() -> SocketAddr {
    "127.0.0.1:9".parse().unwrap()
}

/// A spec of `workloads` entries after a small `[open_loop]`.
fn spec_of(workloads: &str) -> Result<WorkloadSpec, WorkloadSpecError> {
    let text = format!(
        "[open_loop]\nfractions = [0.5]\nsamples_goal = 100\np99_samples_goal = 25\nmin_seconds = 1.0\nmax_seconds = 2.0\n{workloads}"
    );
    WorkloadSpec::parse(&text, Path::new("workloads.toml"))
}

const PLAIN: &str = r#"
[[workloads]]
name = "plain"
about = "a text"
method = "GET"
path = "/plaintext"
"#;

#[test]
fn names_round_trip_and_parameters_default_to_the_specs() {
    let spec = repo_spec();
    for name in [
        "plaintext",
        "json",
        "json-doc",
        "order",
        "hash:5",
        "hash-offload:7",
        "sleep:3",
    ] {
        assert_eq!(spec.workload(name).unwrap().to_string(), name);
        assert_eq!(name.parse::<Workload>().unwrap().to_string(), name);
    }
    assert_eq!(spec.workload("hash").unwrap().to_string(), "hash:1000");
    assert_eq!(spec.workload("sleep").unwrap().param(), Some(10));
    assert_eq!(spec.workload("json").unwrap().param(), None);
}

#[test]
fn unknown_names_and_stray_parameters_are_rejected_with_the_known_list() {
    for bad in ["nope", "json:3", "hash:x", ""] {
        let err = bad.parse::<Workload>().unwrap_err().to_string();
        assert!(
            err.contains("plaintext, json") && err.contains("hash[:ROUNDS]"),
            "{err}"
        );
    }
}

#[test]
fn the_repository_groups_keep_their_ids_sampling_and_extras() {
    let spec = repo_spec();
    let group = |name: &str| spec.groups().iter().find(|g| g.name == name).unwrap();
    let ids =
        |name: &str| -> Vec<String> { group(name).cases.iter().map(|c| c.id.clone()).collect() };
    assert_eq!(ids("plaintext"), ["c1", "c16", "c64", "c256", "c1024"]);
    assert_eq!(ids("json"), ids("plaintext"));
    assert_eq!(ids("hash"), ["r1k", "r19k", "r98k"]);
    assert_eq!(ids("hash-offload"), ["r1k", "r19k", "r98k"]);
    assert_eq!(ids("mixed"), ["hash-inline", "hash-offload"]);
    assert_eq!(ids("plaintext-pipelined"), ["c256", "c1024"]);
    assert!(ids("sleep").contains(&"c10000".to_owned()));
    assert_eq!(ids("queries"), ["q1", "q5", "q10", "q20"]);
    assert_eq!(ids("updates"), ["q1", "q5", "q10", "q20"]);
    for (name, sampling) in [
        ("plaintext", Sampling::Light),
        ("order", Sampling::Light),
        ("hash", Sampling::Heavy),
        ("mixed", Sampling::Heavy),
        ("sleep", Sampling::Heavy),
        ("db", Sampling::Light),
        ("queries", Sampling::Heavy),
        ("updates", Sampling::Light),
    ] {
        assert_eq!(group(name).sampling, sampling, "{name}");
    }
    let pipelined = &group("plaintext-pipelined").cases[0];
    assert_eq!(
        (pipelined.pipeline, pipelined.workload.name()),
        (16, "plaintext")
    );
    let hash = &group("hash").cases[1];
    assert_eq!(
        (hash.workload.to_string(), hash.connections),
        ("hash:19000".into(), 16)
    );
    let inline = &group("mixed").cases[0];
    let background = inline.background.as_ref().unwrap();
    assert_eq!(inline.workload.name(), "plaintext");
    assert_eq!(background.workload.to_string(), "hash:19000");
    assert_eq!((inline.connections, background.connections), (1, 16));
    let id = |text: &str| text.parse::<BenchmarkId>().unwrap();
    let tailed: Vec<(BenchmarkId, Vec<f64>)> = spec
        .groups()
        .iter()
        .flat_map(|g| {
            g.cases.iter().filter_map(move |c| {
                let tail = c.tail.as_ref()?;
                assert!(tail.common_rate_per_sec > 0.0);
                Some((g.benchmark_id("T", c).unwrap(), tail.fractions.clone()))
            })
        })
        .collect();
    assert_eq!(
        tailed,
        [
            (id("json/T/c256"), vec![0.5, 0.8]),
            // their claims and the summary read only the common rate
            (id("json-doc/T/c64"), vec![]),
            (id("hash-offload/T/r19k"), vec![]),
            (id("db/T/c256"), vec![]),
            (id("fortunes/T/c256"), vec![]),
        ]
    );
}

#[test]
fn only_the_soak_group_waits_to_be_asked_and_every_case_of_it_soaks() {
    let spec = repo_spec();
    let asked: Vec<&str> = spec
        .groups()
        .iter()
        .filter(|g| g.on_request)
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(asked, ["soak"]);
    for group in spec.groups() {
        for case in &group.cases {
            assert_eq!(case.soak.is_some(), group.on_request, "{}", group.name);
        }
    }
    let soak = spec.groups().iter().find(|g| g.name == "soak").unwrap();
    let case = &soak.cases[0];
    let settings = case.soak.as_ref().unwrap();
    assert_eq!(case.workload.name(), "json");
    assert!(settings.fraction > 0.0 && settings.fraction < 1.0);
    assert_eq!(settings.every, std::time::Duration::from_secs(1));
    assert!(settings.length >= std::time::Duration::from_secs(600));
}

#[test]
fn an_open_loop_aims_at_a_p999_where_its_time_limit_allows_and_else_at_a_p99() {
    let settings = repo_spec().open_loop;
    let samples = |rate: f64| settings.seconds_at(rate) * rate;
    // 5,000/s: 10,000 samples in 2 s, a p99.9 with 10 beyond it.
    assert!((samples(5_000.0) - 10_000.0).abs() < 1.0);
    // 2,000/s: 10,000 would take 5 s, over the limit; 2,500 for the p99 instead.
    assert!((samples(2_000.0) - 2_500.0).abs() < 1.0);
    // 300/s: even the p99's goal is over the limit, which then bounds the run.
    assert!((settings.seconds_at(300.0) - settings.max_seconds).abs() < 1e-9);
    // Fast rates still run the shortest time.
    assert!((settings.seconds_at(1e6) - settings.min_seconds).abs() < 1e-9);
}

#[test]
fn benchmark_ids_run_group_by_group_then_target_by_target() {
    let spec = repo_spec();
    let ids = spec.benchmark_ids(&["a".into(), "b".into()]).unwrap();
    assert_eq!(ids[0], "plaintext/a/c1");
    assert_eq!(ids[5], "plaintext/b/c1");
    let per_target: usize = spec.groups().iter().map(|g| g.cases.len()).sum();
    assert_eq!(ids.len(), 2 * per_target);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    assert_eq!(spec.group_names()[0], "plaintext");
}

#[test]
fn every_repository_workload_has_a_success_vector_to_verify_its_handlers_with() {
    let missing = repo_spec().unanswered(&repo_vectors());
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn a_workload_without_a_success_vector_is_named_with_the_fix() {
    let spec = spec_of(
        r#"
[[workloads]]
name = "brew"
about = "a teapot"
method = "GET"
path = "/brew?cups={cups}"
param = { name = "cups", default = 1 }
answer = "route"
"#,
    )
    .unwrap();
    let missing = spec.unanswered(&repo_vectors());
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("`brew`") && missing[0].contains("GET /brew"),
        "{}",
        missing[0]
    );
    assert!(missing[0].contains("gen_vectors.py"), "{}", missing[0]);
}

#[test]
fn mistakes_in_the_spec_fail_naming_the_entry() {
    let cases = [
        (
            format!("{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1, 1]\n"),
            "twice",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1]\n  id = \"{{rounds}}\"\n"
            ),
            "{rounds}",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1]\n  params = [1]\n"
            ),
            "takes no parameter",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1]\n  tails = [{{ id = \"c2\", common_rate_per_sec = 1 }}]\n"
            ),
            "not a case",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  workload = \"nope\"\n  connections = [1]\n"
            ),
            "unknown workload",
        ),
        (format!("{PLAIN}{PLAIN}"), "a second entry"),
        (
            PLAIN.replace(
                "path = \"/plaintext\"",
                "path = \"/x?n={n}\"\nparam = { name = \"n\", default = 1 }",
            ),
            "answer = \"route\"",
        ),
        (
            PLAIN.replace("method", "body = \"hash\"\nmethod"),
            "needs a `param`",
        ),
        (
            PLAIN.replace(
                "path = \"/plaintext\"",
                "path = \"/x?n={m}\"\nparam = { name = \"n\", default = 1 }\nanswer = \"route\"",
            ),
            "must hold `{n}`",
        ),
        (
            PLAIN.replace("about", "colour = \"red\"\nabout"),
            "unknown field",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1]\n  soak = {{ fraction = 1.5, minutes = 1 }}\n"
            ),
            "`soak.fraction`",
        ),
        (
            format!(
                "{PLAIN}  [[workloads.groups]]\n  name = \"g\"\n  connections = [1]\n  soak = {{ fraction = 0.5, minutes = 0 }}\n"
            ),
            "positive `minutes`",
        ),
    ];
    for (text, expected) in cases {
        let err = spec_of(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected:?} not in: {err}");
        assert!(err.contains("workloads.toml"), "{err}");
    }
}

#[test]
fn parameter_ids_name_thousands_when_whole_and_default_to_name_and_number() {
    let spec = repo_spec();
    let hash = spec.workload("hash:19000").unwrap();
    assert_eq!(hash.param_label().as_deref(), Some("r19k"));
    assert_eq!(
        hash.with_param(Some(1500)).param_label().as_deref(),
        Some("r1500")
    );
    assert_eq!(
        spec.workload("sleep:10").unwrap().param_label().as_deref(),
        Some("ms10")
    );
    assert_eq!(spec.workload("json").unwrap().param_label(), None);
    assert_eq!(hash.path(), "/hash?rounds=19000");
}

#[test]
fn post_workloads_send_a_pool_of_distinct_bodies_never_one_repeated_body() {
    for workload in ["order", "hash:1000", "hash-offload:1000"] {
        let workload: Workload = workload.parse().unwrap();
        let mix = workload.requests_seeded(addr(), &repo_vectors(), 42);
        let distinct: BTreeSet<&Vec<u8>> = mix.iter().map(|r| &r.bytes).collect();
        assert_eq!(distinct.len(), crate::bodies::POOL_SIZE, "{workload}");
        assert!(
            mix.windows(2).all(|w| w[0].bytes != w[1].bytes),
            "{workload}"
        );
        assert!(
            mix.iter().all(|r| r.answer != ExpectedBody::Unchecked),
            "{workload}"
        );
        assert!(workload.has_bodies());
    }
}

#[test]
fn requests_render_the_same_bytes_as_before_the_spec_defined_them() {
    let order = "order"
        .parse::<Workload>()
        .unwrap()
        .requests(addr(), &repo_vectors());
    let text = String::from_utf8_lossy(&order[0].bytes);
    assert!(
        text.starts_with("POST /json/order HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Type: application/json\r\nContent-Length: "),
        "{text}"
    );
    let hash = "hash:7"
        .parse::<Workload>()
        .unwrap()
        .requests(addr(), &repo_vectors());
    let text = String::from_utf8_lossy(&hash[0].bytes);
    assert!(
        text.starts_with(
            "POST /hash?rounds=7 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Length: 64\r\n\r\n"
        ),
        "{text}"
    );
    assert_eq!(
        hash[0].answer,
        crate::bodies::hash_bodies(DEFAULT_BODY_SEED, 7)[0].answer
    );
}

#[test]
fn get_workloads_check_against_the_spec_vectors_answers() {
    let get = |name: &str| {
        name.parse::<Workload>()
            .unwrap()
            .requests(addr(), &repo_vectors())
            .remove(0)
    };
    let plain = get("plaintext");
    assert_eq!(
        plain.bytes,
        b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"
    );
    assert_eq!(plain.answer.check(b"Hello, World!", 1), Some(Ok(())));
    assert!(plain.answer.check(b"Hello", 1).unwrap().is_err());
    assert!(matches!(get("json-doc").answer, ExpectedBody::Json { .. }));
    let sleep = get("sleep:10");
    assert_eq!(sleep.not_before, Some(std::time::Duration::from_millis(10)));
    assert_eq!(sleep.answer, ExpectedBody::Exact(b"ok".to_vec()));
    assert!(!"sleep".parse::<Workload>().unwrap().has_bodies());
}

#[test]
fn commands_default_to_the_workloads_the_spec_marks_at_their_smallest_measured_parameter() {
    let spec = repo_spec();
    let names = |command| -> Vec<String> {
        spec.defaults_for(command)
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        names(DefaultFor::Icount),
        ["plaintext", "json", "order", "hash:1000"]
    );
    assert_eq!(names(DefaultFor::Compare), ["plaintext", "json"]);

    let toy = spec_of(
        r#"
[[workloads]]
name = "nap"
about = "a wait"
method = "GET"
path = "/sleep?ms={ms}"
param = { name = "ms", default = 5 }
answer = "route"
default_for = ["icount"]

  [[workloads.groups]]
  name = "nap"
  connections = [1]
  params = [7, 3]
  id = "{param}"
"#,
    )
    .unwrap();
    let counted: Vec<String> = toy
        .defaults_for(DefaultFor::Icount)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(counted, ["nap:3"]);
    assert!(toy.defaults_for(DefaultFor::Compare).is_empty());
    let err = spec_of(&PLAIN.replace("method", "default_for = [\"bench\"]\nmethod"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant"), "{err}");
}
