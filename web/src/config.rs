//! `trawl.toml`: the server's configuration, with its defaults in one place.
//!
//! The binary reads the file (every field optional), then applies
//! environment variables and flags on top; this module only knows the file's
//! shape and defaults.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use trawl_indexer::{OcrMode, OcrOptions};
use trawl_search::Fusion;

/// The whole file. Unknown keys are errors, so a typo never silently keeps a default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[index]`.
    pub index: IndexConfig,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[limits]`.
    pub limits: Limits,
    /// `[audit]`.
    pub audit: AuditConfig,
    /// `[ocr]`.
    pub ocr: OcrConfig,
    /// `[search]`.
    pub search: SearchConfig,
    /// `[[keys]]`: API keys written by hand (only their SHA-256 is stored).
    pub keys: Vec<KeyConfig>,
}

/// `[search]`: how searches rank when the request does not say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Hybrid fusion (`calibrated:W`, `rrf:K`, `convex:W`) for searches and answers that name
    /// none; `trawl eval --fit` writes the weight it fitted on a set of judged questions.
    /// `None`: the built-in default.
    pub fusion: Option<String>,
}

impl SearchConfig {
    /// The fusion searches use when they name none.
    pub fn fusion(&self) -> Fusion {
        self.fusion
            .as_deref()
            .and_then(|f| f.parse().ok())
            .unwrap_or_default()
    }
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:7700`).
    pub addr: SocketAddr,
    /// Longest a request may take before a 503 `timeout` (default 30 s).
    pub request_timeout_s: u64,
    /// How often the server looks for commits by other writers (default 2 s).
    pub reload_interval_s: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 7700)),
            request_timeout_s: 30,
            reload_interval_s: 2,
        }
    }
}

/// `[index]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    /// Index directory (default `$TRAWL_HOME/index`).
    pub path: Option<PathBuf>,
    /// Folders original files may be served from, besides the folder the
    /// last `trawl index` run indexed (recorded in the index) and uploads.
    pub roots: Vec<PathBuf>,
    /// Where uploaded files are kept (default `INDEX/uploads`).
    pub uploads_dir: Option<PathBuf>,
    /// The cluster the passages are kept on, `solr://HOST:PORT[,HOST:PORT…]/COLLECTION`
    /// (default: none, the index folder holds them).
    pub backend: Option<String>,
}

/// `[auth]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Keys created by `trawl keys create` (default `keys.json` beside `trawl.toml`).
    pub keys_file: Option<PathBuf>,
}

/// One hand-written `[[keys]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Who holds the key (shown in the audit log).
    pub name: String,
    /// Access groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// May upload and delete, and sees every document.
    #[serde(default)]
    pub admin: bool,
    /// Hex SHA-256 of the key (`printf %s KEY | sha256sum`).
    pub sha256: String,
}

/// `[limits]`: what one request may ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest JSON request body (default 64 KiB).
    pub max_body_bytes: usize,
    /// Largest upload request, all files together (default 64 MiB).
    pub max_upload_bytes: usize,
    /// Most files in one upload (default 20).
    pub max_upload_files: usize,
    /// Longest query, in characters (default 1000).
    pub max_query_chars: usize,
    /// Most results per page (default 100).
    pub max_k: usize,
    /// Deepest page start (default 900).
    pub max_offset: usize,
    /// Sustained requests per second per key (default 20).
    pub rate_per_s: f64,
    /// Requests a key may make in a burst (default 40).
    pub burst: u32,
    /// File extensions uploads may have.
    pub upload_extensions: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
            max_upload_files: 20,
            max_query_chars: 1000,
            max_k: 100,
            max_offset: 900,
            rate_per_s: 20.0,
            burst: 40,
            upload_extensions: [
                "pdf", "docx", "odt", "rtf", "html", "htm", "md", "markdown", "txt", "eml", "mbox",
                "msg", "xlsx", "xlsm", "xls", "ods", "pptx", "zip", "png", "jpg", "jpeg", "tif",
                "tiff",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// `[audit]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// JSONL file (default `INDEX/audit.jsonl`).
    pub path: Option<PathBuf>,
    /// Rotate when the file grows past this (default 64 MiB).
    pub max_bytes: u64,
    /// Rotated files kept (`audit.jsonl.1` … `.N`, default 10).
    pub keep: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            path: None,
            max_bytes: 64 * 1024 * 1024,
            keep: 10,
        }
    }
}

/// `[ocr]`: how scanned PDF pages and images are read, by `trawl index`
/// (whose flags win over it) and for uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OcrConfig {
    /// `off`, `auto` (images, and PDF pages without a text layer) or `force`
    /// (every PDF page too, replacing its text layer); default `auto`.
    pub mode: OcrMode,
    /// Tesseract languages, `+`-joined (default `eng`); each needs its
    /// `tesseract-ocr-LANG` Debian package.
    pub languages: String,
    /// Seconds one page may take to render and read before it is given up (default 60).
    pub page_timeout_s: u64,
}

impl Default for OcrConfig {
    fn default() -> Self {
        let d = OcrOptions::default();
        Self {
            mode: d.mode,
            languages: d.languages,
            page_timeout_s: d.page_timeout.as_secs(),
        }
    }
}

impl OcrConfig {
    /// The indexer's options for this section.
    pub fn options(&self) -> OcrOptions {
        OcrOptions {
            mode: self.mode,
            languages: self.languages.clone(),
            page_timeout: Duration::from_secs(self.page_timeout_s),
            ..OcrOptions::default()
        }
    }

    /// Checks the values: a language list tesseract can take, a positive time-out.
    pub fn validate(&self) -> Result<(), String> {
        // Codes like `eng`, `chi_sim` or `script/Latin`; no dots, so no `..` out of tessdata.
        let ok = |l: &str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'/')
        };
        if !self.languages.split('+').all(ok) {
            return Err(format!(
                "ocr: languages {:?} must be tesseract language codes joined by + (e.g. eng+deu)",
                self.languages
            ));
        }
        if self.page_timeout_s == 0 {
            return Err("ocr: page_timeout_s must be positive".into());
        }
        Ok(())
    }
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
}

impl Config {
    /// Reads `path`; a missing file gives the defaults when `required` is false.
    pub fn load(path: &Path, required: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    /// Sets `[search] fusion` in the file at `path` (created when missing), keeping the rest
    /// of it as written: its other keys, comments and order. The file is replaced whole (a
    /// sibling temp file renamed over it) and only when the result still loads, so a failed
    /// write leaves the old file.
    pub fn write_fusion(path: &Path, fusion: Fusion) -> Result<(), ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let mut doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| invalid(e.to_string()))?;
        let search = doc
            .entry("search")
            .or_insert_with(toml_edit::table)
            .as_table_mut()
            .ok_or_else(|| invalid("`search` is not a table".into()))?;
        search["fusion"] = toml_edit::value(fusion.to_string());
        let updated = doc.to_string();
        let config: Config = toml::from_str(&updated).map_err(|e| invalid(e.to_string()))?;
        config.validate().map_err(invalid)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, updated).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Checks values a type cannot express.
    pub fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        if l.max_k == 0 || l.max_query_chars == 0 || l.burst == 0 || l.rate_per_s <= 0.0 {
            return Err(
                "limits: max_k, max_query_chars, burst and rate_per_s must be positive".into(),
            );
        }
        if l.max_offset + l.max_k > 1000 {
            return Err("limits: max_offset + max_k may be at most 1000".into());
        }
        self.ocr.validate()?;
        if let Some(f) = &self.search.fusion {
            f.parse::<Fusion>()
                .map_err(|e| format!("search: fusion {f:?}: {e}"))?;
        }
        if let Some(url) = &self.index.backend {
            url.parse::<trawl_cluster::ClusterUrl>()
                .map_err(|e| format!("index: backend: {e}"))?;
        }
        for k in &self.keys {
            if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("keys: {:?} needs a 64-digit hex sha256", k.name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides_parse() {
        let c: Config = toml::from_str(
            r#"
            [server]
            addr = "0.0.0.0:8080"
            [limits]
            max_k = 50
            [[keys]]
            name = "ci"
            groups = ["hr"]
            sha256 = "aa00000000000000000000000000000000000000000000000000000000000000"
            "#,
        )
        .unwrap();
        assert_eq!(c.server.addr.port(), 8080);
        assert_eq!(c.server.request_timeout_s, 30);
        assert_eq!(c.limits.max_k, 50);
        assert_eq!(c.limits.max_query_chars, 1000);
        assert_eq!(c.keys[0].groups, ["hr"]);
        assert!(!c.keys[0].admin);
        c.validate().unwrap();
    }

    #[test]
    fn the_example_file_is_the_defaults() {
        let text = include_str!("../../trawl.example.toml");
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        assert!(toml::from_str::<Config>("[server]\nadress = \"x\"").is_err());
        let mut c = Config::default();
        c.limits.max_k = 0;
        assert!(c.validate().is_err());
        assert!(toml::from_str::<Config>("[ocr]\nmode = \"sometimes\"").is_err());
        for bad in ["", "eng+", "-l eng", "eng deu"] {
            let mut c = Config::default();
            c.ocr.languages = bad.into();
            assert!(c.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uploads_accept_the_new_formats_and_only_what_the_indexer_reads() {
        let accepted = Limits::default().upload_extensions;
        for ext in [
            "msg", "xlsx", "xlsm", "xls", "ods", "pptx", "zip", "png", "jpg", "jpeg", "tif",
            "tiff", "odt", "rtf",
        ] {
            assert!(accepted.iter().any(|e| e == ext), "{ext} is refused");
        }
        for ext in &accepted {
            let name = format!("upload.{ext}");
            assert!(
                trawl_indexer::DocKind::detect(Path::new(&name)).is_some(),
                "{ext} is accepted but no extractor reads it"
            );
        }
    }

    #[test]
    fn the_search_section_names_a_fusion_and_a_bad_one_is_an_error() {
        let c: Config = toml::from_str("[search]\nfusion = \"calibrated:0.55\"").unwrap();
        c.validate().unwrap();
        assert_eq!(
            c.search.fusion(),
            Fusion::Calibrated {
                vector_weight: 0.55
            }
        );
        assert_eq!(Config::default().search.fusion(), Fusion::default());
        for bad in ["calibrated:1.5", "borda", "rrf:x"] {
            let c: Config = toml::from_str(&format!("[search]\nfusion = {bad:?}")).unwrap();
            let e = c.validate().unwrap_err();
            assert!(e.contains("search: fusion"), "{bad}: {e}");
        }
    }

    #[test]
    fn writing_the_fusion_keeps_the_rest_of_the_file() {
        let dir = std::env::temp_dir().join(format!("trawl-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trawl.toml");
        let before = "# our server\n[server]\naddr = \"0.0.0.0:8080\"  # behind the proxy\n\n[search]\nfusion = \"rrf\"\n";
        std::fs::write(&path, before).unwrap();
        Config::write_fusion(
            &path,
            Fusion::Calibrated {
                vector_weight: 0.55,
            },
        )
        .unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            after.contains("# our server") && after.contains("# behind the proxy"),
            "{after}"
        );
        let c = Config::load(&path, true).unwrap();
        assert_eq!(c.server.addr.port(), 8080);
        assert_eq!(
            c.search.fusion(),
            Fusion::Calibrated {
                vector_weight: 0.55
            }
        );

        // a missing file is created with only that section
        let fresh = dir.join("sub").join("trawl.toml");
        Config::write_fusion(&fresh, Fusion::Rrf { k: 20.0 }).unwrap();
        assert_eq!(
            Config::load(&fresh, true).unwrap().search.fusion(),
            Fusion::Rrf { k: 20.0 }
        );

        // a file that does not load is left as it was
        std::fs::write(&path, "[server]\nadress = 1\n").unwrap();
        assert!(Config::write_fusion(&path, Fusion::default()).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[server]\nadress = 1\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_ocr_section_sets_how_uploads_are_read() {
        let c: Config =
            toml::from_str("[ocr]\nmode = \"force\"\nlanguages = \"eng+deu\"\npage_timeout_s = 5")
                .unwrap();
        c.validate().unwrap();
        let o = c.ocr.options();
        assert_eq!(o.mode, OcrMode::Force);
        assert_eq!(o.languages, "eng+deu");
        assert_eq!(o.page_timeout, Duration::from_secs(5));
        assert_eq!(Config::default().ocr.options(), OcrOptions::default());
    }
}
