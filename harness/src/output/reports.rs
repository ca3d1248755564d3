//! Every report a command prints or writes, and the formats it has: one place to read which
//! output exists, as hyperfine's `ExportType` lists its exporters. Each impl only hands over to
//! the renderer that lives beside its data.

use super::{Format, Render, RenderError, json_line, json_pretty, unsupported};
use crate::compare::CompareReport;
use crate::compare::instructions_run::InstructionsReport;
use crate::compare::{instructions, markdown};
use crate::history::text::HistoryView;
use crate::k6::imported::ImportedRun;
use crate::load_report::LoadReport;
use crate::strictness::targets::ConformanceRun;
use crate::summary::SummaryPage;

/// `stampede compare` (duet): the verdict table, the PR comment, every round as JSON.
impl Render for CompareReport {
    const NAME: &'static str = "the comparison";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(markdown::text(self)),
            Format::Markdown => Ok(markdown::markdown(self)),
            Format::Json => json_pretty::<Self, _>(self),
            Format::Html => Err(unsupported::<Self>(format)),
        }
    }
}

/// `stampede compare --metric instructions`: the same three outputs as the duet.
impl Render for InstructionsReport {
    const NAME: &'static str = "the instructions comparison";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(instructions::text(&self.comparisons)),
            Format::Markdown => Ok(instructions::markdown(
                &self.comparisons,
                &self.base,
                &self.head_name,
                self.threshold_pct,
                self.repetitions,
            )),
            Format::Json => json_pretty::<Self, _>(&self.comparisons),
            Format::Html => Err(unsupported::<Self>(format)),
        }
    }
}

/// `stampede load`: wrk-style lines, or one line of JSON.
impl Render for LoadReport {
    const NAME: &'static str = "the load report";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.to_text()),
            Format::Json => json_line::<Self, _>(self),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

/// `stampede history`: the trend table, or one JSON object.
impl Render for HistoryView {
    const NAME: &'static str = "the history";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            Format::Json => {
                let value = self.json().map_err(|source| RenderError::Json {
                    report: Self::NAME,
                    source,
                })?;
                json_pretty::<Self, _>(&value)
            }
            other => Err(unsupported::<Self>(other)),
        }
    }
}

/// `stampede conformance`: pass / lenient / fail per RFC level, then every failure.
impl Render for ConformanceRun {
    const NAME: &'static str = "the conformance table";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

/// `stampede import k6`: the record's figures in words, or the record as one line of JSON.
impl Render for ImportedRun {
    const NAME: &'static str = "the imported record";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            Format::Json => json_line::<Self, _>(&self.record),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

/// `stampede report` and the benches: index.html, report.md and results.json.
impl Render for SummaryPage<'_> {
    const NAME: &'static str = "the summary";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Err(unsupported::<Self>(format)),
            other => self.document(other).map_err(|e| Box::new(e).into()),
        }
    }
}
