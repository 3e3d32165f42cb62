//! The ranking a server's `trawl.toml` sets: `[search] fusion` for requests that name none.

use trawl_web::config::Config;

use crate::{get, start};

/// `(path, score)` of each result of `GET /api/search` with `query` appended.
fn scores(base: &str, key: &str, query: &str) -> Vec<(String, f64)> {
    let res = get(
        base,
        &format!("/api/search?q=leave+policy{query}"),
        Some(key),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    res.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_configured_fusion_ranks_requests_that_name_none() {
    let mut config = Config::default();
    // written loosely: the server reads it as `rrf:60`
    config.search.fusion = Some("RRF".into());
    let s = start(config);
    let key = s.keys.hr.as_str();
    let configured = scores(&s.base, key, "");
    assert!(configured.len() >= 2, "{configured:?}");
    assert_eq!(configured, scores(&s.base, key, "&fusion=rrf:60"));
    assert_eq!(configured, scores(&s.base, key, "&fusion="));
    // RRF scores are sums of 1/(60 + rank): two arms give at most 2/61.
    assert!(
        configured.iter().all(|(_, s)| *s <= 2.0 / 61.0 + 1e-9),
        "{configured:?}"
    );
    // a request's own fusion still wins
    assert_ne!(configured, scores(&s.base, key, "&fusion=calibrated"));
}
