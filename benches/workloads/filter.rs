//! Which benchmark IDs this run will measure, read from the same arguments Criterion reads, so
//! that `cargo bench -- json/axum` does not build and start every other target.

use regex::Regex;

/// Criterion options that take a value (the value is not a filter).
const VALUE_OPTIONS: &[&str] = &[
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--format",
    "--profile-time",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
    "--color",
    "-c",
];

/// The benchmark-name filter of this run.
#[derive(Debug)]
pub(crate) enum IdFilter {
    All,
    Exact(String),
    Pattern(Regex),
    /// `--list`: Criterion only prints names; nothing is started.
    ListOnly,
}

impl IdFilter {
    pub(crate) fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let (mut exact, mut list, mut filter) = (false, false, None);
        let mut args = args.into_iter().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--exact" => exact = true,
                "--list" => list = true,
                a if VALUE_OPTIONS.contains(&a) => {
                    args.next();
                }
                a if a.starts_with('-') => {}
                a => filter = filter.or(Some(a.to_owned())),
            }
        }
        match (list, filter, exact) {
            (true, _, _) => Self::ListOnly,
            (false, None, _) => Self::All,
            (false, Some(f), true) => Self::Exact(f),
            // An invalid pattern is Criterion's to report; start everything meanwhile.
            (false, Some(f), false) => Regex::new(&f).map_or(Self::All, Self::Pattern),
        }
    }

    /// True when the filter spells out `target`'s name, which is what brings a target kept out
    /// of the default run (`in_default_bench = false`) into it.
    pub(crate) fn names(&self, target: &str) -> bool {
        match self {
            Self::All | Self::ListOnly => false,
            Self::Exact(f) => f.contains(target),
            Self::Pattern(re) => re.as_str().contains(target),
        }
    }

    /// True when the filter names `group` (`cargo bench -- soak`, `-- '^soak/actix'`): what
    /// brings a group kept out of the default run (a soak group) into it. `--list` lists it.
    pub(crate) fn asks_for_group(&self, group: &str) -> bool {
        match self {
            Self::All => false,
            Self::ListOnly => true,
            Self::Exact(f) => f.split('/').next() == Some(group),
            Self::Pattern(re) => re.as_str().contains(group),
        }
    }

    /// True when Criterion will run the benchmark `id`.
    pub(crate) fn runs(&self, id: &str) -> bool {
        match self {
            Self::All => true,
            Self::Exact(f) => f == id,
            Self::Pattern(re) => re.is_match(id),
            Self::ListOnly => false,
        }
    }
}
