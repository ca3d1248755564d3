//! `stampede import k6` from start to end: the instances' files read into one result record,
//! named after a catalog target when there is one, written beside stampede's own results so
//! `stampede report` shows both; and the lines it prints about it.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::import::ServerDescription;
use super::{ImportOptions, K6Error, import_files};
use crate::catalog::Catalog;
use crate::evidence::{ResultRecord, Run, RunMode};
use crate::output::{Format, Render, RenderError, json_line, unsupported};

/// What `stampede import k6` was asked.
#[derive(Clone, Debug)]
pub struct K6ImportRequest {
    /// The instances' NDJSON files.
    pub files: Vec<PathBuf>,
    /// The metrics endpoint whose server figures are required.
    pub metrics_url: Option<String>,
    /// The server's name in the record.
    pub target: String,
    /// Folder to write the record into (default: target/stampede/results).
    pub results: Option<PathBuf>,
}

/// Why the import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The files or the record.
    #[error(transparent)]
    K6(#[from] K6Error),
    /// The record could not be written.
    #[error("cannot write the record into {}", dir.display())]
    Write {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One import: its record, from how many instances, and where it was written.
#[derive(Debug)]
pub struct ImportedRun {
    /// The record written.
    pub record: ResultRecord,
    /// How many k6 instances it merges.
    pub instances: usize,
    /// The file written.
    pub path: PathBuf,
}

/// Reads `request.files` into one record and writes it; `warn` gets each warning about the
/// files first.
pub fn import_k6(
    request: &K6ImportRequest,
    warn: &mut dyn FnMut(&str),
) -> Result<ImportedRun, ImportError> {
    let imported = import_files(&request.files)?;
    for warning in &imported.warnings {
        warn(warning);
    }
    let catalog = Catalog::discover().ok();
    let root = catalog
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |c| c.root().to_path_buf());
    let server = catalog.as_ref().and_then(|c| {
        let target = c.target(&request.target).ok()?;
        Some(ServerDescription {
            language: target.language.clone(),
            framework: c.framework_label(target),
        })
    });
    let options = ImportOptions {
        target: request.target.clone(),
        metrics_url: request.metrics_url.clone(),
    };
    let context = Run::detect(&root, RunMode::Cli);
    let record = imported.record(&options, &context, server.as_ref())?;
    let dir = request.results.clone().unwrap_or_else(|| match &catalog {
        Some(c) => c.work_dir().join("results"),
        None => PathBuf::from("target/stampede/results"),
    });
    let path = record
        .write_to(&dir)
        .map_err(|source| ImportError::Write { dir, source })?;
    Ok(ImportedRun {
        record,
        instances: imported.instances(),
        path,
    })
}

impl ImportedRun {
    /// The record's figures, the server's, and its flags, one line each.
    pub fn text(&self) -> String {
        let record = &self.record;
        let l = &record.figures.latency_us;
        let mut out = format!(
            "{}: {} requests from {} k6 instance(s), {:.0} req/s, {} errors, p50 {} us, p99 {} us, max {} us\n",
            record.id,
            record.figures.requests,
            self.instances,
            record.figures.requests_per_sec,
            record.errors,
            l.p50,
            l.p99,
            l.max
        );
        if let Some(cpu_us) = record.figures.server.cpu_us_per_request {
            let _ = writeln!(
                out,
                "server: {cpu_us:.1} CPU us/request, cpu_busy {:.2}, peak PSS {} KiB",
                record.figures.server.cpu_busy,
                record.figures.server.peak_pss_bytes / 1024
            );
        } else {
            out.push_str(
                "server: not measured (export with --metrics URL to attach its CPU and memory)\n",
            );
        }
        let flags = record.flags.words();
        if !flags.is_empty() {
            let _ = writeln!(out, "flags: {}", flags.join(", "));
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_the_record_its_instances_and_the_server_figures() {
        let run = ImportedRun {
            record: crate::evidence::fixtures::record("json/remote@k6x2/c64", 1000.0, 120, 30),
            instances: 2,
            path: PathBuf::from("r.json"),
        };
        let text = run.text();
        assert!(
            text.starts_with("json/remote@k6x2/c64: ")
                && text.contains(" from 2 k6 instance(s), 1000 req/s"),
            "{text}"
        );
        assert!(text.contains("\nserver: "), "{text}");
    }
}
