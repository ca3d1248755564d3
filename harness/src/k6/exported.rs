//! `stampede export k6` from start to end: the spec's vectors read from the workspace and the
//! plan written as a k6 script; and the line that says how to run a script written to a file.

use std::path::Path;

use super::{ExportPlan, K6Error, script};
use crate::catalog::Catalog;
use crate::output::{Format, Render, RenderError, unsupported};
use crate::session::{SessionError, load_spec};

/// Why no script was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The workspace or its spec vectors.
    #[error(transparent)]
    Workspace(#[from] SessionError),
    /// The plan or a request template.
    #[error(transparent)]
    K6(#[from] K6Error),
}

/// A k6 script and the plan it runs.
#[derive(Clone, Debug)]
pub struct ExportedScript {
    /// What the script runs.
    pub plan: ExportPlan,
    /// The script, `script.js` with the plan's data in it.
    pub text: String,
}

/// The k6 script of `plan`, with the answers of the workspace's spec vectors.
pub fn export_k6(plan: ExportPlan) -> Result<ExportedScript, ExportError> {
    let catalog = Catalog::discover().map_err(SessionError::from)?;
    let vectors = load_spec(&catalog)?;
    let text = script(&plan, &vectors)?;
    Ok(ExportedScript { plan, text })
}

impl ExportedScript {
    /// What to say once the script is written to `path`: its workload and seed, and how to run
    /// it so that `stampede import k6` can read the results.
    pub fn written_note(&self, path: &Path) -> String {
        format!(
            "wrote {} ({}, body seed {}); run it with `k6 run --out json=OUT.json {}`",
            path.display(),
            self.plan.workload,
            self.plan.body_seed,
            path.display()
        )
    }
}

impl Render for ExportedScript {
    const NAME: &'static str = "the k6 script";

    /// The script itself as text (it is JavaScript: no other format).
    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text.clone()),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn exported() -> ExportedScript {
        ExportedScript {
            plan: ExportPlan {
                workload: "json".parse().unwrap(),
                url: "http://127.0.0.1:8080".into(),
                connections: 4,
                rate_per_sec: None,
                duration: Duration::from_secs(30),
                body_seed: 7,
                metrics_url: None,
            },
            text: "export default function () {}\n".into(),
        }
    }

    #[test]
    fn the_script_is_its_own_text_output_and_has_no_other() {
        let exported = exported();
        assert_eq!(exported.render(Format::Text).unwrap(), exported.text);
        assert!(exported.render(Format::Json).is_err());
    }

    #[test]
    fn the_note_names_the_file_the_seed_and_how_to_run_it_for_import() {
        let note = exported().written_note(Path::new("json.js"));
        assert_eq!(
            note,
            "wrote json.js (json, body seed 7); run it with `k6 run --out json=OUT.json json.js`"
        );
    }
}
