//! The metadata filter every listing takes (search, similar, documents, facets, terms, the
//! CLI's flags), declared once ([`filter_fields!`](crate::filter_fields)) and parsed and
//! validated once ([`FilterSpec::filter`]), so the surfaces cannot drift apart.

use serde::{Deserialize, Serialize};
use trawl_search::Filter;

use crate::Error;

/// The filter fields as given: comma-separated lists and `YYYY-MM-DD` dates, unparsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSpec {
    /// File types, comma-separated (`pdf,docx`).
    pub kind: Option<String>,
    /// Tags, comma-separated; a document needs any one of them.
    pub tag: Option<String>,
    /// Custodians, comma-separated.
    pub custodian: Option<String>,
    /// Path prefix, relative to the indexed folder.
    pub path: Option<String>,
    /// Earliest document date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest document date, `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// Earliest file modification date, `YYYY-MM-DD`.
    pub modified_from: Option<String>,
    /// Latest file modification date, `YYYY-MM-DD` (inclusive).
    pub modified_to: Option<String>,
}

impl FilterSpec {
    /// The search filter these fields describe; a malformed date or a range that ends before
    /// it starts is an `invalid_date` error.
    pub fn filter(&self) -> Result<Filter, Error> {
        let date = |v: &Option<String>, end_of_day: bool| -> Result<Option<i64>, Error> {
            // Exactly the form the OpenAPI pattern states: empty, or a calendar date without
            // surrounding space.
            match v.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => parse_date(s)
                    .map(|t| Some(if end_of_day { t + 86_399 } else { t }))
                    .ok_or_else(|| {
                        Error::invalid("invalid_date", format!("{s:?} is not a date (YYYY-MM-DD)"))
                    }),
            }
        };
        let filter = Filter {
            kinds: list(&self.kind),
            tags: list(&self.tag),
            custodians: list(&self.custodian),
            path_prefix: self.path.clone().filter(|p| !p.trim().is_empty()),
            date_from: date(&self.from, false)?,
            date_to: date(&self.to, true)?,
            modified_from: date(&self.modified_from, false)?,
            modified_to: date(&self.modified_to, true)?,
        };
        let ranges = [
            ("from", filter.date_from, "to", filter.date_to),
            (
                "modified_from",
                filter.modified_from,
                "modified_to",
                filter.modified_to,
            ),
        ];
        for (a_name, a, b_name, b) in ranges {
            if let (Some(a), Some(b)) = (a, b)
                && a > b
            {
                return Err(Error::invalid(
                    "invalid_date",
                    format!("{a_name} is after {b_name}"),
                ));
            }
        }
        Ok(filter)
    }
}

/// A request type that carries the shared filter fields.
pub trait Filtered {
    /// The filter fields as given.
    fn filter_spec(&self) -> FilterSpec;

    /// Replaces the filter fields.
    fn set_filter_spec(&mut self, spec: FilterSpec);
}

/// Declares a request struct with the shared filter fields appended (documented once, here),
/// implements [`Filtered`] for it, and gives it `filter()`: the parsed, checked filter.
#[macro_export]
macro_rules! filter_fields {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// File types, comma-separated (`pdf,docx`).
            #[serde(default)]
            pub kind: Option<String>,
            /// Tags, comma-separated; a document needs any one of them.
            #[serde(default)]
            pub tag: Option<String>,
            /// Custodians, comma-separated.
            #[serde(default)]
            pub custodian: Option<String>,
            /// Path prefix, relative to the indexed folder.
            #[serde(default)]
            pub path: Option<String>,
            /// Earliest document date, `YYYY-MM-DD` (a real calendar date; empty for none).
            #[serde(default)]
            #[schema(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            #[param(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            pub from: Option<String>,
            /// Latest document date, `YYYY-MM-DD` (inclusive).
            #[serde(default)]
            #[schema(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            #[param(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            pub to: Option<String>,
            /// Earliest file modification date, `YYYY-MM-DD`.
            #[serde(default)]
            #[schema(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            #[param(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            pub modified_from: Option<String>,
            /// Latest file modification date, `YYYY-MM-DD` (inclusive).
            #[serde(default)]
            #[schema(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            #[param(pattern = r"^$|^((000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)$")]
            pub modified_to: Option<String>,
        }

        impl $name {
            /// The metadata filter these parameters describe, parsed and checked.
            pub fn filter(&self) -> Result<trawl_search::Filter, $crate::Error> {
                $crate::filter::Filtered::filter_spec(self).filter()
            }
        }

        impl $crate::filter::Filtered for $name {
            fn filter_spec(&self) -> $crate::filter::FilterSpec {
                $crate::filter::FilterSpec {
                    kind: self.kind.clone(),
                    tag: self.tag.clone(),
                    custodian: self.custodian.clone(),
                    path: self.path.clone(),
                    from: self.from.clone(),
                    to: self.to.clone(),
                    modified_from: self.modified_from.clone(),
                    modified_to: self.modified_to.clone(),
                }
            }

            fn set_filter_spec(&mut self, spec: $crate::filter::FilterSpec) {
                self.kind = spec.kind;
                self.tag = spec.tag;
                self.custodian = spec.custodian;
                self.path = spec.path;
                self.from = spec.from;
                self.to = spec.to;
                self.modified_from = spec.modified_from;
                self.modified_to = spec.modified_to;
            }
        }
    };
}

/// A comma-separated parameter's values.
pub(crate) fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `YYYY-MM-DD` → Unix seconds at midnight UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    // The indexer's parser also takes times; filters take plain dates only.
    let plain = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    plain.then(|| trawl_indexer::parse_date(s)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_once_for_every_range() {
        let spec = |from: &str, to: &str| FilterSpec {
            modified_from: Some(from.into()),
            modified_to: Some(to.into()),
            ..FilterSpec::default()
        };
        assert_eq!(
            spec("2024-02-01", "2024-01-01")
                .filter()
                .unwrap_err()
                .code(),
            "invalid_date"
        );
        assert_eq!(
            spec("2024-13-01", "").filter().unwrap_err().code(),
            "invalid_date"
        );
        let f = spec("2024-01-01", "2024-01-01").filter().unwrap();
        assert_eq!(f.modified_to.unwrap() - f.modified_from.unwrap(), 86_399);
        let f = FilterSpec {
            kind: Some(" pdf, ,docx".into()),
            ..FilterSpec::default()
        };
        assert_eq!(f.filter().unwrap().kinds, ["pdf", "docx"]);
    }
}
