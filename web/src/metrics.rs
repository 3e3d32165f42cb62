//! Prometheus metrics: requests and latency per route, index size, queues.

use std::sync::atomic::{AtomicI64, Ordering};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use trawl_search::Index;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The server's metrics registry.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    documents: Gauge,
    chunks: Gauge,
    index_bytes: Gauge,
    jobs_queued: Gauge,
    embed_queue: Gauge,
    /// Searches waiting for or running the query embedder.
    pub(crate) embedding: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("trawl");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let documents = gauge(&mut registry, "index_documents", "Documents in the index");
        let chunks = gauge(&mut registry, "index_chunks", "Chunks in the index");
        let index_bytes = gauge(
            &mut registry,
            "index_size_bytes",
            "Bytes the index directory takes on disk",
        );
        let jobs_queued = gauge(
            &mut registry,
            "upload_jobs_pending",
            "Upload jobs queued or running",
        );
        let embed_queue = gauge(
            &mut registry,
            "embed_queue_depth",
            "Searches waiting for or running the query embedder",
        );
        Self {
            registry,
            requests,
            latency,
            documents,
            chunks,
            index_bytes,
            jobs_queued,
            embed_queue,
            embedding: AtomicI64::new(0),
        }
    }

    pub(crate) fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition, with gauges read now.
    pub(crate) fn render(&self, index: &Index, jobs_pending: usize) -> String {
        let stats = index.stats();
        self.documents.set(stats.documents as i64);
        self.chunks.set(stats.chunks as i64);
        self.index_bytes.set(index.size_on_disk() as i64);
        self.jobs_queued.set(jobs_pending as i64);
        self.embed_queue.set(self.embedding.load(Ordering::Relaxed));
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Counts a search in the embedder's queue while it lives.
pub(crate) struct EmbedSlot<'a>(&'a AtomicI64);

impl<'a> EmbedSlot<'a> {
    pub(crate) fn enter(counter: &'a AtomicI64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for EmbedSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
