//! Where models and the ONNX Runtime library live on this machine.
//!
//! Set-up (`scripts/setup.sh`) installs them under `$TRAWL_HOME` (default
//! `~/.cache/trawl`), never inside the repository. Every path can be
//! overridden so users can bring their own model.

use std::path::{Path, PathBuf};

/// Name of the default model's directory under `$TRAWL_HOME/models`.
const DEFAULT_MODEL: &str = "all-minilm-l6-v2-int8";
/// File name of the ONNX Runtime library set-up installs.
const ORT_LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// The files an [`crate::OnnxEmbedder`] is loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLocation {
    /// Directory holding `trawl-model.json` and the files it names.
    pub model_dir: PathBuf,
    /// The ONNX Runtime shared library.
    pub runtime_library: PathBuf,
}

impl ModelLocation {
    /// `$TRAWL_HOME`, or `~/.cache/trawl` when unset.
    pub fn trawl_home() -> PathBuf {
        if let Some(home) = std::env::var_os("TRAWL_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(home);
        }
        let base = std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        base.join(".cache").join("trawl")
    }

    /// The default model and runtime, honouring `TRAWL_MODEL_DIR` and
    /// `ORT_DYLIB_PATH` when set.
    pub fn from_env() -> Self {
        Self::resolve(None, None)
    }

    /// Explicit paths win over the environment, which wins over `$TRAWL_HOME` defaults.
    pub fn resolve(model_dir: Option<&Path>, runtime_library: Option<&Path>) -> Self {
        let home = Self::trawl_home();
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            model_dir: model_dir
                .map(Path::to_path_buf)
                .or_else(|| env_path("TRAWL_MODEL_DIR"))
                .unwrap_or_else(|| home.join("models").join(DEFAULT_MODEL)),
            runtime_library: runtime_library
                .map(Path::to_path_buf)
                .or_else(|| env_path("ORT_DYLIB_PATH"))
                .unwrap_or_else(|| home.join("onnxruntime").join(ORT_LIBRARY)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_paths_win() {
        let loc = ModelLocation::resolve(Some(Path::new("/m")), Some(Path::new("/r.so")));
        assert_eq!(loc.model_dir, Path::new("/m"));
        assert_eq!(loc.runtime_library, Path::new("/r.so"));
    }
}
