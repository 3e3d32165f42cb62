//! Whether a text states what a question's [`Focus`] asks for: the detectors of numbers,
//! dates, times of day, money, percentages, phone numbers, places, jurisdictions, addresses and
//! people, with their word lists. Kept apart from reading the question (`focus`) because `ask`
//! also asks it of whole passages and of the model's answer.

use std::collections::HashSet;

use crate::ask::guard::MONTHS;
use crate::ask::text::{content_words, is_stopword, is_year, words};

use super::focus::{Focus, TIME_UNITS};
use super::names::{is_name, mentions, opens_sentence};

pub(super) const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Whether a text gives something for each `unit`: "per mile", "a mile", "each mile",
/// "/mile", "every mile" (or their plurals), or the unit's adverb ("4 hours … weekly").
fn per_unit(lower: &str, unit: &str) -> bool {
    let adverbs: &[&str] = match unit {
        "hour" => &["hourly"],
        "day" => &["daily"],
        "week" => &["weekly"],
        "month" => &["monthly"],
        "year" => &["yearly", "annually", "annual"],
        _ => &[],
    };
    adverbs.iter().any(|a| mentions(lower, a))
        || ["per ", "a ", "an ", "each ", "every ", "/"]
            .iter()
            .any(|p| {
                [unit.to_string(), format!("{unit}s")].iter().any(|u| {
                    lower.match_indices(&format!("{p}{u}")).any(|(i, m)| {
                        let before = lower[..i].chars().next_back();
                        let after = lower[i + m.len()..].chars().next();
                        (p.starts_with('/') || !before.is_some_and(char::is_alphanumeric))
                            && !after.is_some_and(char::is_alphanumeric)
                    })
                })
            })
}

/// Words that say how often ("a weekly report", "twice a year" is a quantity already).
const FREQUENCY_WORDS: &[&str] = &[
    "daily",
    "weekly",
    "biweekly",
    "fortnightly",
    "monthly",
    "bimonthly",
    "quarterly",
    "annually",
    "yearly",
    "semiannually",
    "semi-annually",
    "hourly",
];

/// Whether `text` names a place: one of [`JURISDICTIONS`], or a city written with its state
/// ("Canton, Ohio" is the first; "Kansas City, MO", "Boulder, CO").
fn names_a_place(text: &str) -> bool {
    const STATE_CODES: &[&str] = &[
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC",
    ];
    let capitalized = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    // a street address: "450 Golden Gate", "1800 F Street"
    let street = |w: &[&str]| {
        let number = w[0];
        (1..=5).contains(&number.len())
            && number.chars().all(|c| c.is_ascii_digit())
            && !is_year(number)
            && capitalized(w[1])
            && !MONTHS.contains(&w[1].to_lowercase().trim_end_matches([',', '.']))
    };
    names_a_jurisdiction(&text.to_lowercase())
        || tokens.windows(2).any(|w| {
            let code = w[1].trim_end_matches(|c: char| !c.is_alphanumeric());
            w[0].ends_with(',') && capitalized(w[0]) && STATE_CODES.contains(&code)
        })
        || tokens.windows(2).any(street)
}

/// US states and the countries and provinces contracts most often choose, lower-cased.
const JURISDICTIONS: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
    "england",
    "wales",
    "scotland",
    "ireland",
    "united kingdom",
    "canada",
    "ontario",
    "quebec",
    "british columbia",
    "alberta",
    "germany",
    "france",
    "netherlands",
    "luxembourg",
    "switzerland",
    "sweden",
    "spain",
    "italy",
    "japan",
    "china",
    "hong kong",
    "singapore",
    "india",
    "israel",
    "australia",
    "new zealand",
    "mexico",
    "brazil",
    "cayman islands",
    "bermuda",
    "korea",
    "taiwan",
];

/// Whether a text names one of [`JURISDICTIONS`].
fn names_a_jurisdiction(lower: &str) -> bool {
    let padded: String = lower
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let padded = format!(
        " {} ",
        padded.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    JURISDICTIONS
        .iter()
        .any(|j| padded.contains(&format!(" {j} ")))
}

/// Whether words state an amount of money: "$191,900", "RMB 500", "55 dollars", "€20".
fn money(ws: &[String]) -> bool {
    const CURRENCIES: &[&str] = &[
        "dollar", "usd", "rmb", "eur", "euro", "cent", "pound", "gbp", "yuan",
    ];
    let currency = |w: Option<&String>| {
        w.is_some_and(|w| {
            CURRENCIES.contains(&stem(w.trim_matches(|c: char| !c.is_alphanumeric())).as_str())
        })
    };
    ws.iter().enumerate().any(|(i, w)| {
        let signed = (w.contains(['$', '€', '£', '¥']) && w.chars().any(|c| c.is_ascii_digit()))
            || without_currency_code(w) != w.as_str();
        signed
            || (is_number(w)
                && w != "a"
                && (currency(ws.get(i + 1)) || (i > 0 && currency(ws.get(i - 1)))))
    })
}

pub(super) fn stem(w: &str) -> String {
    let w = w.trim_end_matches("'s");
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Currency codes a contract may glue to its figure ("RMB1 million", "USD500").
const CURRENCY_CODES: &[&str] = &[
    "rmb", "usd", "us$", "eur", "gbp", "cad", "aud", "jpy", "krw", "inr", "chf", "cny", "hkd",
];

/// `word` without a currency code glued to its figure: "RMB1" is "1", "RMB" stays.
fn without_currency_code(word: &str) -> &str {
    CURRENCY_CODES
        .iter()
        .find_map(|code| {
            let rest = word.get(code.len()..)?;
            (word[..code.len()].eq_ignore_ascii_case(code)
                && rest.starts_with(|c: char| c.is_ascii_digit()))
            .then_some(rest)
        })
        .unwrap_or(word)
}

/// Whether a word is a number: digits (with separators, a currency sign or code, or a
/// percent sign) or a number word.
fn is_number(w: &str) -> bool {
    let t = without_currency_code(w.trim_matches(|c: char| "$€£%(),.#".contains(c)));
    // "H1" and "COVID-19" are names, not figures ("#1810" is a code)
    t.chars().next().is_some_and(|c| c.is_ascii_digit())
        || matches!(
            t,
            "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "ten"
                | "eleven"
                | "twelve"
                | "fifteen"
                | "twenty"
                | "thirty"
                | "forty"
                | "fifty"
                | "sixty"
                | "ninety"
                | "hundred"
                | "a"
        )
}

/// `text` without what the question already gives for its focus, which answers nothing: for
/// a date, the months and years the question names ("On what date did 18F submit … responding
/// to the October 2016 evaluation?" is not answered by "In October of 2016, the IG released…").
/// (A person the question names is left out by [`names_someone`].)
pub(super) fn without_given(question: &str, focus: &Focus, text: &str) -> String {
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let asked: HashSet<String> = question.split_whitespace().map(key).collect();
    let given = |k: &str| match focus {
        Focus::Date | Focus::When | Focus::Deadline => {
            asked.contains(k) && (MONTHS.contains(&k) || is_year(k))
        }
        // "in Chicago, which office…": the place the question is in is not the one it asks
        Focus::Place => asked.contains(k),
        _ => false,
    };
    text.split_whitespace()
        .filter(|w| !given(&key(w)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` states what `focus` asks for.
pub(crate) fn states_focus(focus: &Focus, text: &str) -> bool {
    let lower = text.to_lowercase();
    let ws: Vec<String> = lower
        .split(|c: char| c.is_whitespace() || c == '/' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        // "8.13 No SRAM Product Warranty Issues", "11.1 Dispute Resolution": a heading's
        // number is no figure, no count and no length of time
        .skip(usize::from(opens_with_section_number(text)))
        .collect();
    // `counted`: a count of things ("6 free sessions"), where "a paid editor seat" counts none;
    // a length of time may be "a year"
    let quantity_of = |units: &[&str], counted: bool| {
        ws.iter().enumerate().any(|(i, w)| {
            // "12 weeks", "12-week", "13 days (104 hours)", "one year", "a year"
            // a range ("3-5", "6-7") is a number; "12-week" is a number and its unit
            let (num, unit_at) = match w.split_once('-') {
                Some((n, u)) if is_number(n) && is_number(u) => (true, None),
                Some((n, u)) if is_number(n) && !u.is_empty() => (true, Some(u.to_string())),
                _ => (is_number(w) && w != "a", None),
            };
            let a_unit = !counted && (w == "a" || w == "an" || w == "every" || w == "each");
            // "this 23rd day of December" dates; an ordinal counts no time
            if !(num || a_unit) || is_ordinal(w.trim_end_matches([',', '.'])) {
                return false;
            }
            let next: Vec<String> = match unit_at {
                Some(u) => vec![u],
                // "15 Military Leave days": the unit may follow a few words on
                None => ws[i + 1..ws.len().min(i + 4)]
                    .iter()
                    // "upon one year's prior written notice"
                    .map(|x| {
                        without_possessive(x.trim_matches(|c: char| !c.is_alphanumeric()))
                            .to_string()
                    })
                    .collect(),
            };
            next.iter().any(|n| {
                // "eight person-hours": a compound's last part is its unit
                let s = stem(n.rsplit('-').next().unwrap_or(n));
                units.iter().any(|u| {
                    let first = u.split(' ').next().unwrap_or(u);
                    // "a second opinion" is no length of time; "one 15 second spot" is
                    (s == first || s == *u) && (num || *u != "second")
                })
            }) && (num || !next.is_empty())
        })
    };
    let quantity = |units: &[&str]| quantity_of(units, false);
    match focus {
        // "how long is the probation period?" is not answered by "up to three days per week":
        // a rate is no length of time
        Focus::Quantity(units) if asks_length_of_time(units) => {
            let rateless = without_rates(text);
            if rateless.len() < text.len() {
                states_focus(focus, &rateless)
            } else {
                quantity(units)
            }
        }
        Focus::Quantity(units) => quantity(units),
        Focus::Ahead(units) => quantity(units) && ws.iter().any(|w| says_ahead(w)),
        Focus::Count(noun) => quantity_of(&[noun.as_str()], true),
        Focus::Figure => figure(&ws),
        Focus::Money => money(&ws),
        // a time expression: any digit is not one ("bill at least 32 people")
        Focus::When => {
            ws.iter().any(|w| {
                let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                (MONTHS.contains(&t) && t != "may") || is_weekday(t) || is_year(t)
            }) || lower.split_whitespace().any(is_numeric_date)
                || states_time_of_day(&ws)
                || quantity(TIME_UNITS)
                || states_an_occasion(&lower)
        }
        Focus::Date => {
            ws.iter().enumerate().any(|(i, w)| {
                let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                // "may" is a month only beside a number ("May 1", "1 May")
                let dated = || {
                    ws.get(i + 1).is_some_and(|n| is_number(n)) || (i > 0 && is_number(&ws[i - 1]))
                };
                // "the 10th of every month": a day of the month
                let day_of_month = || {
                    is_ordinal(t)
                        && ws.get(i + 1).is_some_and(|n| n == "of")
                        && ws[i + 2..ws.len().min(i + 5)].iter().any(|n| {
                            let n = n.trim_matches(|c: char| !c.is_alphanumeric());
                            n == "month" || MONTHS.contains(&n)
                        })
                };
                (MONTHS.contains(&t) && (t != "may" || dated())) || is_weekday(t) || day_of_month()
            }) || lower.split_whitespace().any(is_numeric_date)
                || states_time_of_day(&ws)
        }
        // "5 percent", "five per cent"; "a percentage of each paycheck" gives none
        Focus::Time => states_time_of_day(&ws),
        Focus::Frequency => {
            quantity(TIME_UNITS)
                || ws.iter().any(|w| {
                    let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                    // "bi-monthly", "semi-annually"
                    FREQUENCY_WORDS.contains(&t)
                        || FREQUENCY_WORDS.contains(&t.replace('-', "").as_str())
                })
        }
        Focus::Notice => {
            // a length of time within five words before "notice", or "notice of N …"
            let duration = |words: &[String]| {
                states_focus(&Focus::Quantity(TIME_UNITS.to_vec()), &words.join(" "))
            };
            (0..ws.len()).any(|i| {
                ws[i].trim_matches(|c: char| !c.is_alphanumeric()) == "notice"
                    && (duration(&ws[i.saturating_sub(5)..i])
                        || (ws.get(i + 1).is_some_and(|w| w == "of")
                            && duration(&ws[i + 1..ws.len().min(i + 6)])))
            })
        }
        Focus::Deadline => {
            states_focus(&Focus::Date, text)
                && (ws.iter().any(|w| {
                    matches!(
                        w.trim_matches(|c: char| !c.is_alphanumeric()),
                        "by" | "before" | "due" | "until" | "deadline"
                    )
                }) || lower.contains("no later than"))
        }
        Focus::Percent => {
            // "7%", "7 %"; a blank left for the figure ("a sum equal to % of") states none
            ws.iter().enumerate().any(|(i, w)| {
                let next = |k: usize| ws.get(i + k).map_or("", String::as_str);
                (w.contains('%')
                    && (w.chars().any(|c| c.is_ascii_digit())
                        || (i > 0 && w.starts_with('%') && is_number(&ws[i - 1]))))
                    || (is_number(w)
                        && ((next(1).starts_with("percent") && !next(1).starts_with("percentage"))
                            || (next(1) == "per" && next(2).starts_with("cent"))))
            })
        }
        Focus::Phone => has_phone_number(&lower),
        // "Suite 207, Coquitlam, British Columbia" names a province but no governing law
        Focus::Jurisdiction => {
            names_a_jurisdiction(&lower)
                && LAW_WORDS
                    .iter()
                    .any(|l| ws.iter().any(|w| w.starts_with(l)))
        }
        Focus::Address => ws.iter().any(|w| is_address(w)),
        Focus::Place => names_a_place(text),
        Focus::Header(field) => lower.trim_start().starts_with(&field.to_lowercase()),
        Focus::Person(names) => names_someone(text, names),
        Focus::Per { unit, money: true } => money(&ws) && per_unit(&lower, unit),
        Focus::Per { unit, money: false } => figure(&ws) && per_unit(&lower, unit),
        Focus::Open => true,
    }
}

/// Whether a word (punctuation aside) places a length of time ahead of something: "prior",
/// "in advance", "notice", …
fn says_ahead(word: &str) -> bool {
    matches!(
        word.trim_matches(|c: char| !c.is_alphanumeric()),
        "advance" | "ahead" | "prior" | "before" | "beforehand" | "early" | "earlier" | "notice"
    )
}

/// Whether `text` states what `question` asks (its `focus`), leaving out what the question
/// gives ([`without_given`]) and, for a length of time, a lead time: "each renewal term" is
/// not "notice not later than six (6) months prior to the expiration", unless the question
/// asks how far before.
pub(super) fn states_asked(question: &str, focus: &Focus, text: &str) -> bool {
    let text = without_given(question, focus, text);
    if matches!(focus, Focus::Figure | Focus::Money)
        && asks_for_a_most(question)
        && states_a_cap(&text)
    {
        return true;
    }
    let asks_length = matches!(focus, Focus::Quantity(units) if units.contains(&"month"));
    if !asks_length
        || words(&question.to_lowercase())
            .iter()
            .any(|w| says_ahead(w))
    {
        return states_focus(focus, &text);
    }
    // the text with every "six (6) months prior" left out
    let ws: Vec<&str> = text.split_whitespace().collect();
    let mut kept = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let ahead = is_number(ws[i])
            .then(|| (i + 1..ws.len().min(i + 5)).find(|&j| says_ahead(ws[j])))
            .flatten();
        match ahead {
            Some(j) => i = j + 1,
            None => {
                kept.push(ws[i]);
                i += 1;
            }
        }
    }
    states_focus(focus, &kept.join(" "))
}

/// Whether a figure question asks for the most something may be ("what is the most Chase can
/// be liable for", "the cap on liability", "the maximum fee").
fn asks_for_a_most(question: &str) -> bool {
    let ws = words(&question.to_lowercase());
    ws.windows(2).any(|w| w[0] == "the" && w[1] == "most")
        || ws
            .iter()
            .any(|w| matches!(w.as_str(), "maximum" | "cap" | "capped" | "ceiling"))
}

/// Whether a contract sentence caps an amount by what it may not exceed, in words: "shall in
/// no event exceed the total Commissions paid…" states the most there is, though it has no
/// figure. A cap that is redacted ("shall not exceed [***]") or a figure (stated as one) is
/// not this.
fn states_a_cap(text: &str) -> bool {
    let ws: Vec<&str> = text.split_whitespace().collect();
    ws.windows(3).any(|w| {
        w[0].to_lowercase().starts_with("exceed")
            && ["the", "an", "any", "all", "amounts", "fees", "one"]
                .contains(&w[1].to_lowercase().as_str())
            && w[2].chars().next().is_some_and(char::is_alphabetic)
    })
}

/// Whether a sentence says when by an occasion rather than a date ("update the README upon a
/// new project phase, like the end of discovery", "at the start of each project").
fn states_an_occasion(lower: &str) -> bool {
    [
        "upon ",
        "after ",
        "once ",
        "whenever ",
        "as soon as ",
        "at the end of ",
        "at the start of ",
        "at the beginning of ",
        "prior to ",
        "following ",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// Words one of which a sentence that states a governing law or a forum uses.
pub(super) const LAW_WORDS: &[&str] =
    &["law", "govern", "court", "jurisdiction", "venue", "constru"];

/// Whether words state a time of day: "9:00", "5 p.m.", "10am", "noon", "close of business".
fn states_time_of_day(ws: &[String]) -> bool {
    let joined = ws.join(" ");
    if [
        "noon",
        "midnight",
        "close of business",
        "end of the day",
        "end of day",
    ]
    .iter()
    .any(|p| joined.contains(p))
    {
        return true;
    }
    let meridiem = |x: &str| {
        matches!(
            x.trim_end_matches([',', ';', ')', '.']),
            "am" | "pm" | "a.m." | "p.m." | "a.m" | "p.m"
        )
    };
    ws.iter().enumerate().any(|(i, w)| {
        // "at 9am." ends a sentence
        let t = w.trim_matches(|c: char| "([,;).".contains(c));
        let clock = t.split_once(':').is_some_and(|(h, m)| {
            (1..=2).contains(&h.len())
                && h.chars().all(|c| c.is_ascii_digit())
                && m.len() >= 2
                && m[..2].chars().all(|c| c.is_ascii_digit())
        });
        let hour = |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == ':');
        let glued = ["am", "pm", "a.m", "p.m"]
            .iter()
            .any(|m| t.strip_suffix(m).is_some_and(hour));
        clock || glued || (hour(t) && ws.get(i + 1).is_some_and(|n| meridiem(n)))
    })
}

/// Whether a bare word is a weekday, or its plural ("usually on Thursdays", "on Tuesday's").
fn is_weekday(t: &str) -> bool {
    WEEKDAYS.contains(&without_possessive(t))
        || t.strip_suffix('s').is_some_and(|d| WEEKDAYS.contains(&d))
}

/// A word without its possessive "'s" (straight or curly apostrophe): "year's" → "year".
pub(super) fn without_possessive(w: &str) -> &str {
    w.strip_suffix("'s")
        .or_else(|| w.strip_suffix("’s"))
        .unwrap_or(w)
}

/// Whether a bare word is an ordinal in digits ("10th", "1st", "23rd").
fn is_ordinal(t: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|o| {
        t.strip_suffix(o)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    })
}

/// Whether a word is a date in digits: "5/19/20", "2020-08-20", "19.5.2020" (not the
/// section "3.1.1" or the range "1-2").
fn is_numeric_date(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_ascii_digit());
    ['/', '-', '.'].iter().any(|&sep| {
        let parts: Vec<&str> = w.split(sep).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| (1..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
            && (sep == '/' || parts.iter().any(|p| p.len() == 4))
    })
}

/// Whether a (lower-cased) text holds a telephone number: seven or more digits in groups
/// ("1-877-888-3337", "(202) 501-1021", "202.501.1021"), not a date or a plain figure.
pub(super) fn has_phone_number(lower: &str) -> bool {
    let mut run = String::new();
    let mut found = false;
    let mut flush = |run: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let groups: Vec<&str> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        // the last group of a number has four digits; "2020-08-20" is a date
        if (7..=15).contains(&digits)
            && groups.len() >= 2
            && groups.last().is_some_and(|g| g.len() == 4)
            && groups.first().is_none_or(|g| g.len() != 4)
        {
            found = true;
        }
        run.clear();
    };
    for c in lower.chars() {
        if c.is_ascii_digit()
            || (!run.is_empty() && matches!(c, '-' | '.' | ' ' | '(' | ')'))
            || (run.is_empty() && c == '(')
        {
            run.push(c);
        } else {
            flush(&mut run);
        }
    }
    flush(&mut run);
    found
}

/// Roles a "who" question may be answered with ("your immediate supervisor", "the head of
/// your division").
const ROLE_WORDS: &[&str] = &[
    "supervisor",
    "manager",
    "director",
    "officer",
    "specialist",
    "coordinator",
    "counsel",
    "administrator",
    // "Only an HR Admin can cancel…": the short form too
    "admin",
    "representative",
    "liaison",
    "head of",
    // "coordinate with the Office of Mission Assurance": an office answers "who" as a person
    // does, though its name is a run of capitalized words like a page's title
    "office of",
];

/// Verbs by which the subject that opens a sentence is someone: "Legal asked whether…",
/// "Finance wants…" (a capitalized first word alone says nothing).
const SAYING_VERBS: &[&str] = &[
    "asked",
    "asks",
    "said",
    "says",
    "wrote",
    "replied",
    "requested",
    "requests",
    "wants",
    "wanted",
    "suggested",
    "suggests",
    "confirmed",
    "recommended",
    "told",
];

/// Whether `text` names someone other than `names` (the question's, lower-cased): a role, an
/// e-mail address, or a capitalized word that does not just open the sentence ("Dana, for
/// your records" names Dana), is not an acronym of five letters or fewer ("GSA", "LWOP":
/// things, not people) and is not in a run of three or more capitalized words (a title: "the
/// Effect of Extended Leave Without Pay").
pub(super) fn names_someone(text: &str, names: &[String]) -> bool {
    let lower = text.to_lowercase();
    // a form's address or date line gives where or when, whatever its capitals ("Address: Zone
    // Industrielle 1267 Coinsins")
    if lower
        .split_once(": ")
        .is_some_and(|(label, _)| PLACE_OR_DATE_LABELS.contains(&label.trim()))
    {
        return false;
    }
    // a role the question names is what it asks about ("Who is the 18F Director of Account
    // Management?"), not the answer
    if ROLE_WORDS.iter().any(|r| {
        !names.iter().any(|n| n == r)
            && (mentions(&lower, r) || (!r.contains(' ') && mentions(&lower, &format!("{r}s"))))
    }) {
        return true;
    }
    // a class of people qualified ("anyone at TTS can view them", "everyone with a GSA
    // account") answers "who can view it?" as a name would
    if words(&lower).windows(2).any(|w| {
        matches!(
            w[0].as_str(),
            "anyone" | "everyone" | "anybody" | "everybody"
        ) && matches!(w[1].as_str(), "at" | "in" | "on" | "with" | "who" | "from")
    }) {
        return true;
    }
    let ws: Vec<&str> = text.split_whitespace().collect();
    let known = |n: &str| names.iter().any(|q| q == &n.to_lowercase());
    // a pronoun or a function word that opens a sentence names no one
    let anyone = |w: &str| {
        let w = w.to_lowercase();
        is_stopword(&w) || ["he", "she", "someone", "everyone"].contains(&w.as_str())
    };
    if let [first, verb, ..] = ws.as_slice()
        && is_name(first)
        && !anyone(first)
        && SAYING_VERBS.contains(verb)
        && !known(first)
    {
        return true;
    }
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let linking = |w: &str| matches!(w, "of" | "and" | "the" | "for" | "&");
    // the length of the run of capitalized words (and the words that link them) around i
    let run = |i: usize| {
        // "To: Dana Okafor": a label ends the run before it
        let inside =
            |j: usize| (capital(ws[j]) || linking(ws[j])) && (j == i || !ws[j].ends_with(':'));
        let start = (0..=i).rev().take_while(|&j| inside(j)).last().unwrap_or(i);
        let end = (i..ws.len()).take_while(|&j| inside(j)).last().unwrap_or(i);
        (start..=end).filter(|&j| capital(ws[j])).count()
    };
    ws.iter().enumerate().any(|(i, raw)| {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '.');
        let w = w.trim_end_matches('.');
        if let Some((user, _)) = w.split_once('@') {
            return is_address(w) && !names.iter().any(|q| user.to_lowercase().contains(q));
        }
        let w = without_possessive(w);
        let acronym = w.len() <= 5 && w.chars().all(|c| c.is_ascii_uppercase());
        w.chars().count() >= 2
            && is_name(w)
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
            && (!opens_sentence(&ws, i) || raw.ends_with(','))
            && !acronym
            && run(i) < 3
            && !known(w)
    })
}

/// Whether a (lower-cased) word is an address: a web address, a domain name
/// ("vdi.anywhere.gsa.gov"), an e-mail address or a chat channel ("#tts-jobs").
pub(super) fn is_address(word: &str) -> bool {
    let w = word
        .trim_start_matches(|c: char| "`'\"“”‘’<([*".contains(c))
        .trim_end_matches(|c: char| "`'\"“”‘’,;:!?>)]*.".contains(c));
    if w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.") {
        return true;
    }
    if let Some(channel) = w.strip_prefix('#') {
        return channel.len() > 1
            && channel.chars().any(|c| c.is_alphabetic())
            && channel
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    }
    let host = w
        .rsplit_once('@')
        .map_or(w, |(user, host)| if user.is_empty() { "" } else { host });
    // a domain: labels of letters, digits and hyphens, the last (the top-level domain) 2–6
    // letters; a file name ("report.pdf") has one dot and a known extension
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && (2..=6).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && (labels.len() >= 3 || w.contains('@') || WEB_TLDS.contains(&tld))
}

/// Top-level domains a two-label name must end with to count as a domain ("zoomgov.com", not
/// "e.g" or "report.pdf").
const WEB_TLDS: &[&str] = &[
    "com", "gov", "org", "net", "edu", "mil", "io", "us", "uk", "co", "ca", "de", "eu", "app",
    "dev", "ai",
];

/// Whether `text` opens with a clause or section number followed by a capitalized word
/// ("8.13 No SRAM Product Warranty Issues", "1. PAPA JOHN'S shall pay").
pub(super) fn opens_with_section_number(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let (Some(first), Some(next)) = (words.next(), words.next()) else {
        return false;
    };
    first.contains('.')
        && first.chars().any(|c| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '.')
        && next.chars().next().is_some_and(char::is_uppercase)
}

/// Whether words state a figure: a number that is not part of a date ("August 28, 2009"
/// answers no "how much") nor the number of a section referred to ("Section 2.9").
fn figure(ws: &[String]) -> bool {
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let month = |w: Option<&String>| w.is_some_and(|w| MONTHS.contains(&bare(w).as_str()));
    ws.iter().enumerate().any(|(i, w)| {
        let t = bare(w);
        let year = is_year(&t);
        let day_of_month = (i > 0 && month(ws.get(i - 1))) || month(ws.get(i + 1));
        // "under Section 2.9 shall not exceed [***]": a reference to a part of the document
        let reference = i > 0
            && matches!(
                bare(&ws[i - 1]).as_str(),
                "section"
                    | "sections"
                    | "article"
                    | "clause"
                    | "paragraph"
                    | "exhibit"
                    | "schedule"
            );
        // "on the one hand" states no figure
        is_number(w) && w != "a" && t != "one" && !year && !day_of_month && !reference
    })
}

/// Whether a quantity focus asks "how long" (any length of time), not "how many days".
fn asks_length_of_time(units: &[&str]) -> bool {
    TIME_UNITS.iter().all(|u| units.contains(u))
}

/// `text` without its rates of time: "three days per week", "2 hours a day", "one week each
/// month" go, "three days" alone stays.
fn without_rates(text: &str) -> String {
    let ws: Vec<&str> = text.split_whitespace().collect();
    let time = |w: &str| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        TIME_UNITS.contains(&stem(&w).as_str())
    };
    let mut kept = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let rate = i + 3 < ws.len()
            && is_number(&ws[i].to_lowercase())
            && time(ws[i + 1])
            && matches!(
                ws[i + 2].to_lowercase().as_str(),
                "per" | "a" | "an" | "each" | "every"
            )
            && time(ws[i + 3]);
        if rate {
            i += 4;
        } else {
            kept.push(ws[i]);
            i += 1;
        }
    }
    kept.join(" ")
}

/// Whether `text` names `noun` (a question's [`asked_noun`](super::focus::asked_noun)): in
/// its words ("GSA's TWN Employer Code is 10536" names a code) or in the form such things are
/// written ([`shows_kind`]).
pub(super) fn names_noun(noun: &str, text: &str) -> bool {
    let asked = content_words(noun);
    (!asked.is_empty() && asked.is_subset(&content_words(text))) || shows_kind(noun, text)
}

/// Labels of a form's lines that give a place, a number or a date, never someone.
const PLACE_OR_DATE_LABELS: &[&str] = &[
    "address",
    "location",
    "phone",
    "telephone",
    "tel",
    "fax",
    "date",
    "dated",
];

/// The roles a tool or a meeting gives its users, which a "what role" question asks for.
const ROLES: &[&str] = &[
    "host",
    "co-host",
    "cohost",
    "owner",
    "co-owner",
    "manager",
    "admin",
    "administrator",
    "moderator",
    "panelist",
    "presenter",
    "editor",
    "viewer",
    "commenter",
    "guest",
    "member",
    "attendee",
];

/// Whether `text` holds a thing of the kind `noun` names, in the form such things are
/// written, though it never says the noun: "#bug-bounty-partners" is a Slack channel,
/// "Wednesdays" a weekday, "March" a month, "2019" a year, "https://…" a website. "Which
/// channel…?" is answered by "Use #bug-bounty-partners for…".
pub(super) fn shows_kind(noun: &str, text: &str) -> bool {
    let tokens = || {
        text.split_whitespace().map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric() && c != '#')
                .to_lowercase()
        })
    };
    match stem(&noun.to_lowercase()).as_str() {
        "channel" => tokens().any(|t| {
            t.strip_prefix('#')
                .is_some_and(|rest| rest.chars().next().is_some_and(char::is_alphabetic))
        }),
        "day" | "weekday" => tokens().any(|t| is_weekday(&t)),
        // "may" is as often a verb
        "month" => tokens().any(|t| MONTHS.contains(&t.as_str()) && t != "may"),
        "year" => tokens().any(|t| is_year(&t)),
        "website" | "site" | "url" => {
            let lower = text.to_lowercase();
            lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
        }
        // "what role should I give the interpreters?": "Make interpreters co-hosts"
        "role" => tokens().any(|t| ROLES.contains(&stem(&t).as_str())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::select::focus::focus;
    use crate::ask::select::tests::assert_states;

    #[test]
    fn a_figure_may_carry_its_currency_code() {
        assert!(states_focus(
            &Focus::Money,
            "The coverage of third-party liability insurance shall not be lower than RMB1 million."
        ));
        assert!(states_focus(&Focus::Money, "a fee of USD500 per month"));
        assert!(!states_focus(&Focus::Money, "paid in RMB by wire"));
        assert_eq!(without_currency_code("RMB1"), "1");
        assert_eq!(without_currency_code("RMB"), "RMB");
        assert_eq!(without_currency_code("usé1"), "usé1");
    }

    #[test]
    fn a_hyphenated_frequency_is_one() {
        assert_states(
            &Focus::Frequency,
            &[
                "The DC fridge is cleaned out bi-monthly on Fridays.",
                "Reviews happen semi-annually.",
            ],
            &["The fridge is cleaned out by the staff."],
        );
    }

    #[test]
    fn a_length_of_time_is_not_the_notice_before_it() {
        let q = "How long is each renewal term Bellicum can opt into after the initial term?";
        let focus = focus(q);
        let notice = "Bellicum may exercise each such renewal option by giving written notice \
                      not later than six (6) months prior to the expiration of the current Term.";
        let term = "Bellicum shall have options to extend the Term for successive renewal terms \
                    of five (5) years each.";
        assert!(!states_asked(q, &focus, notice));
        assert!(states_asked(q, &focus, term));
        // unless the question asks how far before
        let before = "How long before the term ends must Bellicum give notice of renewal?";
        assert!(states_asked(before, &self::focus(before), notice));
    }

    #[test]
    fn a_lead_time_is_a_length_of_time_ahead() {
        let advance = focus(
            "Under the new remote work policy, how many days in advance do I ask my manager?",
        );
        assert!(matches!(advance, Focus::Ahead(_)), "{advance:?}");
        assert!(!states_focus(
            &advance,
            "You may work remotely up to three days per week with your manager's approval."
        ));
        assert!(states_focus(
            &advance,
            "Submit leave requests at least three business days in advance."
        ));
        let early = focus("How early should I log into the Zoom room before a big meeting?");
        assert!(matches!(early, Focus::Ahead(_)), "{early:?}");
        assert!(states_focus(
            &early,
            "Join the Zoom room 10 to 15 minutes early."
        ));
        assert!(states_focus(
            &focus("How far in advance do I need to request live captioning?"),
            "Send an email at least 12 hours prior to the meeting."
        ));
        // without a word of ahead, a duration question is as before
        assert_eq!(
            focus("How many days do I have to cure a breach?"),
            Focus::Quantity(vec!["day"])
        );
    }

    #[test]
    fn a_count_needs_a_number_not_an_article() {
        let seats = focus("How many paid editor seats does TTS have in total for Airtable?");
        assert_eq!(seats, Focus::Count("seat".into()));
        assert!(!states_focus(
            &seats,
            "Commenting, editing, and creating will require a paid editor seat."
        ));
        assert!(states_focus(&seats, "TTS has 25 paid editor seats."));
        assert!(states_focus(&seats, "We hold twelve editor seats."));
        // a length of time may still be "a year"
        let long = focus("How long can a detail last?");
        assert!(states_focus(&long, "A detail can last up to a year."));
    }

    #[test]
    fn a_section_number_is_not_a_figure() {
        let much = focus("How much did GSI Technology pay Sony for the SRAM business?");
        assert!(!states_focus(&much, "8.13 No SRAM Product Warranty Issues"));
        let cap = focus("What is the cap on each party's total liability under the agreement?");
        assert!(!states_focus(
            &cap,
            "LIABILITY UNDER SECTION 2.9 SHALL NOT EXCEED [***]."
        ));
        assert!(states_focus(
            &cap,
            "Liability under Section 2.9 shall not exceed 2,000,000."
        ));
        let arbitrators = focus("How many arbitrators hear a dispute under the agreement?");
        assert!(!states_focus(&arbitrators, "11.1 Dispute Resolution"));
        assert_eq!(arbitrators, Focus::Count("arbitrator".into()));
        assert!(states_focus(
            &arbitrators,
            "11.2 Disputes are heard by three (3) arbitrators."
        ));
        assert!(states_focus(
            &much,
            "1. PAPA JOHN'S shall pay ABG a cash payment of USD$1,250,000"
        ));
        // a quantity that opens a sentence is still one
        assert!(states_focus(
            &Focus::Figure,
            "1.5 days of leave are paid at 100 percent."
        ));
    }

    #[test]
    fn answer_types_need_their_own_form() {
        // a phone number, not a section number or a count of days
        for q in [
            "What phone number do I call to reach the incident team?",
            "What is the phone number of the compliance hotline?",
        ] {
            assert_eq!(focus(q), Focus::Phone, "{q}");
        }
        assert!(states_focus(&Focus::Phone, "Call 1-877-888-3337 any time."));
        assert!(states_focus(&Focus::Phone, "Phone (202) 501-1021."));
        assert!(!states_focus(
            &Focus::Phone,
            "Use the numbers listed in Section 3.1.1 of the guide."
        ));
        assert!(!states_focus(&Focus::Phone, "Signed on 2020-08-20."));
        assert!(!states_focus(&Focus::Phone, "We reply within 7 days."));
        // a percentage, not any figure
        for q in [
            "What is the locality pay percentage for the Bay Area?",
            "What share of the meals allowance do I get on the first day?",
        ] {
            assert_eq!(focus(q), Focus::Percent, "{q}");
        }
        assert!(states_focus(
            &Focus::Percent,
            "You get 75% of the M&IE rate."
        ));
        assert!(states_focus(&Focus::Percent, "a 15 percent discount"));
        assert!(states_focus(
            &Focus::Percent,
            "seven percent (7%) of net revenues"
        ));
        assert!(states_focus(&Focus::Percent, "a fee of 7 % a year"));
        // a filing's blank for the figure states no share
        assert!(!states_focus(
            &Focus::Percent,
            "Diplomat agrees to pay KI, Inc. as royalty a sum equal to % of the net wholesale volume."
        ));
        assert!(states_focus(&Focus::Percent, "five per cent of the fee"));
        // the word alone states no share
        assert!(!states_focus(
            &Focus::Percent,
            "A percentage of each paycheck is withheld by GSA."
        ));
        assert!(!states_focus(
            &Focus::Percent,
            "Streetcars stop at 6th and 7th Streets."
        ));
        // money when "how much" asks what something costs or pays, not how much time
        assert_eq!(
            focus("How much does a box of standard GSA business cards cost?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much will TTS contribute toward a standing desk?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much work time can I spend using the program?"),
            Focus::Figure
        );
        // the question word may follow a preposition; "amount" is money unless of time
        assert_eq!(
            focus("Above what amount does a travel expense need a receipt?"),
            Focus::Money
        );
        assert_eq!(
            focus("What amount of leave can I carry over?"),
            Focus::Figure
        );
        assert_eq!(
            focus("How much severance pay do laid-off employees receive?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much can a supervisor get reimbursed for insurance?"),
            Focus::Money
        );
        assert_eq!(
            focus("What is the nightly hotel cap for London?"),
            Focus::Figure
        );
        // a lead-in clause before the question word sets the scene
        assert_eq!(
            focus(
                "In the Slinger Bag consulting agreement, what is the monthly base fee starting \
                 20 August 2020?"
            ),
            Focus::Money
        );
        assert_eq!(
            focus("If my flight lands late, when is the receipt due?"),
            Focus::When
        );
        // notice is a length of time beside the word "notice"
        let notice = focus("How much prior written notice must Inktomi give?");
        assert_eq!(notice, Focus::Notice);
        assert!(states_focus(
            &notice,
            "Inktomi may terminate upon one year's prior written notice."
        ));
        assert!(states_focus(
            &notice,
            "Either party may end it on notice of 30 days."
        ));
        assert!(!states_focus(
            &notice,
            "Inktomi may elect in writing within fifteen (15) days after receipt of the notice of termination."
        ));
        // how often: a length of time or a rate word
        let often = focus("How often does the CRO have to send the client a report?");
        assert_eq!(often, Focus::Frequency);
        assert!(states_focus(
            &often,
            "CRO will provide a weekly written report."
        ));
        assert!(states_focus(&often, "Change your password every 60 days."));
        assert!(!states_focus(&often, "CRO will provide a written report."));
        // a term and a period are lengths of time
        for q in [
            "What is the initial term of the transportation agreement?",
            "What is the notice period?",
        ] {
            assert_eq!(focus(q), Focus::Quantity(TIME_UNITS.to_vec()), "{q}");
        }
        assert!(!states_focus(
            &Focus::Quantity(TIME_UNITS.to_vec()),
            "This Agreement is executed this 23rd day of December, 2003."
        ));
        assert!(states_focus(
            &Focus::Quantity(TIME_UNITS.to_vec()),
            "The initial term is three (3) years."
        ));
        // a length in seconds, given with a number
        let ad = focus("How long is the TV ad that CNET runs?");
        assert!(states_focus(
            &ad,
            "CNET will provide the Company one 15 second \"spot\" for Promotions."
        ));
        assert!(!states_focus(&ad, "Ask for a second opinion."));
        // a calendar date or weekday, not a duration
        for q in [
            "On what date was the supply agreement signed?",
            "By what date should ratings be completed?",
            "What day of the week are badges processed?",
        ] {
            assert_eq!(focus(q), Focus::Date, "{q}");
        }
        assert!(states_focus(&Focus::Date, "Ratings are due November 14."));
        assert!(states_focus(&Focus::Date, "Badges are made on Wednesday."));
        assert!(states_focus(
            &Focus::Date,
            "Signed 5/19/20 by both parties."
        ));
        assert!(!states_focus(
            &Focus::Date,
            "We may terminate on thirty days written notice."
        ));
        assert!(!states_focus(&Focus::Date, "See section 3.1.1."));
        // a deadline is a day or a time of day
        let deadline = focus("What's the weekly deadline for getting my hours into Tock?");
        assert_eq!(deadline, Focus::Deadline);
        // a period's dates are no deadline
        assert!(!states_focus(
            &deadline,
            "The weekly reporting period begins on Sunday and ends on Saturday."
        ));
        assert!(states_focus(
            &deadline,
            "Please make sure you Tock before you end your workday on Friday."
        ));
        assert!(states_focus(
            &deadline,
            "Submit it by close of business on Friday."
        ));
        assert!(states_focus(&deadline, "Timecards are due at 5 p.m."));
        assert!(!states_focus(
            &deadline,
            "Bill at least 32 hours to project work."
        ));
        // "when" also takes a duration, but not any digit
        assert!(states_focus(
            &Focus::When,
            "Comp time expires after 26 pay periods."
        ));
        assert!(states_focus(&Focus::When, "Timecards open Monday at 9:00."));
        assert!(states_focus(
            &Focus::When,
            "The policy took effect in 2024."
        ));
        assert!(!states_focus(&Focus::When, "Up to 32 people can attend."));
        // or an occasion: "when should we update the README?"
        assert!(states_focus(
            &Focus::When,
            "The team should update the README upon a new project phase, like the end of discovery."
        ));
        assert!(!states_focus(
            &Focus::When,
            "The team should keep the README up to date."
        ));
        // a date is asked for by "on what date": an occasion gives none
        assert!(!states_focus(
            &Focus::Date,
            "The team should update the README upon a new project phase."
        ));
        // a governing law is stated with the law, not by an address in that state
        assert!(states_focus(
            &Focus::Jurisdiction,
            "This Agreement is governed by the laws of the State of Nevada."
        ));
        assert!(!states_focus(
            &Focus::Jurisdiction,
            "Suite 207, Coquitlam, British Columbia, Canada."
        ));
        // a name with a digit is no figure; a code is
        assert!(!states_focus(
            &Focus::Figure,
            "H1 staff do the initial triage."
        ));
        assert!(states_focus(&Focus::Figure, "Bill it to #1810."));
    }

    #[test]
    fn states_focus_needs_the_number_and_its_unit() {
        let weeks = focus("How many weeks of leave?");
        assert!(states_focus(
            &weeks,
            "You are entitled to 12 weeks of paid time off."
        ));
        assert!(states_focus(&weeks, "The 12-week agreement applies."));
        assert!(!states_focus(
            &weeks,
            "Use code #1810 if you are out for 5 or 6 months."
        ));
        let long = focus("How long until comp time expires?");
        assert!(states_focus(
            &long,
            "Comp time expires one year after it is earned."
        ));
        assert!(!states_focus(
            &long,
            "Comp time is forfeited when it expires."
        ));
        // a possessive unit
        assert!(states_focus(
            &long,
            "Inktomi may terminate upon one year's prior written notice."
        ));
    }

    #[test]
    fn times_of_day_days_of_the_month_and_costs() {
        for q in [
            "What time does the cafeteria open for breakfast?",
            "What are the opening hours of the health center?",
        ] {
            assert_eq!(focus(q), Focus::Time, "{q}");
        }
        assert!(states_focus(&Focus::Time, "Open from 9 a.m. to 4:30 p.m."));
        assert!(!states_focus(
            &Focus::Time,
            "A cafeteria on the first floor serves breakfast and lunch."
        ));
        // a day of the month, a plural weekday, a weekday with a stray apostrophe
        let day = focus("On what day of the month does the card balance reset?");
        assert_eq!(day, Focus::Date);
        assert!(states_focus(
            &day,
            "The balance resets on the 10th of every month."
        ));
        assert!(!states_focus(&day, "Finish the 10th module of the course."));
        assert_eq!(
            focus("On which days and hours is the office open?"),
            Focus::Date
        );
        assert!(states_focus(&day, "The email goes out on Tuesday's."));
        assert!(states_focus(&day, "Badges are printed on Thursdays."));
        // a sentence before the question sets the scene; "cost" and "dollar" ask for money
        assert_eq!(
            focus("I'm in Chicago for the week. What does a day pass cost?"),
            Focus::Money
        );
        assert_eq!(
            focus("Up to what dollar amount will GSA reimburse a printer?"),
            Focus::Money
        );
        assert_eq!(
            focus("Who pays the cost of the move?"),
            Focus::Person(Vec::new())
        );
        assert_eq!(focus("Does GSA pay the cost of the move?"), Focus::Open);
    }

    #[test]
    fn a_cap_in_words_states_the_most() {
        let q = "Under the Chase affiliate agreement, what is the most Chase can be liable for in total?";
        let f = focus(q);
        assert!(states_asked(
            q,
            &f,
            "Chase’s aggregate liability shall in no event exceed the total Commissions paid by Chase."
        ));
        assert!(!states_asked(
            q,
            &f,
            "SUTRO’S LIABILITY SHALL NOT EXCEED [***]."
        ));
        // a question that asks for no most does not take a cap for its figure
        let fee = "What is the monthly fee under the agreement?";
        assert!(!states_asked(
            fee,
            &focus(fee),
            "Fees shall not exceed the amounts set out in the budget."
        ));
    }

    #[test]
    fn a_figure_is_not_a_date() {
        let how_much = focus("How much did GSI Technology pay Sony?");
        assert!(!states_focus(
            &how_much,
            "This Agreement is made as of August 28, 2009 by GSI Technology."
        ));
        assert!(states_focus(
            &how_much,
            "GSI paid Sony $12,000,000 in cash."
        ));
        assert_eq!(
            focus("What award can I get for a Level 5 performance rating?"),
            Focus::Open
        );
    }

    #[test]
    fn a_money_question_wants_an_amount_not_any_number() {
        let fee = focus("What is the dental plan deductible?");
        assert!(states_focus(&fee, "The deductible is $350 per person."));
        assert!(states_focus(&fee, "Party B shall pay RMB 500 per trip."));
        assert!(states_focus(&fee, "a fee of 55 dollars per referral"));
        assert!(!states_focus(
            &fee,
            "You may change your dental plan by calling 1-877-888-3337."
        ));
        assert!(!states_focus(
            &fee,
            "Enroll within 60 days of your start date."
        ));
    }
}
