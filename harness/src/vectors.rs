//! The machine-readable half of the contract: `spec/vectors.json` (see spec/CONTRACT.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Errors reading the spec.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A spec file is not the JSON it should be.
    #[error("invalid spec file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A vector is inconsistent.
    #[error("vector `{name}` in {path}: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The vector's name.
        name: String,
        /// What is wrong.
        why: String,
    },
}

/// A text repeated to make a large body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// The text.
    pub text: String,
    /// How many times.
    pub times: usize,
}

/// The request half of a vector.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorRequest {
    /// HTTP method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body as text.
    #[serde(default)]
    pub body: Option<String>,
    /// Body as a repeated text.
    #[serde(default)]
    pub body_repeat: Option<Repeat>,
}

impl VectorRequest {
    /// The request body bytes (empty when none).
    pub fn body_bytes(&self) -> Vec<u8> {
        match (&self.body, &self.body_repeat) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(repeat)) => repeat.text.repeat(repeat.times).into_bytes(),
            (None, None) => Vec::new(),
        }
    }

    /// True when the vector sends a body (possibly empty).
    pub fn has_body(&self) -> bool {
        self.body.is_some() || self.body_repeat.is_some()
    }

    /// `METHOD /path`, for messages.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What the answer must be.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Status code.
    pub status: u16,
    /// Media type, compared before any `;`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Exact body text.
    #[serde(default)]
    pub body: Option<String>,
    /// JSON-equal body.
    #[serde(default)]
    pub json: Option<Value>,
    /// JSON-equal to this file of the spec folder (resolved into `json` on load).
    #[serde(default)]
    pub json_file: Option<String>,
}

/// One request -> expected answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Unique name.
    pub name: String,
    /// The request.
    pub request: VectorRequest,
    /// The expected answer.
    pub expect: Expectation,
}

#[derive(Debug, Deserialize)]
struct VectorFile {
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    #[serde(default)]
    about: String,
    vectors: Vec<Vector>,
}

/// The spec folder of a workspace root.
pub fn spec_dir(root: &Path) -> PathBuf {
    root.join("spec")
}

/// Loads `vectors.json` from `spec_dir`, resolving `json_file` references.
pub fn load_vectors(spec_dir: &Path) -> Result<Vec<Vector>, SpecError> {
    let path = spec_dir.join("vectors.json");
    let file: VectorFile = read_json(&path)?;
    let mut vectors = file.vectors;
    for vector in &mut vectors {
        let invalid = |why: &str| SpecError::Invalid {
            path: path.clone(),
            name: vector.name.clone(),
            why: why.to_owned(),
        };
        if vector.request.body.is_some() && vector.request.body_repeat.is_some() {
            return Err(invalid("give `body` or `body_repeat`, not both"));
        }
        let expect = &vector.expect;
        let bodies = [
            expect.body.is_some(),
            expect.json.is_some(),
            expect.json_file.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            return Err(invalid("give at most one of `body`, `json`, `json_file`"));
        }
        if let Some(file) = vector.expect.json_file.take() {
            vector.expect.json = Some(read_json(&spec_dir.join(file))?);
        }
    }
    Ok(vectors)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| SpecError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_spec() -> PathBuf {
        spec_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
    }

    #[test]
    fn the_repository_vectors_load_and_cover_every_endpoint() {
        let vectors = load_vectors(&repo_spec()).unwrap();
        for path in [
            "/healthz",
            "/plaintext",
            "/json",
            "/json/doc",
            "/json/order",
            "/hash?",
            "/hash/offload?",
            "/sleep?",
        ] {
            assert!(
                vectors
                    .iter()
                    .any(|v| v.request.path.starts_with(path) && v.expect.status == 200),
                "no success vector for {path}"
            );
        }
        for status in [400, 404, 405, 413] {
            assert!(
                vectors.iter().any(|v| v.expect.status == status),
                "{status}"
            );
        }
    }

    #[test]
    fn the_json_doc_vector_is_resolved_to_a_document_of_about_one_kilobyte() {
        let vectors = load_vectors(&repo_spec()).unwrap();
        let doc = vectors.iter().find(|v| v.name == "json-doc").unwrap();
        let json = doc.expect.json.as_ref().unwrap();
        let size = serde_json::to_vec(json).unwrap().len();
        assert!((900..=1200).contains(&size), "{size} bytes");
    }

    #[test]
    fn repeated_bodies_expand_to_their_full_length() {
        let vectors = load_vectors(&repo_spec()).unwrap();
        let big = vectors
            .iter()
            .find(|v| v.name == "hash-body-over-64KiB")
            .unwrap();
        assert_eq!(big.request.body_bytes().len(), 65_537);
    }
}
