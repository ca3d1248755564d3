//! One seam for everything a command prints or writes: a [`Format`] names the output, and every
//! report implements [`Render`] for the formats it has (hyperfine's `Exporter`, oha's
//! `PrintMode`). The CLI picks the format from its flags (`--json` prints JSON instead of text;
//! `--export-markdown FILE` / `--export-json FILE` write a file besides, as hyperfine's
//! `--export-*` do) and never formats a report itself.
//!
//! Each impl sits beside its report, so this module depends on no other: `CompareOutput`
//! (text, Markdown, JSON; `compare::duet_run`), `InstructionsOutput` (the same;
//! `compare::instructions_run`), `LoadOutput` (text, JSON; `load_request`), `HistoryView`
//! (text, JSON; `history::text`), `ConformanceRun` (text; `strictness::targets`), `ImportedRun`
//! (text, JSON; `k6::imported`), `Ceiling` (text, JSON; `database::ceiling`), `ExportedScript` (text; `k6::exported`), `SummaryPage` (HTML, Markdown, JSON; `summary`), and the
//! pieces printed as they come: `Verdict` (text; `verify_targets`) and `TableRows` (text;
//! `icount::table`).

use std::fmt;
use std::path::{Path, PathBuf};

/// An output format. Its name is the flag that asks for it (`--json`, `--export-markdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain text for a terminal.
    Text,
    /// GitHub-flavoured Markdown (a PR comment, report.md).
    Markdown,
    /// JSON, as the report's schema describes it.
    Json,
    /// A standalone HTML page.
    Html,
}

impl Format {
    /// `Json` when `json` is set, else `Text`: the meaning of every command's `--json` flag.
    pub fn text_or_json(json: bool) -> Self {
        if json { Self::Json } else { Self::Text }
    }

    /// The format's name, as in its flag.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "markdown",
            Self::Json => "json",
            Self::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a line goes: a result (standard output) or a note on the way (standard error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Part of the result table.
    Result,
    /// Progress, warnings and errors.
    Note,
}

/// Why a report could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The report has no such format (a bug in the caller).
    #[error("{report} has no {format} output; this is a bug in stampede, please report it")]
    Unsupported {
        /// What was rendered.
        report: &'static str,
        /// The format asked for.
        format: Format,
    },
    /// The report did not serialise as JSON (a bug).
    #[error("cannot write {report} as JSON: {source}")]
    Json {
        /// What was rendered.
        report: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// The report's own renderer failed (e.g. the summary's templates).
    #[error(transparent)]
    Failed(Box<dyn std::error::Error + Send + Sync>),
    /// The file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A report in the formats it has.
pub trait Render {
    /// What the report is, for error messages ("the comparison").
    const NAME: &'static str;

    /// The report in `format`, or [`RenderError::Unsupported`].
    fn render(&self, format: Format) -> Result<String, RenderError>;

    /// Writes the report in `format` to `path`.
    fn write_to(&self, format: Format, path: &Path) -> Result<(), RenderError> {
        let text = self.render(format)?;
        std::fs::write(path, text).map_err(|source| RenderError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The error for a format a report does not have.
pub fn unsupported<R: Render + ?Sized>(format: Format) -> RenderError {
    RenderError::Unsupported {
        report: R::NAME,
        format,
    }
}

/// `value` as pretty-printed JSON (what files and `history --json` hold).
pub fn json_pretty<R: Render + ?Sized, T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, RenderError> {
    serde_json::to_string_pretty(value).map_err(|source| RenderError::Json {
        report: R::NAME,
        source,
    })
}

/// `value` as one line of JSON (what `load --json` and `import k6 --json` print).
pub fn json_line<R: Render + ?Sized, T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, RenderError> {
    serde_json::to_string(value).map_err(|source| RenderError::Json {
        report: R::NAME,
        source,
    })
}

/// An error with its chain of causes, `outer: inner: ...` (as `anyhow` prints `{:#}`), for
/// warnings the library hands back as text.
pub fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words;

    impl Render for Words {
        const NAME: &'static str = "the words";

        fn render(&self, format: Format) -> Result<String, RenderError> {
            match format {
                Format::Text => Ok("a b\n".into()),
                Format::Json => json_line::<Self, _>(&["a", "b"]),
                other => Err(unsupported::<Self>(other)),
            }
        }
    }

    #[test]
    fn a_report_renders_the_formats_it_has_and_names_the_one_it_lacks() {
        assert_eq!(Words.render(Format::Text).unwrap(), "a b\n");
        assert_eq!(Words.render(Format::Json).unwrap(), r#"["a","b"]"#);
        let err = Words.render(Format::Html).unwrap_err();
        assert!(
            err.to_string().starts_with("the words has no html output"),
            "{err}"
        );
    }

    #[test]
    fn the_json_flag_chooses_json_else_text() {
        assert_eq!(Format::text_or_json(true), Format::Json);
        assert_eq!(Format::text_or_json(false), Format::Text);
    }

    #[test]
    fn a_write_failure_names_the_file_and_an_error_its_causes() {
        let path = Path::new("/nonexistent-dir/x.md");
        let err = Words.write_to(Format::Text, path).unwrap_err();
        let text = with_causes(&err);
        assert!(
            text.starts_with("writing /nonexistent-dir/x.md: "),
            "{text}"
        );
        assert!(
            text.len() > "writing /nonexistent-dir/x.md: ".len(),
            "{text}"
        );
    }
}
