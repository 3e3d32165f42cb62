//! Fault injection for the crash drill (`tests/e2e`): a process started with the environment
//! variable `TRAWL_FAULT` naming one of [`POINTS`] aborts when its commit sequence reaches that
//! point, as a power cut or `kill -9` would stop it there. Without the variable nothing happens;
//! the variable is read only at the points themselves, which lie on the commit path only.

/// The points, in the order a commit reaches them: the new vector generation is on disk but
/// tantivy has not committed (`after_vector_save`); tantivy has committed, naming that
/// generation, but the old generations are not removed nor the index reloaded
/// (`after_keyword_commit`); the indexer's commit returned but `indexer-state.json` is not
/// saved (`before_state_save`); the state is saved but the vector cache and near-duplicate
/// signatures are not (`after_state_save`).
pub const POINTS: [&str; 4] = [
    "after_vector_save",
    "after_keyword_commit",
    "before_state_save",
    "after_state_save",
];

/// Aborts the process (no unwinding, no destructors, no flushing) when `TRAWL_FAULT` is
/// `point`; otherwise returns at once.
pub fn fault_point(point: &str) {
    debug_assert!(POINTS.contains(&point), "unknown fault point {point}");
    if std::env::var_os("TRAWL_FAULT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}
