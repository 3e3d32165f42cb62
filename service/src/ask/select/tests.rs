//! End-to-end tests of selection (passages split into units, scored and selected), and the
//! helpers the submodules' tests share.

use super::score::{Side, defines_what_is_asked, is_contract_opening, refers_back};
use super::states::{names_someone, shows_kind, without_given};
use super::*;

/// A unit of passage 1 at `position` under `heading`, its passage's cosine 0.6.
/// One unit for each of `texts`, in order, under `heading`.
pub(super) fn units_under(heading: &str, texts: &[&str]) -> Vec<Unit> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| unit_under(heading, i, t))
        .collect()
}

fn unit_under(heading: &str, position: usize, text: &str) -> Unit {
    Unit {
        passage: 1,
        position,
        text: text.into(),
        heading: heading.into(),
        passage_cosine: 0.6,
        opening: false,
        written: None,
    }
}

/// Checks that `focus` is stated by each of `stated` and by none of `not_stated`.
pub(super) fn assert_states(focus: &Focus, stated: &[&str], not_stated: &[&str]) {
    for t in stated {
        assert!(states_focus(focus, t), "{focus:?} not in {t:?}");
    }
    for t in not_stated {
        assert!(!states_focus(focus, t), "{focus:?} in {t:?}");
    }
}

#[test]
fn a_figure_question_names_the_thing_it_measures() {
    for (q, noun) in [
        (
            "How much does a box of standard GSA business cards cost?",
            Some("cards"),
        ),
        (
            "What is the monthly dollar amount of the GSA transit subsidy?",
            Some("subsidy"),
        ),
        (
            "How much does The Work Number charge a lender?",
            Some("number"),
        ),
        (
            "What is the maximum number of hours I can work?",
            Some("hours"),
        ),
        ("What is the mileage rate per mile?", None),
        ("How much notice must we give?", None),
    ] {
        assert_eq!(measured_noun(q).as_deref(), noun, "{q}");
    }
    // a figure of something else does not answer
    let unit = |text: &str| unit_under("San Francisco", 0, text);
    let found = |q: &str, text: &str| select(q, &[unit(text)], &[1.0]).unwrap().focus_found;
    let q = "What is the monthly dollar amount of the transit subsidy?";
    assert!(!found(
        q,
        "SFMTA one-way fare is $2.25 with a 90-minute transfer."
    ));
    assert!(found(q, "The transit subsidy pays up to $315 a month."));
}

#[test]
fn the_hours_asked_are_the_hours_of_the_event_named() {
    assert_eq!(
        measured_noun("What time does the Thursday team breakfast start at the office?").as_deref(),
        Some("breakfast")
    );
    let q = "What time does the Thursday team breakfast start at the New York office?";
    let found = |heading: &str, text: &str| {
        select(q, &[unit_under(heading, 0, text)], &[1.0])
            .unwrap()
            .focus_found
    };
    assert!(!found("New York City", "Building hours are 6am - 7pm."));
    assert!(found("Breakfast", "It starts at 9am in the kitchen."));
    assert!(found("Office", "The team breakfast starts at 9am."));
}

#[test]
fn a_rule_for_the_other_side_of_a_limit_does_not_answer() {
    use Side::{Above, Below};
    let l = |t: &str| limits(t);
    assert_eq!(
        l("Who has to approve more than 80 hours of leave?"),
        [("80".to_string(), Above)]
    );
    assert_eq!(
        l("To request 80 hours or less of LWOP, ask your supervisor."),
        [("80".to_string(), Below)]
    );
    assert_eq!(l("claims over $1,000"), [("1000".to_string(), Above)]);
    assert_eq!(l("no more than 3 days"), [("3".to_string(), Below)]);
    assert_eq!(l("up to 26 weeks"), [("26".to_string(), Below)]);
    assert_eq!(l("at least 24 hours"), [("24".to_string(), Above)]);
    assert_eq!(l("trips of 30 days or more"), [("30".to_string(), Above)]);
    assert!(l("You get 80 hours a year.").is_empty());

    let unit = |position: usize, text: &str| unit_under("Leave without pay", position, text);
    let u = [
        unit(
            0,
            "To request 80 hours or less of LWOP, you must get written approval from your immediate supervisor.",
        ),
        unit(
            1,
            "To request over 80 hours of LWOP, you must get written approval from your immediate supervisor and Business Unit Director.",
        ),
    ];
    // the rule for the other case is the nearer one
    let semantic = [0.62, 0.58];
    let picked = |q: &str| select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
    assert_eq!(
        picked("Who has to approve more than 80 hours of leave without pay?"),
        1
    );
    assert_eq!(
        picked("Who has to approve 80 hours or less of leave without pay?"),
        0
    );
    // a sentence that states both sides compares them and may answer either
    let both = "Up to 80 hours needs a supervisor; more than 80 hours needs a director.";
    assert!(!other_side_of_limit(&l("more than 80 hours"), both));
}

#[test]
fn what_the_question_gives_answers_nothing() {
    let q = "On what date did 18F submit the first deliverables of its Corrective Action Plan responding to the October 2016 GSA Inspector General evaluation?";
    let given = "In October of 2016, the GSA Inspector General released an Evaluation of 18F.";
    let answer = "On February 28, 2017, 18F submitted the first deliverables of the plan.";
    let focus = focus(q);
    assert!(states_focus(&focus, given));
    assert!(!states_focus(&focus, &without_given(q, &focus, given)));
    assert!(states_focus(&focus, &without_given(q, &focus, answer)));
    let unit = |position: usize, text: &str| unit_under("", position, text);
    let u = [unit(0, given), unit(1, answer)];
    // the sentence that repeats the question's date is the nearer one
    let semantic = [0.75, 0.6];
    let picked = select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
    assert_eq!(picked, 1);
    // a role the question asks about is not who holds it
    let names = ["18f", "director", "account", "management"].map(String::from);
    assert!(!names_someone(
        "Contact: 18F Director of Account Management",
        &names
    ));
    assert!(names_someone(
        "Contact: 18F Director of Account Management",
        &[]
    ));
    // a team that opens a sentence saying something is someone; a pronoun, or a name the
    // question gives, is not the answer
    let cure = "Legal asked whether we should offer a cure period of ten days.";
    assert!(names_someone(cure, &[]));
    assert!(!names_someone(cure, &["legal".to_string()]));
    assert!(!names_someone("It said that the period is ten days.", &[]));
    // a class of people, qualified
    assert!(names_someone(
        "If rooms within the TTS group are set to public, anyone at TTS can view them.",
        &[]
    ));
    assert!(!names_someone("Anyone can join the call.", &[]));
    assert!(names_someone(
        "Only and HR Admin can cancel “submitted” evaluations.",
        &[]
    ));
    // an office answers "who", though its name is a run of capitalized words
    assert!(names_someone(
        "You will have to coordinate with the Office of Mission Assurance for security.",
        &[]
    ));
    // a limit in words is the same limit as in digits
    let six = limits("Book economy class for flights under six hours.");
    assert_eq!(six, [("6".to_string(), Side::Below)]);
    assert!(other_side_of_limit(
        &limits("May I fly business class on flights longer than six hours?"),
        "Book economy class for flights under six hours."
    ));
}

#[test]
fn a_contract_s_opening_answers_only_what_it_states() {
    let units = units(
        &[
            "THIS MEDIA LICENSE AGREEMENT (this “Agreement”) is made and effective as of \
             July 1, 2020, between NATIONAL FOOTBALL MUSEUM, INC., an Ohio non-profit \
             corporation, doing business as Pro Football Hall of Fame, and HOF Village \
             Media Group, LLC.\n\nWHEREAS, the Hall of Fame owns the marks.\n\n\
             The arbitration shall be held in Canton, Ohio, before three arbitrators."
                .to_string(),
        ],
        &[None],
        &[0.6],
        &Focus::Open,
    );
    assert_eq!(
        units.iter().map(|u| u.opening).collect::<Vec<_>>(),
        [true, true, false]
    );
    // the preamble names the question's parties: its cosine is far above the clause's
    let semantic = [0.70, 0.50, 0.46];
    let picked = |q: &str| {
        select(q, &units, &score(q, &units, &semantic))
            .unwrap()
            .picked[0]
    };
    assert_eq!(
        picked(
            "Under the media license agreement between the Pro Football Hall of Fame and HOF Village Media Group, where must arbitration be held?"
        ),
        2
    );
    // what the opening states: the date, the parties
    assert_eq!(
        picked(
            "When was the media license agreement between the Pro Football Hall of Fame and HOF Village Media Group made?"
        ),
        0
    );
    assert_eq!(
        picked("Who are the parties to the media license agreement with HOF Village Media Group?"),
        0
    );
    assert!(is_contract_opening(
        "ChipMOS and Tsinghua Unigroup shall collectively be referred to as the “Parties.”"
    ));
    assert!(!is_contract_opening(
        "This Agreement shall be governed by the laws of Taiwan."
    ));
    // a party's name is no question about the parties
    let about_opening = |q: &str| asks_what_the_opening_states(q, &focus(q));
    assert!(!about_opening(
        "What is the initial term of the agreement between Martin Operating Partnership and Midstream Fuel Service?"
    ));
    assert!(about_opening(
        "Which parties signed the agreement with Midstream Fuel Service?"
    ));
    // what each party may do is a clause's
    assert!(!about_opening(
        "What is the cap on each party's total liability under the supply agreement?"
    ));
    assert!(about_opening(
        "In which state is each of the parties incorporated?"
    ));
    // a date the question is asked at is not a question about the opening's date
    assert!(!about_opening(
        "What hourly FTE Rate applies to scientists and engineers as of the Effective Date?"
    ));
    assert!(about_opening(
        "What is the Effective Date of the joint development agreement?"
    ));
}

#[test]
fn a_signature_block_answers_only_a_question_about_signing() {
    let unit = |position: usize, text: &str| unit_under("", position, text);
    let u = [
        unit(0, "Designated Filer: Ares Trading SA"),
        unit(
            1,
            "By: /s/ Cédric Hyde Name: Cédric Hyde Title: CFO MERCK SERONO SA, AN AFFILIATE OF MERCK KGAA",
        ),
    ];
    // the signature block is closer to the question and names its parties
    let semantic = [0.5, 0.55];
    let picked = |q: &str| select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
    assert_eq!(
        picked(
            "Who is the designated filer in the joint filing agreement signed with Merck KGaA and Merck Serono SA?"
        ),
        0
    );
    assert_eq!(
        picked("Who signed the joint filing agreement for Merck Serono SA?"),
        1
    );
    assert_eq!(
        picked("When was the joint filing agreement with Merck Serono SA executed?"),
        1
    );
    assert!(is_signature_block(
        "IN WITNESS WHEREOF, the Parties have caused this Agreement to be executed."
    ));
    assert!(is_signature_block("3/18/97 By /s/ Kathy M Ireland"));
    assert!(!is_signature_block(
        "By: the end of the term, the Licensee shall return all materials."
    ));
}

#[test]
fn the_asked_noun_is_the_head_after_the_question_word() {
    for (q, noun) in [
        (
            "My lender is checking my salary. What code do they use to identify GSA as my employer?",
            Some("code"),
        ),
        (
            "When opening a ticket, what application name do I enter?",
            Some("name"),
        ),
        ("Who is the designated filer?", Some("filer")),
        (
            "In which country's courts are disputes heard?",
            Some("courts"),
        ),
        (
            "Which agencies are known to block Google Forms?",
            Some("agencies"),
        ),
        // a kind of car is a car
        ("What kind of rental car do I book?", Some("car")),
        // no noun asked for
        ("What does a day pass cost?", None),
        ("What kind of thing is it?", None),
        ("What happens if I leave early?", None),
        ("Which of its deadlines was missed?", None),
        ("How many weeks of leave do I get?", None),
        ("Who approves my leave?", None),
        // a reason is given, seldom named
        ("What reason did Bob give Dana for the notice?", None),
    ] {
        assert_eq!(asked_noun(q).as_deref(), noun, "{q}");
    }
    // a sentence naming it wins over its neighbour on the same topic
    let units = units_under(
        "Digital signatures",
        &[
            "Open a new ticket in the Self-Service Portal",
            "For application name, enter Digital Signature System (DSS)",
        ],
    );
    // the neighbour is closer in meaning and shares more words
    let scores = score(
        "When opening a Docusign ticket in the Self-Service Portal, what application name do I enter?",
        &units,
        &[0.56, 0.46],
    );
    assert!(scores[1] > scores[0], "{scores:?}");
    // an open question is answered only by a unit that names what it asks for
    let unit = |text: &str| unit_under("Remote work policy", 0, text);
    let found = |q: &str, text: &str| select(q, &[unit(text)], &[1.0]).unwrap().focus_found;
    assert!(!found(
        "Which VPN client does the policy require?",
        "Use the VPN for all access to internal systems."
    ));
    assert!(found(
        "Which VPN client does the policy require?",
        "The required VPN client is Cisco AnyConnect."
    ));
    assert!(found(
        "Which agencies are known to block Google Forms?",
        "Among the largest agencies that are known to block Forms are DHS and VA."
    ));
    // or whose heading does
    assert!(found(
        "Which policy covers remote work?",
        "Employees may work remotely three days a week."
    ));
}

#[test]
fn an_opening_answers_a_question_about_a_name_it_defines() {
    let preamble = "This MASTER OPERATION AND MAINTENANCE AGREEMENT (this “Agreement”), dated \
        as of April 13, 2012, between BLOOM ENERGY CORPORATION, a Delaware corporation \
        (“BE” or, in its capacity as operator hereunder, “Operator”), and DIAMOND STATE \
        GENERATION PARTNERS, LLC, a Delaware limited liability company (“Owner”)";
    let q = "In Bloom Energy's master operation and maintenance agreement of April 13, 2012, \
        which company is the Owner of the fuel cell systems Bloom operates?";
    assert!(defines_what_is_asked(q, preamble));
    assert!(defines_what_is_asked(
        "Who is the \"Licensee\" under it?",
        "between Acme Inc. (\"Licensor\") and Beta LLC (\"Licensee\")"
    ));
    // the parties' short names say which contract, not what is asked about it
    assert!(!defines_what_is_asked(
        "Which state's law governs the strategic alliance agreement between Allscripts and Phreesia?",
        "by and between Allscripts Healthcare, LLC (“Allscripts”) and Phreesia, Inc. (“Phreesia”)"
    ));
    // every contract defines itself and its parties: that answers nothing asked
    assert!(!defines_what_is_asked(
        "What is the initial term of the maintenance agreement?",
        preamble
    ));
    assert!(!defines_what_is_asked(
        "What is the cap on liability under the supply agreement between SutroVax and Sutro?",
        "This SUPPLY AGREEMENT (“Supply Agreement”) is made as of May 29, 2018 by and between \
        SutroVax, Inc. (“SutroVax”) and Sutro Biopharma, Inc. (“Sutro”)"
    ));
    // so the opening is the answer, not a running footer
    let mut opening = unit_under("", 0, preamble);
    opening.opening = true;
    let footer = unit_under(
        "",
        1,
        "Source: BLOOM ENERGY CORP, DRS/A (on S-1), 3/21/2018",
    );
    let units = [opening, footer];
    let scores = score(q, &units, &[0.76, 0.67]);
    assert!(scores[0] > scores[1] + 0.3, "{scores:?}");
    // and a unit nearly as good does not replace it as one that says nothing asked would be
    let s = select(q, &units, &[1.0, 0.9]).unwrap();
    assert_eq!(s.picked, [0]);
    assert!(s.focus_found);
}

#[test]
fn a_question_for_a_place_wants_a_sentence_that_names_one() {
    for q in [
        "Once my term extension is approved, in which city does the paperwork get processed?",
        "What country is the supplier based in?",
        "Where is this year's all-staff retreat being held?",
        "Where do I sign up to get access to the Federal Fitness Center?",
    ] {
        assert_eq!(focus(q), Focus::Place, "{q}");
    }
    // where to send something is an address; which state's law a jurisdiction
    assert_eq!(focus("Where should staff send questions?"), Focus::Address);
    assert_eq!(
        focus("Which state's law governs the agreement?"),
        Focus::Jurisdiction
    );
    assert_eq!(focus("Where can I find free online courses?"), Focus::Open);
    let p = Focus::Place;
    assert!(states_focus(
        &p,
        "HR sends the approved PAR to CPC (GSA's Consolidated Processing Center in Kansas City, MO)."
    ));
    assert!(states_focus(
        &p,
        "The meeting is held in Boulder, CO each spring."
    ));
    assert!(states_focus(
        &p,
        "The arbitration shall be held in Canton, Ohio."
    ));
    assert!(!states_focus(
        &p,
        "The extension has already been approved; this is just a matter of processing."
    ));
    // a street address is a place; a date or a year before a name is not
    assert!(states_focus(
        &p,
        "To gain access, you will need to sign up at 450 Golden Gate — there are drop-in hours."
    ));
    assert!(!states_focus(&p, "Since 12 March the gym is open."));
    assert!(!states_focus(&p, "In 2019 Congress passed the act."));
    // a place the question names is not the one it asks for
    let q = "I work in Kansas City. In which city is payroll processed?";
    assert!(!states_focus(
        &p,
        &without_given(q, &p, "Payroll staff work in Kansas City.")
    ));
    // a sentence nearly as good that names a place is chosen over the best that names none
    let units = units_under(
        "What happens next?",
        &[
            "The extension has already been approved; this is just a matter of processing.",
            "HR sends the approved PAR to CPC (GSA's Consolidated Processing Center in Kansas City, MO) to have it processed.",
        ],
    );
    let s = select(
        "Once my term extension is approved, in which city does the paperwork actually get processed?",
        &units,
        &[0.53, 0.44],
    )
    .unwrap();
    assert_eq!(s.picked, [1]);
}

#[test]
fn only_documents_that_name_what_the_question_names_answer() {
    let passages = vec![
        "We are terminating the supply agreement.".to_string(),
        "Under section 12 we may terminate on thirty days notice.".to_string(),
    ];
    let u = units(&passages, &[None, None], &[], &Focus::Open);
    let question = "Which section did Alice cite?";
    let mut scores = vec![2.0, 1.0];
    // the second passage's document (a message from Alice) names her, the first's does not
    only_from_naming(&u, &mut scores, &[false, true]);
    let picked = select(question, &u, &scores).expect("a selection");
    assert_eq!(u[picked.picked[0]].passage, 2);
    // when no document names everything, the scores stay (the answer is then refused)
    let mut scores = vec![2.0, 1.0];
    only_from_naming(&u, &mut scores, &[false, false]);
    assert_eq!(scores, [2.0, 1.0]);
}

#[test]
fn the_rule_beats_the_worked_example_and_the_neighbour() {
    let passages = vec![
        "FMLA entitles you to take up to 12 weeks of unpaid leave per 12 month period.\n\nFor example: you went on FMLA for 4 weeks in March and used sick leave to be paid during those 4 weeks.".to_string(),
        "Extended Out of Office - #1810: intended for if you are out of office for 3 weeks or longer, such as using Paid Parental Leave part-time each week for 5 or 6 months.".to_string(),
    ];
    let u = units(&passages, &[None, None], &[], &Focus::Open);
    // equal semantic similarity: wording, focus and penalties decide
    let scores = score("Is FMLA leave paid?", &u, &vec![0.5; u.len()]);
    let s = select("Is FMLA leave paid?", &u, &scores).unwrap();
    assert_eq!(
        quote(&u, &s).0,
        "FMLA entitles you to take up to 12 weeks of unpaid leave per 12 month period [1]."
    );
}

#[test]
fn a_sentence_that_points_back_shares_its_predecessor_s_similarity() {
    let passages = vec![
        "If you want one for your house, please discuss it with your supervisor. This request will require approval from the head of your division.".to_string(),
        "Office printers are on every floor. The head of facilities buys their toner.".to_string(),
    ];
    let u = units(&passages, &[None, None], &[], &Focus::Open);
    assert_eq!(u.len(), 4, "{u:?}");
    let q = "Who has to approve a request for a printer at home?";
    // the demonstrative sentence's own embedding misses the printer; its predecessor's does not
    let scores = score(q, &u, &[0.7, 0.35, 0.5, 0.35]);
    let s = select(q, &u, &scores).unwrap();
    assert_eq!(
        quote(&u, &s).0,
        "This request will require approval from the head of your division [1]."
    );
    // no pointer, no borrowing: "The head of facilities…" keeps its own similarity
    assert!(scores[3] < scores[1], "{scores:?}");
    assert!(!refers_back("It is important to ask."));
    assert!(!refers_back("This: a list."));
}

#[test]
fn a_unit_that_negates_the_question_loses_unless_it_asks_yes_or_no() {
    let passages = vec![
        "You are entitled to 12 weeks of paid time off for the birth of a child.\n\nYou can request Leave Without Pay (LWOP) of less than four weeks to extend your parental leave.".to_string(),
    ];
    let u = units(&passages, &[None], &[], &Focus::Open);
    // the embedder prefers the second: the negation must outweigh that
    let semantic = [0.65, 0.77];
    let q = "How many weeks of paid parental leave can I take?";
    let s = select(q, &u, &score(q, &u, &semantic)).unwrap();
    assert_eq!(s.picked, vec![0]);
    let q = "Is parental leave paid?";
    let scores = score(q, &u, &semantic);
    assert!(scores[1] > scores[0], "{scores:?}");
}

#[test]
fn a_unit_about_the_other_case_loses() {
    let passages = vec![
        "OCE requires 5 business days for the initial review.\n\nAn additional review takes 3 business days.\n\nSurveys go out after review.".to_string(),
    ];
    let u = units(&passages, &[None], &[], &Focus::Open);
    let q = "How many business days does an additional review take?";
    let scores = score(q, &u, &[0.95, 0.7, 0.6]);
    // the first is the embedder's choice by far, but it is about the initial review
    assert!(scores[1] > scores[0], "{scores:?}");
    // also when a lead-in clause says which review
    let q = "If OCE needs an additional review, how many business days does it take?";
    let scores = score(q, &u, &[0.95, 0.7, 0.6]);
    assert!(scores[1] > scores[0], "{scores:?}");
    assert!(contrasts("additional", "the initial review"));
    // a sentence that names both cases may compare them
    assert!(!contrasts("additional", "an initial or additional review"));
    assert!(!contrasts("additional", "a second review"));
    // a word the question itself negates is not taken as given
    for q in [
        "Under the expense policy, how much can I spend on a headset without approval?",
        "Under the expense policy, how much can I spend on a headset without getting approval?",
    ] {
        assert!(
            !presupposed_words(q).contains(&"approval".to_string()),
            "{q}"
        );
        assert!(presupposed_words(q).contains(&"headset".to_string()), "{q}");
    }
    // when only the other case's figure is there, what is asked is not stated
    let only = units(
        &["OCE requires 5 business days for the initial review.".to_string()],
        &[None],
        &[],
        &Focus::Open,
    );
    let s = select(q, &only, &score(q, &only, &[0.9])).unwrap();
    assert!(!s.focus_found, "{s:?}");
    let q = "How many business days does the initial review take?";
    let s = select(q, &only, &score(q, &only, &[0.9])).unwrap();
    assert!(s.focus_found, "{s:?}");
}

#[test]
fn a_yes_no_question_prefers_a_near_unit_that_negates_its_word() {
    let passages = vec![
        "You have to be eligible for FMLA to receive Paid Parental Leave.\n\nFMLA gives you up to 12 weeks of unpaid leave each year.".to_string(),
    ];
    let u = units(&passages, &[None], &[], &Focus::Open);
    let q = "Is FMLA leave paid?";
    // the first shares every word of the question and the embedder prefers it
    let s = select(q, &u, &score(q, &u, &[0.8, 0.6])).unwrap();
    assert_eq!(s.picked, vec![1]);
    // ... but not one far below the best
    let s = select(q, &u, &score(q, &u, &[0.8, 0.1])).unwrap();
    assert_eq!(s.picked, vec![0]);
    // and a question that is not yes/no takes the best
    let q = "Which FMLA leave is paid?";
    let s = select(q, &u, &score(q, &u, &[0.8, 0.6])).unwrap();
    assert_eq!(s.picked, vec![0]);
    assert_eq!(polar_words("Does FMLA leave pay?"), ["fmla", "leave"]);
    assert!(polar_words("How much is paid?").is_empty());
    let q = "Can we pay an honorarium to an outside speaker?";
    assert!(denies(
        q,
        "Unfortunately, we can not compensate guests and are working on an honorarium."
    ));
    assert!(denies(q, "Speakers cannot be paid."));
    let delivered =
        "My new iPhone is being shipped to me. Does someone need to be home when it's delivered?";
    assert!(!denies(
        delivered,
        "If you don't receive your work cell phone on day one, you'll need to use your personal phone."
    ));
    assert!(denies(
        delivered,
        "Someone does not need to be home, it is left at the door."
    ));
    assert!(!denies(q, "You can not park in the garage."));
    assert!(!denies(q, "We can pay speakers an honorarium."));
    assert!(!denies(
        "How can I pay a speaker?",
        "You cannot pay a speaker."
    ));
    assert!(denies(
        "Do I need PRA clearance for usability tests?",
        "Usability testing does not require PRA clearance."
    ));
    // only content words settle it, a compound's parts among them: not having a GitHub account
    // does not say whether commit signing must be set up
    let signing = "I only ever edit files through the GitHub website. Do I still have to go through all that commit-signing key setup?";
    assert!(!polar_words(signing).contains(&"have".to_string()));
    assert!(!denies(
        signing,
        "If you don't have a GitHub account, you must use your work email to sign up."
    ));
    assert!(denies(
        signing,
        "If you only use GitHub from the web interface, you do not need to configure signing."
    ));
}

#[test]
fn another_numbered_case_states_nothing() {
    let q = "What percentage of pay is the award for a Level 2 summary rating?";
    let cases = numbered_cases(q);
    assert_eq!(cases, [("level".to_string(), "2".to_string())]);
    assert!(another_numbered_case(
        &cases,
        "Level 4 summary ratings: Up to 2.1% of adjusted basic pay."
    ));
    assert!(!another_numbered_case(
        &cases,
        "Level 2 and Level 3 summary ratings: up to 1%."
    ));
    assert!(!another_numbered_case(
        &cases,
        "Awards are up to 2.1% of pay."
    ));
    assert!(numbered_cases("What is due on March 3 under section 2?").is_empty());
    let u = units(
        &["Level 4 summary ratings: Up to 2.1% of adjusted basic pay.".to_string()],
        &[None],
        &[],
        &Focus::Percent,
    );
    let s = select(q, &u, &[1.2]).unwrap();
    assert!(!s.focus_found);
}

#[test]
fn a_lead_in_brings_its_first_item() {
    let passage =
        "You can use sick leave for:\n• Doctor and medical appointments for you or a family member";
    let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
    let s = select("what can I use sick leave for", &u, &[0.9, 0.5]).unwrap();
    assert_eq!(s.picked, vec![0, 1]);
    assert!(s.focus_found);
}

#[test]
fn a_length_of_time_is_of_what_the_question_times() {
    let q = "If my work iPhone is lost, how long does it take GSA IT to send me a replacement?";
    assert!(taken_activity(q).is_some_and(|a| a.contains("replac")));
    assert!(taken_activity("How long is the initial term?").is_none());
    // arriving names no activity: the sentence says what arrives
    assert!(taken_activity("How long does it usually take to show up?").is_none());
    let class = "How long does the self-guided class take to complete?";
    assert!(taken_activity(class).is_some_and(|a| a.contains("complet")));
    assert!(
        taken_activity("How long does it take to get my card printed?")
            .is_some_and(|a| a.contains("print"))
    );
    let u = units_under(
        "Details",
        &["Please note: it can take 4-6 weeks to process a detail."],
    );
    let s = select(q, &u, &[1.2]).unwrap();
    assert!(!s.focus_found);
    let u = units_under(
        "Lost phones",
        &["A replacement phone is sent within 5 days."],
    );
    assert!(select(q, &u, &[1.2]).unwrap().focus_found);
}

#[test]
fn a_message_asked_about_is_the_one_its_writer_wrote() {
    let q = "On what day did Bob tell Alice that the draft notice was in the matter file?";
    assert_eq!(asked_writer(q).as_deref(), Some("bob"));
    let first = "When did Alice first email Bob asking him to draft the notice?";
    assert_eq!(asked_writer(first).as_deref(), Some("alice"));
    assert_eq!(
        asked_writer("When did Maria Lopez send the announcement?").as_deref(),
        Some("maria")
    );
    assert_eq!(asked_writer("When does the policy start?"), None);
    let mut u = units_under(
        "Re: Supplier termination notice",
        &[
            "Please draft the termination notice and send it to me for review.",
            "The draft notice is attached to the matter file.",
        ],
    );
    let written = |by: &str, on: &str| {
        Some(Written {
            by: by.into(),
            on: on.into(),
        })
    };
    u[0].written = written("Alice Meyer", "2 April 2024");
    u[1].written = written("Bob Chen", "3 April 2024");
    // as the caller reads them for a question about when a message was written
    for unit in &mut u {
        unit.text = unit.dated();
    }
    // the line Bob wrote, though Alice's quoted request scores a little higher
    assert_eq!(select(q, &u, &[1.35, 1.32]).unwrap().picked, vec![1]);
    assert_eq!(select(first, &u, &[1.35, 1.32]).unwrap().picked, vec![0]);
}

/// The units of one message read for `q` (every unit's own cosine alike) and their
/// selection.
fn select_in_message(q: &str, message: &str) -> (Vec<Unit>, Selection) {
    let u = units(&[message.to_string()], &[None], &[0.6], &focus(q));
    let scores = score(q, &u, &vec![0.4; u.len()]);
    let selection = select(q, &u, &scores).unwrap();
    (u, selection)
}

/// The units of one message read for `q` and the index of the first one picked.
fn pick_in_message(q: &str, message: &str) -> (Vec<Unit>, usize) {
    let (u, selection) = select_in_message(q, message);
    (u, selection.picked[0])
}

#[test]
fn the_address_a_message_was_written_to_is_its_to_line() {
    let q = "What email address did Bob Chen write to when he told Dana Okafor we were ending the Northwind supply agreement?";
    assert_eq!(focus(q), Focus::Header("To:"));
    // the preposition in front
    assert_eq!(
        focus("To which mailing-list address did Maria Lopez send her announcement?"),
        Focus::Header("To:")
    );
    assert_ne!(
        focus("To which address should I send my timesheet?"),
        Focus::Header("To:")
    );
    // no one is named as the writer: an address to write to, not a header
    assert_ne!(
        focus("What email address do I write to for help with my laptop?"),
        Focus::Header("To:")
    );
    let passage = "From: Bob Chen <bob.chen@example.com>\nTo: Dana Okafor <dana.okafor@example.com>\n\
        Date: 2024-04-04T11:40:00+00:00\nSubject: Fwd: Supplier termination notice\n\n\
        Dana, for your records: we are terminating the Northwind supply agreement.";
    let (u, picked) = pick_in_message(q, passage);
    assert_eq!(u[picked].text, "To: Dana Okafor <dana.okafor@example.com>");
}

#[test]
fn who_did_it_is_answered_by_a_sentence_about_what_it_was_done_to() {
    let q = "Who signed the TTS welcome letter that new employees receive?";
    assert_eq!(acted_on_noun(q).as_deref(), Some("letter"));
    assert_eq!(
        acted_on_noun("Who leads the TTS accessibility guild?").as_deref(),
        Some("guild")
    );
    // a role is asked for, not a deed
    assert_eq!(acted_on_noun("Who is the designated filer?"), None);
    assert_eq!(acted_on_noun("Who approves my leave?"), None);
    let found = |text: &str| {
        let u = unit_under("Forms", 0, text);
        select(q, &[u], &[1.0]).unwrap().focus_found
    };
    assert!(!found(
        "This will need to be signed by the TTS Executive Director."
    ));
    assert!(found(
        "The welcome letter is signed by the TTS Executive Director, Jane Roe."
    ));
}

#[test]
fn a_named_persons_address_is_the_from_line_of_their_message() {
    let q = "What is Tom Becker's email address?";
    assert_eq!(focus(q), Focus::Header("From:"));
    // a team's address is listed on a page, not in a header
    assert_ne!(
        focus("What is the email address of the 18F Experience Design team?"),
        Focus::Header("From:")
    );
    assert_ne!(
        focus("What is my manager's email address?"),
        Focus::Header("From:")
    );
    let message = "From: Tom Becker <tom.becker@example.com>\nTo: Maria Lopez <maria.lopez@example.com>\n\
        Date: 2024-03-18T11:02:00+01:00\nSubject: Re: New remote work policy\n\n\
        Hi Maria, does the three-day limit also apply to contractors?";
    let (u, picked) = pick_in_message(q, message);
    assert_eq!(u[picked].text, "From: Tom Becker <tom.becker@example.com>");
}

#[test]
fn a_header_line_asked_for_is_found_as_a_lookup() {
    let message = "From: Ana Costa <ana.costa@example.com>\nTo: Legal <legal@example.com>\n\
        Date: 2024-03-20T10:00:00+00:00\nSubject: Fwd: Re: New remote work policy\n\n\
        Forwarding Tom's question about contractors and remote work.";
    // the answer is the header line asked for: its field is the focus, and the line states it
    let found = |q: &str| {
        matches!(focus(q), Focus::Header(_)) && select_in_message(q, message).1.focus_found
    };
    assert!(found(
        "What subject line did Ana Costa's message to the Legal team carry?"
    ));
    // a question about what the message says is no lookup
    assert!(!found("What did Ana Costa forward to the Legal team?"));
}

#[test]
fn the_name_of_an_attached_file_is_its_attachments_line() {
    let q = "What is the file name of the policy document attached to Maria Lopez's remote work announcement?";
    assert_eq!(focus(q), Focus::Header("Attachments:"));
    assert_eq!(
        focus("Which file was attached to the announcement?"),
        Focus::Header("Attachments:")
    );
    // what the attachment says is asked of its text, not of the header
    assert_ne!(
        focus(
            "According to the remote work policy attached to Maria's announcement, what must I use to reach internal systems?"
        ),
        Focus::Header("Attachments:")
    );
    let passage = "From: Maria Lopez <maria.lopez@example.com>\nTo: All Staff <staff@example.com>\n\
        Date: 2024-03-18T09:15:00+01:00\nSubject: New remote work policy\n\
        Attachments: remote-work-policy.pdf\n\n\
        The new remote work policy takes effect on 1 April 2024. The full policy is attached.";
    let (u, picked) = pick_in_message(q, passage);
    assert_eq!(u[picked].text, "Attachments: remote-work-policy.pdf");
    // and the header is still a header: the body's sentences are dated by it
    assert!(u.iter().any(|u| u.written.is_some()));
}

#[test]
fn a_list_item_broken_off_mid_sentence_is_finished_by_the_items_under_it() {
    let page = "• Open a Software request through ServiceNow\n• For Software Name, select\n\
        • for Macs: Microsoft Office Suite (GSA - MAC Client only) 2019\n\
        • for PCs: Microsoft Office Suite (GSA - WIN Client only) 2019\n\
        • Submit the request and wait for the approval email from the Service Desk.";
    let q = "When opening a ServiceNow software request for a Microsoft Office license on a Mac, which Software Name do you select?";
    let (u, picked) = pick_in_message(q, page);
    let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Open a Software request through ServiceNow",
            "For Software Name, select for Macs: Microsoft Office Suite (GSA - MAC Client only) 2019; for PCs: Microsoft Office Suite (GSA - WIN Client only) 2019",
            // an item in upper case is an item of its own
            "Submit the request and wait for the approval email from the Service Desk.",
        ]
    );
    assert_eq!(picked, 1);
    // an item a layout wrapped onto a second line breaks off at that line's end
    let wrapped = "• To request a license for the suite, open a ticket and\nunder Software Name select\n\
        • for Macs: Microsoft Office Suite (GSA - MAC Client only) 2019";
    let u = units(&[wrapped.to_string()], &[None], &[0.6], &Focus::Open);
    assert_eq!(
        u[0].text,
        "To request a license for the suite, open a ticket and under Software Name select for Macs: Microsoft Office Suite (GSA - MAC Client only) 2019"
    );
    // an item that ends its sentence keeps the items under it apart
    let done = "• To take leave, pick one of these:\n• annual leave for a planned vacation away\n\
        • sick leave for a doctor's appointment";
    let u = units(&[done.to_string()], &[None], &[0.6], &Focus::Open);
    let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "To take leave, pick one of these:",
            "annual leave for a planned vacation away",
            "sick leave for a doctor's appointment"
        ]
    );
}

#[test]
fn a_message_id_or_a_header_named_is_that_header_line() {
    let message = "From: Carol Diaz <carol.diaz@example.com>\nTo: Bob Chen <bob.chen@example.com>\n\
        Date: 2024-04-03T16:40:00+01:00\nSubject: Re: Supplier termination notice\n\
        Message-ID: <vd-2b@example.com>\n\n\
        We should check the purchase order history first.";
    let q = "What Message-ID does Carol Diaz's message urging a look at the purchase order history carry?";
    assert_eq!(focus(q), Focus::Header("Message-ID:"));
    let (u, picked) = pick_in_message(q, message);
    assert_eq!(u[picked].text, "Message-ID: <vd-2b@example.com>");
    // a field the question names as a header
    let q = "What UTC offset appears in the Date header of Carol Diaz's message?";
    assert_eq!(focus(q), Focus::Header("Date:"));
    let (u, picked) = pick_in_message(q, message);
    assert_eq!(u[picked].text, "Date: 2024-04-03T16:40:00+01:00");
    // the header that lists IDs is asked for, not the message's own ID
    let message = message.replace(
        "Message-ID: <vd-2b@example.com>\n",
        "Message-ID: <vd-2b@example.com>\nIn-Reply-To: <vd-1@example.com>\n\
         References: <vd-0@example.com> <vd-1@example.com>\n",
    );
    let q = "Carol Diaz's message is a reply to which message? Give the Message-ID named in its In-Reply-To header.";
    assert_eq!(focus(q), Focus::Header("In-Reply-To:"));
    let (u, picked) = pick_in_message(q, &message);
    assert_eq!(u[picked].text, "In-Reply-To: <vd-1@example.com>");
    let q = "Which two Message-IDs are listed in the References header of Carol Diaz's message?";
    let (u, picked) = pick_in_message(q, &message);
    assert_eq!(
        u[picked].text,
        "References: <vd-0@example.com> <vd-1@example.com>"
    );
    // and with them the block is still a header that dates the body
    assert!(u.iter().any(|u| u.written.is_some()));
    // "to line up" or a date line names no header
    assert!(!matches!(
        focus("How long before the move do I need to line up movers?"),
        Focus::Header(_)
    ));
    assert!(!matches!(
        focus("Which date line marks the end of the trial period?"),
        Focus::Header(_)
    ));
    // the ID line keeps the block a header: the body is still dated by it
    assert!(u.iter().any(|u| u.written.is_some()));
}

#[test]
fn a_question_about_a_header_field_is_answered_by_that_line() {
    let subject =
        "What subject line did Alice use on her first email asking Bob to draft the notice?";
    assert_eq!(focus(subject), Focus::Header("Subject:"));
    let copied = "Who was copied on Tom Becker's reply asking Maria about contractors?";
    assert_eq!(focus(copied), Focus::Header("Cc:"));
    assert_eq!(
        focus("Who was cc'd on the announcement?"),
        Focus::Header("Cc:")
    );
    // no message asked about
    assert!(!matches!(
        focus("Who copied the files to the shared drive?"),
        Focus::Header(_)
    ));
    assert!(!matches!(
        focus("What is the subject of the agreement?"),
        Focus::Header(_)
    ));
    let message = "From: Tom Becker <tom.becker@example.com>\nTo: Maria Lopez <maria.lopez@example.com>\nCc: Legal <legal@example.com>\nSubject: Re: New remote work policy\n\nDoes the three-day limit also apply to contractors?";
    let texts = |focus: &Focus| -> Vec<String> {
        units(&[message.to_string()], &[None], &[], focus)
            .into_iter()
            .map(|u| u.text)
            .collect()
    };
    // the header line asked for is a unit, however short; no other header line is
    let cc = texts(&focus(copied));
    assert_eq!(cc.len(), 2, "{cc:?}");
    assert!(cc[0].starts_with("Cc: Legal"), "{cc:?}");
    assert!(states_focus(&focus(copied), &cc[0]));
    assert!(!states_focus(&focus(copied), &cc[1]));
    assert_eq!(texts(&Focus::Open).len(), 1);
    // "her first email": the thread's opening subject, not a reply's, though that scores higher
    let u = units_under(
        "Supplier termination notice",
        &[
            "Subject: Re: Supplier termination notice",
            "Subject: Supplier termination notice",
        ],
    );
    assert_eq!(select(subject, &u, &[1.05, 0.97]).unwrap().picked, vec![1]);
    let later = "What subject line did Bob use on his reply about the notice?";
    assert_eq!(select(later, &u, &[1.05, 0.97]).unwrap().picked, vec![0]);
}

#[test]
fn a_lead_in_whose_items_name_the_person_asked_for_answers() {
    let u = units_under(
        "Billable travel",
        &[
            "Submit the travel request to the appropriate approver as listed below.",
            "The following list provides Concur approvers for billable travel:",
            "18F: Ana Silva",
            "login.gov: Dan Lopez",
        ],
    );
    let q = "Who is the Concur approver for billable travel for login.gov?";
    let s = select(q, &u, &[1.6, 1.5, 1.1, 1.2]).unwrap();
    // the lead-in, though it names nobody, and of its items the best that names someone
    assert_eq!(s.picked, vec![1, 3]);
    assert!(s.focus_found);
}

#[test]
fn a_lead_in_brings_the_item_that_answers() {
    let passage = "If you receive a suspicious email, follow these steps:\n\
                   1. Do not click any links in the email.\n\
                   2. Report it with the Cofense button in your mail client.\n\
                   3. Mark it as spam after reporting it.";
    let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
    assert_eq!(u.len(), 4, "{u:?}");
    let s = select(
        "how do I report a phishing email",
        &u,
        &[0.9, 0.4, 0.8, 0.5],
    )
    .unwrap();
    assert_eq!(s.picked, vec![0, 2]);
    // "where" takes the item that names the place, though another scores higher
    let passage = "To see your recent pay stubs:\n\
                   1. Sign into Employee Express with your login.\n\
                   2. Choose the appropriate pay period in the drop-down menu.\n\
                   3. Click the \"View Your Earnings\" link.";
    let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
    let s = select("Where can I see my pay stub?", &u, &[0.9, 0.4, 0.6, 0.5]).unwrap();
    assert_eq!(s.picked, vec![0, 1]);
    // a question for an amount takes the item that states one, though another scores higher
    let passage = "The company will pay the following amounts:\n\
                   • Payments are due within thirty days of the invoice.\n\
                   • A signing payment of $250,000 on the effective date.";
    let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
    let s = select(
        "What signing fee will the company pay?",
        &u,
        &[0.9, 0.5, 0.4],
    )
    .unwrap();
    assert_eq!(s.picked, vec![0, 2]);
    // and an item of another passage is never brought
    let u = units(
        &[
            "Eligibility requires all of the following:".to_string(),
            "Unrelated passage text about something else entirely.".to_string(),
        ],
        &[None, None],
        &[],
        &Focus::Open,
    );
    let s = select("what is required", &u, &[0.9, 0.8]).unwrap();
    assert_eq!(s.picked, vec![0]);
}

#[test]
fn a_unit_that_names_what_the_question_names_beats_its_neighbour() {
    let u = units_under(
        "Discounts",
        &[
            "Organizations across the United States offer a number of discounts to federal employees.",
            "Apple offers a discount (~10%) to feds when they buy personal equipment.",
            "Major cell phone carriers offer a 15% discount on cell plans to all federal employees.",
        ],
    );
    let q = "Do federal employees get a discount on Apple products?";
    assert_eq!(select(q, &u, &[1.3, 1.2, 1.1]).unwrap().picked, vec![1]);
    // not one far below it
    assert_eq!(select(q, &u, &[1.3, 1.0, 1.1]).unwrap().picked, vec![0]);
    // a figure of another thing does not answer what the best unit names: "General Assembly
    // offers a discount" states no percentage, the cell carriers' 15% is theirs
    let u = units_under(
        "Discounts",
        &[
            "Major cell phone carriers offer a 15% discount on cell plans to all federal employees.",
            "General Assembly offers a discount to federal employees.",
        ],
    );
    let q = "What percentage discount does General Assembly give federal employees?";
    let s = select(q, &u, &[1.4, 1.5]).unwrap();
    assert_eq!(s.picked, vec![1]);
    assert!(!s.focus_found);
    // what follows the unit that names it goes on about it
    let u = units_under(
        "Employment verification",
        &[
            "GSA employees who need income verification should utilize The Work Number.",
            "800-367-5690 (Monday through Friday, 8:00 AM to 8:00 PM EST)",
        ],
    );
    let q = "During what hours can The Work Number be reached by phone?";
    let s = select(q, &u, &[1.5, 1.4]).unwrap();
    assert_eq!(s.picked, vec![1]);
}

#[test]
fn which_one_is_answered_by_a_unit_that_names_one() {
    let u = units_under(
        "Headphones",
        &[
            "Invest in a decent set of headphones with a microphone.",
            "Sennheiser's HD 219 headphones have worked for some of us.",
        ],
    );
    let q = "Which headphones do remote coworkers recommend for long calls?";
    assert_eq!(select(q, &u, &[1.15, 1.1]).unwrap().picked, vec![1]);
    assert_eq!(select(q, &u, &[1.3, 1.1]).unwrap().picked, vec![0]);
    // "what" asks for a description as often as for one of several
    let q = "What headphones do remote coworkers recommend for long calls?";
    assert_eq!(select(q, &u, &[1.15, 1.1]).unwrap().picked, vec![0]);
}

#[test]
fn a_thing_written_in_its_own_form_is_named() {
    assert!(shows_kind(
        "channel",
        "Use #bug-bounty-partners for general questions."
    ));
    assert!(!shows_kind(
        "channel",
        "Post it in the team channel list # 3."
    ));
    assert!(shows_kind(
        "weekday",
        "You will often find Ethan working from the Hub Wednesdays."
    ));
    assert!(!shows_kind(
        "weekday",
        "You will often find Ethan at the Hub."
    ));
    assert!(shows_kind("year", "It was signed in 2019."));
    assert!(!shows_kind("month", "You may ask your supervisor."));
    assert!(shows_kind("website", "Apply at https://usajobs.gov."));
    let q = "Which Slack channel is used for general Bug Bounty questions?";
    assert_eq!(kind_names(q), ["Slack"]);
    assert!(kind_names("Which channel is used for Bug Bounty questions?").is_empty());
    let q = "On which weekday is Ethan Heppner often found working from the Hub?";
    assert_eq!(focus(q), Focus::Open);
    let found = |text: &str| {
        select(q, &units_under("Chicago", &[text]), &[1.0])
            .unwrap()
            .focus_found
    };
    assert!(found(
        "You will often find Ethan Heppner working from the Hub on Wednesdays."
    ));
    assert!(!found(
        "You will often find Ethan Heppner working from the Hub."
    ));
}

#[test]
fn who_did_it_to_a_message_is_its_writer() {
    let q = "Who signed the new remote work policy announcement as Head of People?";
    let mut u = unit_under(
        "New remote work policy",
        0,
        "The new policy takes effect on 1 April.",
    );
    assert!(!select(q, &[u.clone()], &[1.0]).unwrap().focus_found);
    u.written = Some(Written {
        by: "Maria Lopez".into(),
        on: "18 March 2024".into(),
    });
    assert!(select(q, &[u], &[1.0]).unwrap().focus_found);
}

#[test]
fn a_rate_is_no_length_of_time() {
    let q =
        "How long is the probation period employees must complete before they can work remotely?";
    let length = focus(q);
    assert!(matches!(&length, Focus::Quantity(u) if u.contains(&"week") && u.contains(&"year")));
    assert_states(
        &length,
        &[
            "The probation period lasts one year.",
            "You may work remotely three days per week after a probation of 90 days.",
        ],
        &[
            "Employees who have completed their probation period may work remotely up to three days per week.",
            "Set aside 2 hours a day for it.",
        ],
    );
    // a count of days is still stated by a rate
    assert!(states_focus(
        &Focus::Quantity(vec!["day"]),
        "You may work remotely up to three days per week."
    ));
}

#[test]
fn which_noun_before_a_verb_is_what_is_asked() {
    // "had" ends the noun phrase, and a deadline named later is not what is asked
    let q = "Which supplier had missed its third delivery deadline of the quarter when Alice \
             Meyer proposed ending the supply agreement?";
    assert_eq!(focus(q), Focus::Open);
    assert_eq!(asked_noun(q).as_deref(), Some("supplier"));
    assert_eq!(
        focus("What is the deadline for submitting travel vouchers?"),
        Focus::Deadline
    );
    // "about" ends it too
    let q = "In Play 9, what is a daring talk about issues like systemic racism often known as?";
    assert_eq!(asked_noun(q).as_deref(), Some("talk"));
    // and an article opens another phrase
    let q = "What is the maximum number of burden hours a single Gen IC package can request?";
    assert_eq!(super::focus::measured_noun(q).as_deref(), Some("hours"));
}

#[test]
fn a_name_of_the_kind_asked_answers_which_book() {
    let u = [
        unit_under("", 0, "The CPR framework is from Crucial Accountability."),
        unit_under("", 1, "The CPR framework can be used when feedback fails."),
    ];
    let q = "Which book does the Content, Pattern, Relationship (CPR) framework come from?";
    let s = select(q, &u, &[0.9, 0.5]).unwrap();
    assert!(s.focus_found, "{s:?}");
    let s = select(q, &u[1..], &[0.9]).unwrap();
    assert!(!s.focus_found, "{s:?}");
    // a plural kind is the same kind
    let asked = HashSet::new();
    let text = "Deliveries are made by Acme Logistics and Bolt Freight.";
    for noun in ["companies", "carriers", "company"] {
        assert!(
            super::names::names_one_of_kind(noun, &asked, text),
            "{noun}"
        );
    }
    assert!(!super::names::names_one_of_kind("deliveries", &asked, text));
}

#[test]
fn what_something_is_known_as_is_said_by_the_unit_that_says_known_as() {
    let u = [
        unit_under(
            "",
            0,
            "Talking with coworkers about systemic racism takes guts.",
        ),
        unit_under(
            "",
            1,
            "You may hesitate to start a daring talk, often known as a courageous conversation.",
        ),
    ];
    let q = "What is a daring talk about issues like systemic racism often known as?";
    let s = select(q, &u, &score(q, &u, &[0.6, 0.3])).unwrap();
    assert_eq!(s.picked, vec![1]);
}

#[test]
fn the_kind_of_thing_asked_is_what_follows_kind_of() {
    let q = "I'm a new supervisor. What kind of computer access should I ask for?";
    assert_eq!(asked_noun(q).as_deref(), Some("access"));
    let q = "Which kind of expense claim do I create in the travel system?";
    assert_eq!(asked_noun(q).as_deref(), Some("claim"));
    // a word in -s before "the" is the verb of "which X"
    let q = "Which bank holds the account that the client pays into?";
    assert_eq!(asked_noun(q).as_deref(), Some("bank"));
    // (not after a longer phrase, which may run on past a verb not in -s)
    let q = "Which cell phone carriers give federal employees the discount?";
    assert_ne!(asked_noun(q).as_deref(), Some("federal"));
    // a verb that takes "to" is one after a longer phrase too; a plural before "to" is the noun
    let q = "What hourly FTE Rate applies to scientists and engineers as of the Effective Date?";
    assert_eq!(asked_noun(q).as_deref(), Some("rate"));
    let q = "What tax forms to file do I need?";
    assert_eq!(asked_noun(q).as_deref(), Some("forms"));
}

#[test]
fn who_sends_is_not_where_to_send() {
    let q = "A new person can't get into the training site. Who should email the help desk?";
    assert_eq!(focus(q), Focus::Person(Vec::new()));
    assert_eq!(
        focus("A contractor needs access. Who do I email to sponsor them?"),
        Focus::Address
    );
    assert_eq!(
        focus("Under the amendment, until when does the non-solicitation term continue?"),
        Focus::When
    );
    // a street address is a place, not a web or e-mail address
    assert_eq!(
        focus("At what street address is Merck KGaA listed in the filing agreement?"),
        Focus::Place
    );
    assert_eq!(
        focus("What web address do I use for leave?"),
        Focus::Address
    );
    // "within what time" asks for a length of time, "at what time" a time of day
    assert!(matches!(
        focus("Within what time must any legal action under the agreement be started?"),
        Focus::Quantity(_)
    ));
    assert_eq!(focus("At what time does the office open?"), Focus::Time);
    assert_eq!(
        focus("On a gliding schedule, within what time window can I start my workday?"),
        Focus::Time
    );
}

#[test]
fn a_forms_value_belongs_to_the_record_its_key_line_names() {
    let passage = "Additional Reporting Person (a):   Merck Serono SA\n\
        Address:                           Zone Industrielle\n\
        \x20                                  1267 Coinsins, Switzerland\n\
        Additional Reporting Person (b):   Merck KGaA\n\
        Address:                           Frankfurter Str. 250\n\
        \x20                                  64293 Darmstadt, Germany\n\
        Designated Filer:                  Ares Trading SA";
    let u = super::units::units(&[passage.to_string()], &[None], &[0.5], &Focus::Place);
    let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
    // a street's abbreviation ends no sentence, and the postcode line goes on with its label
    assert!(
        texts.contains(&"Address: Frankfurter Str. 250 64293 Darmstadt, Germany"),
        "{texts:?}"
    );
    let q = "At what street address is Merck KGaA listed in the joint filing agreement?";
    let mut scores = vec![0.9; u.len()];
    let zone = texts.iter().position(|t| t.contains("Zone")).unwrap();
    scores[zone] = 1.0;
    let s = select(q, &u, &scores).unwrap();
    assert!(
        u[s.picked[0]].text.contains("Frankfurter"),
        "{:?}",
        u[s.picked[0]]
    );
    // an address line names no one, whatever its capitals
    assert!(!names_someone(
        "Address: Zone Industrielle 1267 Coinsins, Switzerland",
        &[]
    ));
    assert!(names_someone("Designated Filer: Ares Trading", &[]));
}

#[test]
fn a_term_the_question_quotes_is_answered_under_it() {
    let u = [
        unit_under(
            "Before the kickoff",
            0,
            "When you schedule it, send the team an agenda.",
        ),
        unit_under(
            "A moment of ceremony (5 minutes)",
            1,
            "Pick a background and/or filter and we'll take a team photo",
        ),
    ];
    let q = "In the kickoff agenda, what does the team do during \"A moment of ceremony\"?";
    let s = select(q, &u, &[1.2, 0.8]).unwrap();
    assert_eq!(s.picked, vec![1]);
    // not from any distance
    let s = select(q, &u, &[1.5, 0.8]).unwrap();
    assert_eq!(s.picked, vec![0]);
}

#[test]
fn a_role_is_named_by_the_role_a_tool_gives() {
    let q = "We have interpreters joining our Zoom meeting. What role should I give them?";
    let u = [
        unit_under(
            "",
            0,
            "An interpreter can be provided in a virtual meeting.",
        ),
        unit_under("", 1, "Make interpreters co-hosts of the meeting."),
    ];
    let s = select(q, &u, &score(q, &u, &[0.75, 0.7])).unwrap();
    assert_eq!(s.picked, vec![1]);
    assert!(s.focus_found);
}

#[test]
fn who_wrote_it_asks_for_the_writer() {
    assert!(asks_who_wrote(
        "Who wrote to Alice Meyer, copying Bob Chen, that the deliveries were late?"
    ));
    assert!(asks_who_wrote("Who sent the reminder about badges?"));
    assert!(!asks_who_wrote("Who approves travel?"));
    assert!(!asks_who_wrote("Who did Bob ask to draft the notice?"));
}

#[test]
fn a_field_named_as_a_line_of_a_message_is_that_header_line() {
    let q = "Tom Becker replied to the announcement asking about contractors. Who is in the To line of that reply?";
    assert_eq!(focus(q), Focus::Header("To:"));
    let message = "From: Tom Becker <tom.becker@example.com>\nTo: Maria Lopez <maria.lopez@example.com>\n\
        Date: 2024-03-18T11:02:00+01:00\nSubject: Re: New remote work policy\n\n\
        Does the three-day limit also apply to contractors?";
    let (u, picked) = pick_in_message(q, message);
    assert_eq!(u[picked].text, "To: Maria Lopez <maria.lopez@example.com>");
    // a form's line is no message's
    assert!(!matches!(
        focus("Who goes in the To line of the travel authorization form?"),
        Focus::Header(_)
    ));
}

#[test]
fn a_header_looked_up_is_of_the_message_the_named_writer_wrote() {
    let forward = "From: Ana Costa <ana.costa@example.com>\nTo: Legal <legal@example.com>\n\
        Date: 2024-03-19T08:40:00+01:00\nSubject: Fwd: Re: New remote work policy\n\
        Message-ID: <fwd-1@example.com>\n\n\
        Forwarding Tom's question about contractors and remote work.";
    let (u, selection) = select_in_message(
        "What Message-ID does Ana Costa's forward of Tom's contractor question carry?",
        forward,
    );
    assert_eq!(
        u[selection.picked[0]].text,
        "Message-ID: <fwd-1@example.com>"
    );
    assert!(selection.focus_found);
    // the reply of someone who wrote none of the messages read is not there
    let (_, selection) = select_in_message(
        "What Message-ID did the Legal team's reply to Ana Costa's forwarded contractor question carry?",
        forward,
    );
    assert!(!selection.focus_found);
}

#[test]
fn a_message_is_dated_with_its_weekday() {
    let message = "From: Ana Costa <ana.costa@example.com>\nTo: Legal <legal@example.com>\n\
        Date: 2024-03-19T08:40:00+01:00\nSubject: Fwd: Re: New remote work policy\n\n\
        Forwarding Tom's question about contractors and remote work.";
    let u = units(&[message.to_string()], &[None], &[0.6], &Focus::When);
    assert!(
        u.iter().any(|u| u
            .dated()
            .starts_with("On Tuesday, 19 March 2024 at 08:40, Ana Costa wrote:")),
        "{u:?}"
    );
}

#[test]
fn the_rule_for_the_askers_own_case_answers() {
    let q = "I'm going abroad on vacation and I don't hold a security clearance. Do I have to tell GSA about the trip?";
    let lacks = asker_lacks(q);
    let required = "If you are traveling internationally and hold a security clearance, you are required to notify GSA.";
    let optional = "This notification is optional if you do not hold a clearance.";
    assert_eq!(asker_case(&lacks, required), Some(false));
    assert_eq!(asker_case(&lacks, optional), Some(true));
    assert_eq!(
        asker_case(&lacks, "Unless you hold a clearance, tell your supervisor."),
        Some(true)
    );
    assert_eq!(asker_case(&lacks, "Book your trip in Concur."), None);
    // the asker says nothing of themselves
    assert!(asker_lacks("Do I have to tell GSA about a trip if they don't ask?").is_empty());
    assert!(
        asker_lacks("What is better than writing “I don't think this person is a good fit”?")
            .is_empty()
    );
    let u = units_under("Going out of office", &[required, optional]);
    // the rule for the others says the opposite of the asker's case
    let f = features(q, &u, &[0.83, 0.45]);
    assert_eq!((f[0][11], f[1][11]), (1.0, 0.0));
    // and the rule for the asker's case, nearly as good, answers
    assert_eq!(select(q, &u, &[1.3, 1.05]).unwrap().picked, vec![1]);
}
