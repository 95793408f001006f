//! Bad rules files, as a chapter admin's slip of the keyboard makes them: whatever
//! text `passage rules check` is given — noise, a shipped file with a line deleted,
//! doubled, cut short or a token swapped, a `when` expression of random tokens — the
//! checker never panics, and a file it refuses is refused with the file, a line
//! inside it, the rule where there is one, and what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use passage_node::rules::{MemberFacts, OpportunityFacts, RuleSet, RulesError, cases, file};
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// The name the fuzzed text is checked under.
const FILE: &str = "fuzzed.rules.toml";

/// The region files shipped in deploy/regions/.
const SHIPPED: &[&str] = &["amsterdam", "berlin", "miami", "washington-dc"];

fn shipped(region: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/regions")
        .join(format!("{region}.rules.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `passage rules check` and `passage rules test` do with a file: compile it
/// and, when it compiles, run its cases and print their table.
fn check(text: &str) -> Result<RuleSet, RulesError> {
    let rules = file::parse(FILE, text)?;
    let report = cases::run(&rules);
    let _ = report.table();
    let _ = report.first_failure();
    Ok(rules)
}

/// A refusal names this file, a line of `text`, and something wrong; a rule it
/// names is one the text has.
fn assert_points_into(text: &str, error: &RulesError) {
    let lines = text.split('\n').count();
    assert_eq!(error.file, FILE, "{error}");
    assert!(
        (1..=lines).contains(&error.line),
        "line {} is not a line of the {lines}-line file: {error}",
        error.line
    );
    assert!(
        !error.message.trim().is_empty(),
        "no reason given: {error:?}"
    );
    if let Some(rule) = &error.rule {
        assert!(
            rule.split(", ").all(|id| text.contains(id)),
            "names rule {rule:?}, which the file does not have: {error}"
        );
    }
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("{FILE}:{}: ", error.line)),
        "{shown}"
    );
}

/// The key a `key = value` line sets (`member` for `member = { … }`).
fn key_of(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))?;
    let rest = line[end..].trim_start();
    (end > 0 && rest.starts_with('=') && !rest.starts_with("==")).then(|| &line[..end])
}

/// A refusal says what is wrong: the key or part of a rule or case it is about, or,
/// for a TOML mistake, the key of its line when the line sets one.
fn assert_names_what_is_wrong(text: &str, error: &RulesError) {
    const CHECKED: &[&str] = &[
        "region: ",
        "country: ",
        "id: ",
        "source: ",
        "effective_from: ",
        "effective_until",
        "reviewed_on: ",
        "review_by: ",
        "translations.",
        "when: ",
        "hours: ",
        "effect",
        "falls_on: ",
        "case \"",
        "the id is used by another rule",
    ];
    if CHECKED.iter().any(|key| error.message.starts_with(key)) {
        return;
    }
    assert!(
        error.rule.is_none(),
        "a refusal of rule {:?} that does not start with its key: {error}",
        error.rule
    );
    let line = text.split('\n').nth(error.line - 1).unwrap_or_default();
    if let Some(key) = key_of(line) {
        assert!(
            error.message.contains(key),
            "a refusal of line {:?} that does not name `{key}`: {error}",
            line
        );
    }
}

/// One slip while editing a file.
#[derive(Debug, Clone)]
enum Slip {
    DeleteLine(Index),
    DuplicateLine(Index),
    ReplaceWord(Index, &'static str),
    TruncateAt(Index),
    FlipChar(Index, char),
}

const REPLACEMENTS: &[&str] = &[
    "",
    "x",
    "0",
    "-1",
    "\"\"",
    "'''",
    "\"",
    "=",
    "[[rule]]",
    "[[case]]",
    "[rule]",
    "true",
    "99999999999999999999",
    "-9223372036854775808",
    "member.nope",
    "opportunity",
    "&&",
    "(",
    ")",
    "2023-02-30",
    "1e308",
    "nan",
    "inf",
    "ünïcödé 🙂",
    "\u{0}",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    "deny",
    "cap_hours",
    "warn",
    "hours = 81",
    "effective_until = \"1900-01-01\"",
    "id",
    "when",
    "expect",
];

fn slip() -> impl Strategy<Value = Slip> {
    prop_oneof![
        any::<Index>().prop_map(Slip::DeleteLine),
        any::<Index>().prop_map(Slip::DuplicateLine),
        (any::<Index>(), select(REPLACEMENTS)).prop_map(|(i, r)| Slip::ReplaceWord(i, r)),
        any::<Index>().prop_map(Slip::TruncateAt),
        (any::<Index>(), any::<char>()).prop_map(|(i, c)| Slip::FlipChar(i, c)),
    ]
}

fn char_boundary_at(text: &str, index: &Index) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut at = index.index(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, slip: &Slip) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    match slip {
        Slip::DeleteLine(index) => {
            let at = index.index(lines.len());
            let mut kept = lines.clone();
            kept.remove(at);
            kept.join("\n")
        }
        Slip::DuplicateLine(index) => {
            let at = index.index(lines.len());
            let mut doubled = lines.clone();
            doubled.insert(at, lines[at]);
            doubled.join("\n")
        }
        Slip::ReplaceWord(index, replacement) => {
            let at = char_boundary_at(text, index);
            let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
            let start = text[..at]
                .char_indices()
                .rev()
                .find(|(_, c)| !is_word(*c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let end = text[at..]
                .find(|c: char| !is_word(c))
                .map_or(text.len(), |i| at + i);
            format!("{}{replacement}{}", &text[..start], &text[end..])
        }
        Slip::TruncateAt(index) => text[..char_boundary_at(text, index)].to_owned(),
        Slip::FlipChar(index, with) => {
            let at = char_boundary_at(text, index);
            let mut flipped = text[..at].to_owned();
            flipped.push(*with);
            let mut rest = text[at..].chars();
            rest.next();
            flipped.push_str(rest.as_str());
            flipped
        }
    }
}

/// A small, valid file with one rule whose `when` is `expression`, as a multi-line
/// basic TOML string (as a rules file writes it) so any text fits.
fn file_with_when(expression: &str) -> String {
    let mut quoted = String::from("\"\"\"\n");
    for c in expression.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push('\n'),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push_str("\"\"\"");
    format!(
        "region = \"amsterdam\"\ncountry = \"NL\"\n\n[[rule]]\nid = \"fuzzed-rule\"\n\
         description = \"A rule of random tokens.\"\nsource = \"the fuzzer\"\n\
         effective_from = \"2024-01-01\"\nwhen = {quoted}\neffect = \"warn\"\n\
         message = \"Fuzzed.\"\n"
    )
}

/// Pieces of CEL a rule is made of, correct and not.
const TOKENS: &[&str] = &[
    "member",
    "opportunity",
    "today",
    ".",
    "residence_status",
    "permits",
    "permit_kinds",
    "days_until_expiry",
    "months_since_asylum_application",
    "asylum_clock_days",
    "paid",
    "hours_per_week",
    "hourly_wage",
    "kind",
    "nope",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "?",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "in",
    "\"asylum_seeker\"",
    "\"\"",
    "'",
    "\"",
    "0",
    "6",
    "-1",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615u",
    "1e308",
    "true",
    "null",
    "b\"\\xff\"",
    "exists",
    "all",
    "map",
    "filter",
    "exists_one",
    "size",
    "startsWith",
    "matches",
    "int",
    "double",
    "string",
    "timestamp",
    "duration",
    "p",
    "x",
    " ",
    "\n",
    "ü",
    "\\",
];

fn expression() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(select(TOKENS), 0..24).prop_map(|tokens| tokens.concat()),
        prop::collection::vec(select(TOKENS), 0..24).prop_map(|tokens| tokens.join(" ")),
        "\\PC{0,60}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_read_or_refused_with_a_line(text in "\\PC{0,300}|(.|\n){0,300}") {
        if let Err(error) = check(&text) {
            assert_points_into(&text, &error);
            assert_names_what_is_wrong(&text, &error);
        }
    }

    #[test]
    fn any_bytes_on_disk_are_read_or_refused_with_a_line(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let dir = std::env::temp_dir().join(format!("passage-fuzz-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(FILE);
        std::fs::write(&path, &bytes).unwrap();
        if let Err(error) = file::load(&path) {
            assert_eq!(error.file, path.display().to_string());
            assert!(error.line >= 1, "no line: {error}");
            assert!(!error.message.trim().is_empty(), "{error:?}");
        }
    }

    #[test]
    fn a_shipped_file_with_slips_is_read_or_refused_with_a_line(
        region in select(SHIPPED),
        slips in prop::collection::vec(slip(), 1..4),
    ) {
        let mut text = shipped(region);
        for slip in &slips {
            text = apply(&text, slip);
        }
        if let Err(error) = check(&text) {
            assert_points_into(&text, &error);
            assert_names_what_is_wrong(&text, &error);
        }
    }

    #[test]
    fn any_when_expression_compiles_or_is_refused_naming_the_rule(when in expression()) {
        let text = file_with_when(&when);
        if let Err(error) = check(&text) {
            assert_points_into(&text, &error);
            if error.rule.is_some() {
                assert_eq!(error.rule.as_deref(), Some("fuzzed-rule"), "{error}");
                assert!(error.message.starts_with("when: "), "{error}");
                let opening = text.lines().position(|l| l.starts_with("when = ")).unwrap() + 1;
                let (first, last) = (opening + 1, opening + 1 + when.matches('\n').count());
                assert!((first..=last).contains(&error.line), "not a line of `when`: {error}");
            } else {
                // Only TOML can refuse before the rule is read, and the quoting is right.
                panic!("refused before the rule was read: {error}");
            }
        }
    }

    #[test]
    fn any_case_facts_are_decided_or_refused_without_panicking(
        stopped in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), -5..5i64],
        hours in any::<i64>(),
        experience in any::<i64>(),
        wage in any::<f64>(),
        applied in "(19|20|99)[0-9]{2}-(0[0-9]|1[0-3])-[0-3][0-9]",
        date in "(19|20|99)[0-9]{2}-(0[0-9]|1[0-3])-[0-3][0-9]",
    ) {
        let member = format!(
            "residence_status = \"asylum_seeker\", asylum_application_date = \"{applied}\", \
             asylum_clock_stopped_days = {stopped}, available_hours_per_week = {hours}, \
             experience_years = {experience}"
        );
        let wage = if wage.is_finite() { format!("{wage:?}") } else { "nan".to_owned() };
        let text = format!(
            "{}\n[[case]]\nname = \"extreme facts\"\ndate = \"{date}\"\nmember = {{ {member} }}\n\
             opportunity = {{ kind = \"job\", paid = true, hours_per_week = {hours}, hourly_wage = {wage} }}\n\
             expect = {{ eligible = true, fired = [] }}\n",
            shipped("miami")
        );
        if let Err(error) = check(&text) {
            assert_points_into(&text, &error);
            assert_names_what_is_wrong(&text, &error);
        }
    }
}

#[test]
fn an_asylum_clock_stopped_longer_than_time_itself_is_decided_not_overflowed() {
    let member = MemberFacts {
        residence_status: "asylum_seeker".into(),
        asylum_application_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
        asylum_clock_stopped_days: i64::MIN,
        ..MemberFacts::default()
    };
    let rules = file::parse(FILE, &shipped("miami")).unwrap();
    let opportunity = OpportunityFacts {
        kind: "job".into(),
        paid: true,
        hours_per_week: 20,
        ..OpportunityFacts::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    rules.evaluate(&member, &opportunity, today).unwrap();
}

#[test]
fn text_that_is_not_utf8_is_refused_at_its_line() {
    let dir = std::env::temp_dir().join(format!("passage-utf8-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.rules.toml");
    std::fs::write(
        &path,
        b"region = \"amsterdam\"\ncountry = \"NL\"\ndescription = \"K\xf6ln\"\n",
    )
    .unwrap();
    let error = file::load(&path).unwrap_err();
    assert_eq!(error.line, 3, "{error}");
    assert!(error.message.contains("UTF-8"), "{error}");
}

#[test]
fn a_when_too_long_or_too_deep_is_refused_before_it_can_exhaust_the_stack() {
    let refusal = |when: &str| {
        let text = file_with_when(when);
        let error = check(&text).unwrap_err();
        assert_points_into(&text, &error);
        assert_eq!(error.rule.as_deref(), Some("fuzzed-rule"), "{error}");
        error.message
    };
    let brackets = format!("{}true{}", "(".repeat(5000), ")".repeat(5000));
    assert!(
        refusal(&brackets).starts_with("when: is 10004 characters long, at most 2000"),
        "{}",
        refusal(&brackets)
    );
    let brackets = format!("{}true{}", "(".repeat(65), ")".repeat(65));
    assert!(refusal(&brackets).starts_with("when: has 65 opening brackets, at most 64"));
    let sum = format!("{}1 > 0", "1 + ".repeat(400));
    assert!(refusal(&sum).starts_with("when: nests 402 levels deep, at most 16"));
    let lists = format!("size({}1{}) == 1", "[".repeat(40), "]".repeat(40));
    assert!(refusal(&lists).starts_with("when: nests"));
    // Brackets alone do not nest what is evaluated.
    let parenthesised = format!("{}true{}", "(".repeat(64), ")".repeat(64));
    assert!(check(&file_with_when(&parenthesised)).is_ok());
}

#[test]
fn a_rule_as_deep_as_allowed_is_decided_on_a_worker_threads_stack() {
    // 14 additions and a comparison: 16 levels, the most a `when` may nest.
    let when = format!("{}opportunity.hours_per_week > 0", "1 + ".repeat(14));
    let rules = check(&file_with_when(&when)).unwrap();
    let decided = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let opportunity = OpportunityFacts {
                kind: "job".into(),
                hours_per_week: 20,
                ..OpportunityFacts::default()
            };
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
            rules
                .evaluate(&MemberFacts::default(), &opportunity, today)
                .unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(decided.fired, vec![0]);
}

#[test]
fn a_case_date_that_does_not_exist_is_refused_naming_its_field() {
    let text = format!(
        "{}\n[[case]]\nname = \"applied on 30 February\"\ndate = \"2026-01-01\"\n\
         member = {{ residence_status = \"asylum_seeker\", asylum_application_date = \"2023-02-30\" }}\n\
         opportunity = {{ kind = \"job\" }}\nexpect = {{ eligible = true, fired = [] }}\n",
        shipped("amsterdam")
    );
    let error = check(&text).unwrap_err();
    let line = text.lines().position(|l| l.contains("2023-02-30")).unwrap() + 1;
    assert_eq!(error.line, line, "{error}");
    assert!(
        error
            .message
            .starts_with("member.asylum_application_date: "),
        "{error}"
    );
}

#[test]
fn a_line_pasted_twice_is_refused_naming_its_key() {
    let text = shipped("berlin");
    let line = text
        .lines()
        .position(|l| l.starts_with("source = "))
        .unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(line, lines[line]);
    let error = check(&lines.join("\n")).unwrap_err();
    assert_eq!(error.line, line + 2, "{error}");
    assert_eq!(error.message, "source: duplicate key", "{error}");
}
