//! The keyword arm: a tantivy index with one tantivy document per chunk.

use std::{collections::HashMap, path::Path};

use tantivy::{
    DocAddress, Searcher, TantivyDocument, Term,
    collector::TopDocs,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser},
    query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral},
    schema::{
        FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
        TextOptions, Value,
    },
    snippet::SnippetGenerator,
    tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer},
};

use crate::Result;

/// Analyzer for prose fields, registered on every open (see [`register_analyzers`]).
const TEXT_ANALYZER: &str = "trawl_en";

/// Registers trawl's analyzers on `index`: tantivy stores only their names.
///
/// Prose: split on non-alphanumerics, drop tokens over 40 bytes, lower-case,
/// fold accents (the embedder's tokenizer does too), drop English stop words,
/// Snowball-stem.
pub(crate) fn register_analyzers(index: &tantivy::Index) {
    use tantivy::tokenizer::{
        AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
        StopWordFilter, TextAnalyzer,
    };
    let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::new(Language::English).expect("English stop words are built in"))
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(TEXT_ANALYZER, analyzer);
}

/// Field handles of the keyword schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// Chunk id shared with the vector arm (indexed for deletes, fast for id maps).
    pub(crate) chunk_id: Field,
    /// Document id, indexed raw so a whole document can be deleted or filtered.
    pub(crate) doc_id: Field,
    /// Path of the source file, indexed raw for exact filters.
    pub(crate) path: Field,
    pub(crate) title: Field,
    /// The chunk's text, stored for display and snippets. Indexed too, so
    /// `body:term` queries and phrase searches within the passage work.
    pub(crate) body: Field,
    /// Title, section path and text together, indexed only: the default
    /// search field, so BM25 sees one passage rather than three short fields.
    pub(crate) content: Field,
    /// Heading path of the chunk, e.g. `Leave › Sick leave`.
    pub(crate) section: Field,
    /// 1-based page, 0 when the format has no pages.
    pub(crate) page: Field,
    /// Position of the chunk within its document.
    pub(crate) ordinal: Field,
    /// File type (`pdf`, `markdown`, …), raw, for filters and facets.
    pub(crate) kind: Field,
    pub(crate) tags: Field,
    /// Access groups; [`PUBLIC_GROUP`] when the document is visible to everyone.
    pub(crate) groups: Field,
    pub(crate) custodian: Field,
    pub(crate) author: Field,
    /// Document date (sent date for e-mail), Unix seconds.
    pub(crate) date: Field,
    /// File modification time, Unix seconds.
    pub(crate) modified: Field,
    pub(crate) size: Field,
    pub(crate) sha256: Field,
    /// Containing document of an attachment.
    pub(crate) parent_id: Field,
    /// Further metadata (e-mail headers, …) as a JSON object, stored only.
    pub(crate) extra: Field,
}

/// Group token of documents without access groups. Group names starting with
/// `__` are reserved, so no real group can collide with it.
pub(crate) const PUBLIC_GROUP: &str = "__public__";

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let prose = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        chunk_id: b.add_u64_field("chunk_id", INDEXED | STORED | FAST),
        doc_id: b.add_text_field("doc_id", STRING | STORED | FAST),
        path: b.add_text_field("path", STRING | STORED),
        title: b.add_text_field("title", prose.clone()),
        body: b.add_text_field("body", prose.clone()),
        content: b.add_text_field(
            "content",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT_ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        section: b.add_text_field("section", prose),
        page: b.add_u64_field("page", STORED),
        ordinal: b.add_u64_field("ordinal", STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        tags: b.add_text_field("tags", STRING | STORED),
        groups: b.add_text_field("groups", STRING | STORED),
        custodian: b.add_text_field("custodian", STRING | STORED),
        author: b.add_text_field("author", STRING | STORED),
        date: b.add_i64_field("date", INDEXED | STORED | FAST),
        modified: b.add_i64_field("modified", STORED | FAST),
        size: b.add_u64_field("size", STORED),
        sha256: b.add_text_field("sha256", STRING | STORED),
        parent_id: b.add_text_field("parent_id", STRING | STORED),
        extra: b.add_text_field("extra", STORED),
    };
    (b.build(), fields)
}

/// A chunk as stored in the keyword index.
#[derive(Debug, Clone)]
pub(crate) struct StoredChunk {
    pub(crate) chunk_id: u64,
    pub(crate) doc_id: String,
    pub(crate) path: String,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) section: String,
    pub(crate) page: u64,
    pub(crate) ordinal: u64,
    pub(crate) meta: crate::DocumentMeta,
}

pub(crate) fn read_chunk(
    searcher: &Searcher,
    fields: &Fields,
    addr: DocAddress,
) -> Result<StoredChunk> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let text = |f: Field| {
        doc.get_first(f)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let num = |f: Field| doc.get_first(f).and_then(|v| v.as_u64()).unwrap_or(0);
    let opt_text = |f: Field| Some(text(f)).filter(|s| !s.is_empty());
    let all = |f: Field| {
        doc.get_all(f)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let int = |f: Field| doc.get_first(f).and_then(|v| v.as_i64());
    let meta = crate::DocumentMeta {
        kind: text(fields.kind),
        tags: all(fields.tags),
        groups: all(fields.groups)
            .into_iter()
            .filter(|g| g != PUBLIC_GROUP)
            .collect(),
        custodian: opt_text(fields.custodian),
        author: opt_text(fields.author),
        date: int(fields.date),
        modified: int(fields.modified),
        size: num(fields.size),
        sha256: text(fields.sha256),
        parent_id: opt_text(fields.parent_id),
        extra: opt_text(fields.extra)
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    };
    Ok(StoredChunk {
        chunk_id: num(fields.chunk_id),
        doc_id: text(fields.doc_id),
        path: text(fields.path),
        title: text(fields.title),
        body: text(fields.body),
        section: text(fields.section),
        page: num(fields.page),
        ordinal: num(fields.ordinal),
        meta,
    })
}

/// Where a live chunk is, and which document it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkLoc {
    pub(crate) addr: DocAddress,
    /// Index into [`ChunkMap::doc_ids`].
    pub(crate) doc: u32,
}

/// Every live chunk's address and document, built once per reader snapshot so
/// vector hits resolve and chunks aggregate to documents without doc-store reads.
#[derive(Debug, Default)]
pub(crate) struct ChunkMap {
    pub(crate) chunks: HashMap<u64, ChunkLoc>,
    pub(crate) doc_ids: Vec<String>,
}

pub(crate) fn chunk_map(searcher: &Searcher) -> Result<ChunkMap> {
    let mut map = ChunkMap::default();
    let mut doc_ord: HashMap<String, u32> = HashMap::new();
    let mut name = String::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let ids = segment.fast_fields().u64("chunk_id")?;
        let Some(doc_ids) = segment.fast_fields().str("doc_id")? else {
            continue;
        };
        // Term ordinals are per segment; resolve each once.
        let mut by_term: HashMap<u64, u32> = HashMap::new();
        for doc in 0..segment.max_doc() {
            if segment.is_deleted(doc) {
                continue;
            }
            let (Some(id), Some(term)) = (ids.first(doc), doc_ids.term_ords(doc).next()) else {
                continue;
            };
            let d = match by_term.get(&term) {
                Some(&d) => d,
                None => {
                    name.clear();
                    doc_ids.ord_to_str(term, &mut name).map_err(|e| {
                        crate::Error::Tantivy(tantivy::TantivyError::IoError(std::sync::Arc::new(
                            e,
                        )))
                    })?;
                    let next = map.doc_ids.len() as u32;
                    let d = *doc_ord.entry(name.clone()).or_insert_with(|| {
                        map.doc_ids.push(name.clone());
                        next
                    });
                    by_term.insert(term, d);
                    d
                }
            };
            map.chunks.insert(
                id,
                ChunkLoc {
                    addr: DocAddress::new(ord as u32, doc),
                    doc: d,
                },
            );
        }
    }
    Ok(map)
}

/// Weight of a title match on top of the combined `content` field.
const TITLE_BOOST: f32 = 0.3;

pub(crate) fn query_parser(index: &tantivy::Index, fields: &Fields) -> QueryParser {
    let mut parser = QueryParser::for_index(index, vec![fields.content, fields.title]);
    // Measured on SciFact train (title + abstract): BM25 over one combined
    // field scores 0.679 nDCG@10, separate title/body fields with the title
    // boosted 2× only 0.610 (short-field BM25 over-rewards title words); a
    // light extra title match on top of the combined field is best (0.685).
    parser.set_field_boost(fields.title, TITLE_BOOST);
    parser
}

/// BM25's saturation parameter in tantivy (`k1`); a term's score never exceeds `idf · (k1 + 1)`.
const BM25_K1: f32 = 1.2;

/// The most any passage could score for `query` under BM25: for each distinct term, its IDF
/// times the saturation ceiling `k1 + 1`, times its field's boost (the light title match).
///
/// Why: a BM25 score means nothing on its own (it grows with the query's length and its words'
/// rarity), but its share of what the query could score at best does: a passage matching one
/// common word of a long question gets a small share, one matching every rare word a large one.
/// Dividing by this is what lets keyword scores be fused on a scale that means the same from one
/// query to the next, where min-max over the hits would make any best hit 1.0.
pub(crate) fn score_ceiling(searcher: &Searcher, query: &dyn Query, fields: &Fields) -> f32 {
    let mut seen = std::collections::HashSet::new();
    let mut ceiling = 0.0f32;
    let docs = searcher.num_docs();
    query.query_terms(&mut |term, _| {
        if !seen.insert(term.clone()) {
            return;
        }
        let boost = if term.field() == fields.title {
            TITLE_BOOST
        } else if term.field() == fields.content || term.field() == fields.body {
            1.0
        } else {
            return;
        };
        let df = searcher.doc_freq(term).unwrap_or(0);
        let idf = (1.0 + (docs as f32 - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
        ceiling += boost * idf * (BM25_K1 + 1.0);
    });
    ceiling
}

/// Longest edit distance a fuzzy term may ask for; `term~5` is treated as `term~2`
/// (longer distances match nearly every short word and cost a full term-dictionary scan).
const MAX_FUZZY_DISTANCE: u32 = 2;

/// Contraction and possessive endings dropped with their apostrophe (`contract's` → `contract`,
/// `I'm` → `I`), as the analyzer would otherwise index them as words of their own.
const APOSTROPHE_SUFFIXES: [&str; 7] = ["s", "m", "t", "re", "ve", "ll", "d"];

/// Reads what a person typed as they meant it before the query grammar sees it.
///
/// Why: tantivy's grammar takes `'` as the start of a quoted phrase, only ASCII spaces as
/// spaces and a lone `-` as a negation, so a plain question went wrong in three ways: "what is
/// the contract's term?" searched for the phrase `s term`, a no-break space (common in pasted
/// text) glued two words into one, and "sick leave - can I donate?" excluded "can". Outside
/// double-quoted phrases this turns every Unicode space into a space, drops an apostrophe inside
/// a word with its contraction ending (or splits the word there), and drops a dash standing
/// alone. Deliberate syntax is kept: `'a phrase'` after a space, `-word`, `"…"`.
pub fn plain_query(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_phrase = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        if c == '"' {
            in_phrase = !in_phrase;
            out.push(c);
        } else if c.is_whitespace() {
            out.push(' ');
        } else if in_phrase {
            out.push(c);
        } else if matches!(c, '\'' | '\u{2019}')
            && prev.is_some_and(char::is_alphanumeric)
            && next.is_some_and(char::is_alphanumeric)
        {
            let end = (i + 1..chars.len())
                .find(|&j| !chars[j].is_alphanumeric())
                .unwrap_or(chars.len());
            let suffix: String = chars[i + 1..end].iter().collect::<String>().to_lowercase();
            if APOSTROPHE_SUFFIXES.contains(&suffix.as_str()) {
                i = end;
                continue;
            }
            out.push(' ');
        } else if c == '-'
            && prev.is_none_or(char::is_whitespace)
            && next.is_none_or(char::is_whitespace)
        {
            out.push(' ');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Parses `text` leniently: syntax errors degrade to the parts that parse
/// instead of failing the search. A single unquoted word with `~N` is a fuzzy
/// term (edit distance N, at most 2) and one with `*` a prefix; tantivy's parser
/// reads the first as a plain term and rejects the second, so those leaves are
/// built here and the rest left to the parser.
pub(crate) fn parse(index: &tantivy::Index, parser: &QueryParser, text: &str) -> Box<dyn Query> {
    let text = plain_query(text);
    let (ast, errors) = tantivy::query_grammar::parse_query_lenient(&text);
    if !errors.is_empty() {
        tracing::debug!(?errors, query = text, "query parsed leniently");
    }
    build(index, parser, ast)
}

pub(crate) fn build(
    index: &tantivy::Index,
    parser: &QueryParser,
    ast: UserInputAst,
) -> Box<dyn Query> {
    if !has_fuzzy(&ast) {
        return parser.build_query_from_user_input_ast_lenient(ast).0;
    }
    match ast {
        UserInputAst::Clause(clauses) => Box::new(BooleanQuery::new(
            clauses
                .into_iter()
                .map(|(occur, ast)| (occur.unwrap_or(Occur::Should), build(index, parser, ast)))
                .collect(),
        )),
        UserInputAst::Boost(inner, boost) => Box::new(BoostQuery::new(
            build(index, parser, *inner),
            boost.into_inner() as f32,
        )),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(lit) => match fuzzy(index, &lit) {
                Some(q) => q,
                None => {
                    parser
                        .build_query_from_user_input_ast_lenient(UserInputAst::Leaf(Box::new(
                            UserInputLeaf::Literal(lit),
                        )))
                        .0
                }
            },
            other => {
                parser
                    .build_query_from_user_input_ast_lenient(UserInputAst::Leaf(Box::new(other)))
                    .0
            }
        },
    }
}

/// How a single unquoted word is expanded, which tantivy's parser does not
/// do itself: it reads `word~N` as a plain term, and its prefix support needs a
/// phrase of two words (its lenient grammar even leaves `word*` as the text).
#[derive(Debug, Clone, PartialEq)]
enum Expansion {
    /// Terms within this edit distance.
    Fuzzy(String, u32),
    /// Terms starting with the word.
    Prefix(String),
}

fn expansion(lit: &UserInputLiteral) -> Option<Expansion> {
    if lit.delimiter != Delimiter::None {
        return None;
    }
    if lit.prefix {
        return Some(Expansion::Prefix(lit.phrase.clone()));
    }
    if lit.slop > 0 {
        return Some(Expansion::Fuzzy(lit.phrase.clone(), lit.slop));
    }
    if let Some(word) = lit.phrase.strip_suffix('*')
        && !word.is_empty()
        && !word.ends_with('*')
    {
        return Some(Expansion::Prefix(word.to_string()));
    }
    let (word, distance) = lit.phrase.rsplit_once('~')?;
    if word.is_empty() || distance.is_empty() || !distance.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // A distance too long for u32 is absurd anyway; it is capped like any other.
    let distance = distance.parse().unwrap_or(u32::MAX);
    (distance > 0).then(|| Expansion::Fuzzy(word.to_string(), distance))
}

fn is_expanded(lit: &UserInputLiteral) -> bool {
    expansion(lit).is_some()
}

fn has_fuzzy(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().any(|(_, c)| has_fuzzy(c)),
        UserInputAst::Boost(inner, _) => has_fuzzy(inner),
        UserInputAst::Leaf(leaf) => matches!(&**leaf, UserInputLeaf::Literal(l) if is_expanded(l)),
    }
}

/// The expansion of `word~N` (fuzzy) or `word*` (prefix) over its field (or
/// the default fields, with their boosts), or `None` when the word does not
/// analyze to exactly one term.
fn fuzzy(index: &tantivy::Index, lit: &UserInputLiteral) -> Option<Box<dyn Query>> {
    let expansion = expansion(lit)?;
    let schema = index.schema();
    let fields: Vec<(Field, f32)> = match &lit.field_name {
        Some(name) => vec![(schema.get_field(name).ok()?, 1.0)],
        // The parser's default fields and boosts: content, plus a light title match.
        None => {
            let content = schema.get_field("content").ok()?;
            let title = schema.get_field("title").ok()?;
            vec![(content, 1.0), (title, TITLE_BOOST)]
        }
    };
    let (word, prefix, distance) = match &expansion {
        Expansion::Fuzzy(w, d) => (w.as_str(), false, (*d).min(MAX_FUZZY_DISTANCE) as u8),
        Expansion::Prefix(w) => (w.as_str(), true, 0),
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in fields {
        let mut analyzer = index.tokenizer_for_field(field).ok()?;
        let [term] = tokens(&mut analyzer, word).try_into().ok()?;
        let mut variants = vec![term];
        if prefix {
            // A word's beginning may stem differently from the word ("runn" vs
            // "running" → "run"), so also try it only lowercased and folded.
            let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build();
            if let Ok([raw]) = <[String; 1]>::try_from(tokens(&mut plain, word))
                && raw != variants[0]
            {
                variants.push(raw);
            }
        }
        if prefix {
            // The index holds stems, and a stem can be shorter than the
            // prefix typed ("terminat*" → words stemmed to "termin"): also
            // match, exactly, stems the prefix extends by up to 3 letters
            // (at least 4 letters long).
            let chars: Vec<char> = variants[variants.len() - 1].chars().collect();
            for cut in 1..=3usize {
                if chars.len() >= cut + 4 {
                    let stem: String = chars[..chars.len() - cut].iter().collect();
                    let term = Term::from_field_text(field, &stem);
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(term, 0, true)),
                            boost,
                        )),
                    ));
                }
            }
        }
        for text in variants {
            let term = Term::from_field_text(field, &text);
            let query = if prefix {
                FuzzyTermQuery::new_prefix(term, 0, true)
            } else {
                FuzzyTermQuery::new(term, distance, true)
            };
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), boost)),
            ));
        }
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

pub(crate) fn search(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<Vec<(u64, f32)>> {
    let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let ids = searcher
            .segment_reader(addr.segment_ord)
            .fast_fields()
            .u64("chunk_id")?;
        if let Some(id) = ids.first(addr.doc_id) {
            out.push((id, score));
        }
    }
    Ok(out)
}

/// Chunk ids of every live chunk of `doc_id`.
pub(crate) fn chunks_of(searcher: &Searcher, fields: &Fields, doc_id: &str) -> Result<Vec<u64>> {
    let term = Term::from_field_text(fields.doc_id, doc_id);
    let query = tantivy::query::TermQuery::new(term, IndexRecordOption::Basic);
    let docs = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
    let mut out = Vec::with_capacity(docs.len());
    for addr in docs {
        let ids = searcher
            .segment_reader(addr.segment_ord)
            .fast_fields()
            .u64("chunk_id")?;
        out.extend(ids.first(addr.doc_id));
    }
    Ok(out)
}

/// A highlighted passage: plain text plus HTML with `<mark>` around matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snippet {
    pub(crate) text: String,
    pub(crate) html: String,
}

pub(crate) fn snippet(
    generator: Option<&SnippetGenerator>,
    body: &str,
    max_chars: usize,
) -> Snippet {
    if let Some(generator) = generator {
        let s = generator.snippet(body);
        if !s.fragment().is_empty() && !s.highlighted().is_empty() {
            return Snippet {
                text: s.fragment().to_owned(),
                html: highlight_html(s.fragment(), s.highlighted()),
            };
        }
    }
    // No keyword matched (a semantic hit): show the start of the passage.
    let text = truncate_chars(body.trim(), max_chars);
    Snippet {
        html: escape_html(&text),
        text,
    }
}

pub(crate) fn snippet_generator(
    searcher: &Searcher,
    query: &dyn Query,
    field: Field,
    max_chars: usize,
) -> Option<SnippetGenerator> {
    let mut generator = SnippetGenerator::create(searcher, query, field).ok()?;
    generator.set_max_num_chars(max_chars);
    Some(generator)
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => {
            // Prefer ending on a word boundary.
            let head = &text[..cut];
            let end = head
                .rfind(char::is_whitespace)
                .filter(|&i| i > cut / 2)
                .unwrap_or(cut);
            format!("{}…", head[..end].trim_end())
        }
        None => text.to_owned(),
    }
}

fn highlight_html(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + ranges.len() * 13);
    let mut pos = 0;
    for r in ranges {
        if r.start < pos || r.end > fragment.len() {
            continue;
        }
        out.push_str(&escape_html(&fragment[pos..r.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&fragment[r.clone()]));
        out.push_str("</mark>");
        pos = r.end;
    }
    out.push_str(&escape_html(&fragment[pos..]));
    out
}

/// `text` with HTML's special characters escaped (snippets are shown as HTML).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn ensure_dir(path: &Path) -> Result<()> {
    use crate::error::IoContext;
    std::fs::create_dir_all(path).at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_escapes_text_and_marks_ranges() {
        let html = highlight_html("a <b> & leave", &[std::ops::Range { start: 8, end: 13 }]);
        assert_eq!(html, "a &lt;b&gt; &amp; <mark>leave</mark>");
    }

    #[test]
    fn plain_questions_read_as_typed() {
        assert_eq!(
            plain_query("On what date will the contract's initial term expire?"),
            "On what date will the contract initial term expire?"
        );
        assert_eq!(plain_query("I\u{2019}m giving"), "I giving");
        assert_eq!(plain_query("O'Brien v. Smith"), "O Brien v. Smith");
        assert_eq!(
            plain_query("any\u{a0} warranty\u{2003}term"),
            "any  warranty term"
        );
        assert_eq!(
            plain_query("a long illness - can coworkers help -"),
            "a long illness   can coworkers help  "
        );
        // Deliberate syntax stays.
        for q in [
            "'exact phrase' -excluded",
            "\"the party's consent\" AND notice",
            "non-compete",
            "title:leave",
        ] {
            assert_eq!(plain_query(q), q);
        }
    }

    #[test]
    fn truncation_ends_on_a_word() {
        assert_eq!(truncate_chars("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(truncate_chars("short", 12), "short");
        // Multi-byte characters are never split.
        assert_eq!(truncate_chars("ééééé", 3), "ééé…");
    }
}
