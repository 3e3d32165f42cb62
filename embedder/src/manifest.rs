//! The manifest (`trawl-model.json`) that makes a directory a usable model.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// File name of the manifest inside a model directory.
pub(crate) const MANIFEST_FILE: &str = "trawl-model.json";

/// How token states become one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Average of the token states under the attention mask (sentence-transformers' default).
    Mean,
    /// The first token's state (`[CLS]`), as BGE-style models expect.
    Cls,
}

/// Describes a BERT-style ONNX encoder so any such model can be plugged in.
///
/// A model directory holds this manifest plus the two files it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    /// Human-readable name.
    pub name: String,
    /// Vector length (the encoder's hidden size).
    pub dim: usize,
    /// How token states are pooled.
    pub pooling: Pooling,
    /// Whether vectors are L2-normalized (trawl's indexes need `true`).
    #[serde(default = "default_true")]
    pub normalize: bool,
    /// Longest input in tokens, special tokens included.
    pub max_length: usize,
    /// Prepended to queries (e.g. `"query: "` for E5 models).
    #[serde(default)]
    pub query_prefix: String,
    /// Prepended to passages (e.g. `"passage: "` for E5 models).
    #[serde(default)]
    pub passage_prefix: String,
    /// ONNX file, relative to the model directory.
    pub model_file: String,
    /// Hugging Face `tokenizer.json`, relative to the model directory.
    pub tokenizer_file: String,
    /// Name of the output holding per-token states, `[batch, seq, dim]`.
    #[serde(default = "default_output")]
    pub output: String,
    /// sha256 of the model file, recorded by set-up; used as the fingerprint.
    #[serde(default)]
    pub sha256: Option<String>,
}

fn default_true() -> bool {
    true
}

fn default_output() -> String {
    "last_hidden_state".to_owned()
}

impl ModelManifest {
    /// Reads and checks `trawl-model.json` in `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        if !path.exists() {
            return Err(Error::Missing {
                what: "model manifest",
                path,
                hint: "run `make setup` (scripts/setup.sh) to install the default model, \
                       or point --model-dir / TRAWL_MODEL_DIR at a directory with a trawl-model.json"
                    .to_owned(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: Self = serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        manifest
            .check()
            .map_err(|message| Error::Manifest { path, message })?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        if self.dim == 0 {
            return Err("dim must be positive".into());
        }
        if self.max_length < 8 {
            return Err(format!("max_length {} is too small", self.max_length));
        }
        if !self.normalize {
            return Err("normalize must be true: trawl compares vectors by dot product".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_manifest_with_defaults() {
        let m: ModelManifest = serde_json::from_str(
            r#"{"name":"m","dim":4,"pooling":"cls","max_length":128,
                "model_file":"a.onnx","tokenizer_file":"t.json"}"#,
        )
        .unwrap();
        assert_eq!(m.pooling, Pooling::Cls);
        assert!(m.normalize);
        assert_eq!(m.output, "last_hidden_state");
        assert!(m.check().is_ok());
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        let unknown = serde_json::from_str::<ModelManifest>(
            r#"{"name":"m","dim":4,"pooling":"mean","max_length":128,
                "model_file":"a","tokenizer_file":"t","dimension":4}"#,
        );
        assert!(unknown.is_err());
        let zero: ModelManifest = serde_json::from_str(
            r#"{"name":"m","dim":0,"pooling":"mean","max_length":128,
                "model_file":"a","tokenizer_file":"t"}"#,
        )
        .unwrap();
        assert!(zero.check().unwrap_err().contains("dim"));
    }

    #[test]
    fn missing_manifest_names_the_fix() {
        let dir = std::env::temp_dir().join("trawl-no-such-model-dir");
        let err = ModelManifest::load(&dir).unwrap_err().to_string();
        assert!(err.contains("make setup"), "{err}");
        assert!(err.contains("trawl-model.json"), "{err}");
    }
}
