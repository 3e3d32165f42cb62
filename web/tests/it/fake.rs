//! A deterministic stand-in for the embedding model, for the tests of HTTP behaviour (keys,
//! limits, errors, audit, uploads): each word is hashed to one of 384 dimensions with a sign,
//! and the sum is normalized, so texts that share words are near and the rest are not. It
//! loads nothing, so those tests do not wait for (or need) the ONNX model; the ranking and
//! answer tests keep the real one.

use std::{
    hash::{Hash, Hasher},
    ops::Range,
};

use trawl_embedder::{Embedder, ModelInfo, Result};

/// Dimensions, as the real model's, so nothing else in the index differs.
const DIM: usize = 384;

/// Hashes words into a unit vector.
pub(crate) struct HashEmbedder {
    info: ModelInfo,
}

impl HashEmbedder {
    pub(crate) fn new() -> Self {
        Self {
            info: ModelInfo {
                name: "test-word-hash".into(),
                dim: DIM,
                fingerprint: "test-word-hash-v1".into(),
                max_tokens: 256,
            },
        }
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; DIM];
        for span in words(text) {
            let word = text[span].to_lowercase();
            // std's SipHash with its fixed zero keys: the same vector on every run.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            word.hash(&mut h);
            let h = h.finish();
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[(h % DIM as u64) as usize] += sign;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 {
            // No words: a fixed unit vector, still a valid embedding.
            v[0] = 1.0;
        } else {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

/// Byte ranges of the words (alphanumeric runs) and of each other visible character.
fn words(text: &str) -> Vec<Range<usize>> {
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut word: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            word.get_or_insert(i);
            continue;
        }
        if let Some(start) = word.take() {
            spans.push(start..i);
        }
        if !c.is_whitespace() {
            spans.push(i..i + c.len_utf8());
        }
    }
    if let Some(start) = word {
        spans.push(start..text.len());
    }
    spans
}

impl Embedder for HashEmbedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.embed(t)).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(text))
    }

    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>> {
        Ok(words(text))
    }
}

#[test]
fn the_fake_is_deterministic_unit_length_and_near_for_shared_words() {
    let e = HashEmbedder::new();
    let a = e.embed_query("paid parental leave").unwrap();
    assert_eq!(a, e.embed_query("Paid parental leave").unwrap());
    let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    let dot = |b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let near = dot(&e.embed_query("parental leave policy").unwrap());
    let far = dot(&e.embed_query("password rotation rules").unwrap());
    assert!(near > 0.5 && near > far + 0.3, "{near} {far}");
    assert_eq!(words("a-b  cd"), [0..1, 1..2, 2..3, 5..7]);
}
