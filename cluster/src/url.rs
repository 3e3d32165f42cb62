//! `solr://HOST:PORT[,HOST:PORT...]/COLLECTION`.

use crate::error::{Error, Result};

/// Solr's port when a node names none.
const DEFAULT_PORT: u16 = 8983;

/// A parsed cluster URL: the nodes to try, in order, and the collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    /// `HOST:PORT` of each node, in the URL's order.
    pub nodes: Vec<String>,
    /// The collection's name.
    pub collection: String,
}

impl std::str::FromStr for ClusterUrl {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self> {
        let bad = |reason: &str| Error::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("solr://")
            .ok_or_else(|| bad("it must start with solr://"))?;
        let (hosts, collection) = rest
            .split_once('/')
            .ok_or_else(|| bad("no /COLLECTION after the nodes"))?;
        let collection = collection.trim_end_matches('/');
        if collection.is_empty() {
            return Err(bad("the collection name is empty"));
        }
        if !collection
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(bad(
                "a collection name has only ASCII letters, digits, `_`, `-` and `.`",
            ));
        }
        let mut nodes = Vec::new();
        for node in hosts.split(',') {
            let node = node.trim();
            if node.is_empty() {
                return Err(bad("a node is empty"));
            }
            let (host, port) = match node.rsplit_once(':') {
                Some((host, port)) => {
                    let port: u16 = port
                        .parse()
                        .ok()
                        .filter(|&p| p != 0)
                        .ok_or_else(|| bad(&format!("`{port}` is not a port")))?;
                    (host, port)
                }
                None => (node, DEFAULT_PORT),
            };
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            {
                return Err(bad(&format!("`{host}` is not a host name or IPv4 address")));
            }
            nodes.push(format!("{host}:{port}"));
        }
        Ok(Self {
            nodes,
            collection: collection.to_owned(),
        })
    }
}

impl std::fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "solr://{}/{}", self.nodes.join(","), self.collection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nodes_and_collection() {
        let u: ClusterUrl = "solr://127.0.0.1:18983,127.0.0.1:18984,localhost/passages"
            .parse()
            .unwrap();
        assert_eq!(
            u.nodes,
            ["127.0.0.1:18983", "127.0.0.1:18984", "localhost:8983"]
        );
        assert_eq!(u.collection, "passages");
    }

    #[test]
    fn rejects_malformed() {
        for url in [
            "http://127.0.0.1:8983/passages",
            "solr://127.0.0.1:8983",
            "solr://127.0.0.1:8983/",
            "solr://127.0.0.1:x/passages",
            "solr://127.0.0.1:0/passages",
            "solr://,127.0.0.1:8983/passages",
            "solr://:8983/passages",
            "solr://127.0.0.1:8983/pass ages",
        ] {
            let err = url.parse::<ClusterUrl>().unwrap_err();
            assert!(matches!(err, Error::BadUrl { .. }), "{url}: {err}");
            assert!(err.to_string().contains("solr://HOST:PORT"), "{err}");
        }
    }
}
