//! Detectors of secrets and personal data in text: credentials (cloud and service API keys and
//! tokens, private-key blocks, JWTs, what follows a password prompt), card numbers (checked by
//! Luhn), IBANs (checked by ISO 13616's mod 97), emails, phone numbers, IP addresses, national ids
//! (US SSN, UK National Insurance), plus a vendor's own patterns and word lists. Each finding is
//! a byte span of the text with its kind and rule; overlapping findings keep the earliest, then
//! the longest. [`Placeholders`] masks findings so one value gets one placeholder everywhere in a
//! trajectory (`[EMAIL_1]`). Not its job: which texts to scan or what to do with a finding
//! ([`super`]).

use std::collections::{BTreeMap, HashMap};

use regex::Regex;
use serde::{Deserialize, Serialize};

/// Bumped whenever a rule changes what it finds; exports name the version they were checked by.
pub const VERSION: u32 = 1;

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Credential,
    Password,
    CardNumber,
    Iban,
    Email,
    Phone,
    IpAddress,
    NationalId,
    /// A vendor's own pattern or word list.
    Custom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Credential => "credential",
            Kind::Password => "password",
            Kind::CardNumber => "card_number",
            Kind::Iban => "iban",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::IpAddress => "ip_address",
            Kind::NationalId => "national_id",
            Kind::Custom => "custom",
        }
    }
}

/// One thing found: `text[start..end]` is the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    /// The rule that found it (`aws_access_key`, `luhn_card`, a vendor pattern's name…).
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    kind: Kind,
    regex: Regex,
    /// The capture group holding the value (0: the whole match).
    group: usize,
    check: Option<fn(&str) -> bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("pattern {name:?} is not a regular expression: {reason}")]
    BadPattern { name: String, reason: String },
}

/// A set of rules to run over texts.
#[derive(Debug)]
pub struct Detectors {
    rules: Vec<Rule>,
}

const BUILT_IN: &[(&str, Kind, &str, usize)] = &[
    ("private_key_block", Kind::Credential, r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)", 0),
    ("jwt", Kind::Credential, r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0),
    ("aws_access_key", Kind::Credential, r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b", 0),
    ("aws_secret_key", Kind::Credential, r"(?i)aws.{0,20}?(?:secret|key).{0,5}?[=:]\s*([A-Za-z0-9/+]{40})\b", 1),
    ("github_token", Kind::Credential, r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b", 0),
    ("gitlab_token", Kind::Credential, r"\bglpat-[A-Za-z0-9_-]{20,}\b", 0),
    ("slack_token", Kind::Credential, r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b", 0),
    ("google_api_key", Kind::Credential, r"\bAIza[0-9A-Za-z_-]{35}\b", 0),
    ("stripe_key", Kind::Credential, r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b", 0),
    ("anthropic_key", Kind::Credential, r"\bsk-ant-[A-Za-z0-9_-]{20,}", 0),
    ("openai_key", Kind::Credential, r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}", 0),
    ("bearer_token", Kind::Credential, r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{20,}=*)", 1),
    ("password_prompt", Kind::Password, r"(?i)\b(?:password|passwd|passphrase|pwd|pin|kennwort|contraseña|mot de passe)\s*[:=]\s*(\S+)", 1),
    ("email", Kind::Email, r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", 0),
    ("iban", Kind::Iban, r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", 0),
    ("luhn_card", Kind::CardNumber, r"\b(?:[0-9][ -]?){12,18}[0-9]\b", 0),
    ("us_ssn", Kind::NationalId, r"\b(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])-(?:0[1-9]|[1-9][0-9])-(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})\b", 0),
    ("uk_nino", Kind::NationalId, r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", 0),
    ("ipv4", Kind::IpAddress, r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\b", 0),
    ("ipv6", Kind::IpAddress, r"(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?i)\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}\b", 0),
    ("phone", Kind::Phone, r"(?:\+[1-9][0-9]{0,2}[ .-]?)?(?:\([0-9]{2,4}\)[ .-]?[0-9]{2,4}(?:[ .-][0-9]{2,4}){1,3}|\b[0-9]{2,4}(?:[ .-][0-9]{2,4}){2,4})\b|\+[1-9][0-9]{7,14}\b", 0),
];

/// Rules for text read off a screen by OCR, which misreads a character here and there (O for 0,
/// a space inside a long key, é for 6): the shapes of the common identifiers without their
/// check digits, spaces allowed inside keys, and a value after a label that names what it is.
const SCREEN: &[(&str, Kind, &str, usize)] = &[
    ("ocr_aws_access_key", Kind::Credential, r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)(?:[0-9A-Z] ?){14,20}[0-9A-Z]\b", 0),
    ("ocr_github_token", Kind::Credential, r"\bgh[pousr]_(?:[\w] ?){30,}[\w]", 0),
    ("ocr_card", Kind::CardNumber, r"\b[0-9OolIS]{4}[ -][0-9OolIS]{4}[ -][0-9OolIS]{4}[ -][0-9OolIS]{1,7}\b", 0),
    ("ocr_iban", Kind::Iban, r"\b[A-Z]{2}[0-9O]{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b", 0),
    ("ocr_email", Kind::Email, r"[\w.%+-]+ ?[@©®] ?[\w-]+(?: ?\. ?[\w-]+)*? ?\. ?[A-Za-z]{2,}\b", 0),
    ("ocr_ssn", Kind::NationalId, r"\b[0-9]{2,3}[-–—][0-9]{2}[-–—][0-9]{4}\b", 0),
    (
        "ocr_labelled_value",
        Kind::Custom,
        r"(?i)\b(?:e-?mail|card(?: number| no\.?)?|credit card|iban|ssn|social security(?: number)?|phone|tel|mobile|api key|access key|secret(?: key)?|key|token|password|passwd|passcode|pin)\s*[:=;]\s*(\S.*)$",
        1,
    ),
];

fn checker(name: &str) -> Option<fn(&str) -> bool> {
    match name {
        "luhn_card" => Some(luhn),
        "iban" => Some(iban),
        "phone" => Some(phone),
        _ => None,
    }
}

impl Detectors {
    /// The built-in rules.
    pub fn builtin() -> Detectors {
        let rules = BUILT_IN
            .iter()
            .filter_map(|(name, kind, re, group)| match Regex::new(re) {
                Ok(regex) => Some(Rule { name: name.to_string(), kind: *kind, regex, group: *group, check: checker(name) }),
                Err(e) => {
                    // A built-in rule is tested; this is never expected.
                    tracing::error!(rule = name, "a built-in detector does not compile: {e}");
                    None
                }
            })
            .collect();
        Detectors { rules }
    }

    /// The built-in rules and, after them, the rules for text read by OCR ([`SCREEN`]).
    pub fn screen(&self) -> Detectors {
        let mut rules = self.rules.clone();
        for (name, kind, re, group) in SCREEN {
            match Regex::new(re) {
                Ok(regex) => rules.push(Rule { name: name.to_string(), kind: *kind, regex, group: *group, check: None }),
                Err(e) => tracing::error!(rule = name, "a screen detector does not compile: {e}"),
            }
        }
        Detectors { rules }
    }

    /// Adds a vendor's pattern (a regular expression; its first capture group is the value when
    /// it has one).
    pub fn with_pattern(mut self, name: &str, pattern: &str) -> Result<Detectors, DetectError> {
        let regex = Regex::new(pattern).map_err(|e| DetectError::BadPattern { name: name.into(), reason: e.to_string() })?;
        let group = usize::from(regex.captures_len() > 1);
        self.rules.push(Rule { name: name.into(), kind: Kind::Custom, regex, group, check: None });
        Ok(self)
    }

    /// Adds a vendor's word list (customer names, product code names): each word or phrase is
    /// found whole, case-insensitively.
    pub fn with_words(self, name: &str, words: &[String]) -> Result<Detectors, DetectError> {
        let alternatives: Vec<String> = words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).map(regex::escape).collect();
        if alternatives.is_empty() {
            return Ok(self);
        }
        self.with_pattern(name, &format!(r"(?i)\b(?:{})\b", alternatives.join("|")))
    }

    /// The rules' names, in the order they run.
    pub fn rule_names(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.name.clone()).collect()
    }

    /// Everything found in `text`, in order, without overlaps.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut all = vec![];
        for r in &self.rules {
            for caps in r.regex.captures_iter(text) {
                let Some(m) = caps.get(r.group).or_else(|| caps.get(0)) else { continue };
                let value = m.as_str().trim_end_matches(['.', ',', ';', ')']);
                if value.is_empty() || r.check.is_some_and(|c| !c(value)) {
                    continue;
                }
                all.push(Finding { kind: r.kind, rule: r.name.clone(), start: m.start(), end: m.start() + value.len() });
            }
        }
        // Earlier first, then longer, then the rule listed first (credentials before the rest).
        all.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut out: Vec<Finding> = vec![];
        for f in all {
            if out.last().is_none_or(|l| f.start >= l.end) {
                out.push(f);
            }
        }
        out
    }
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn check card numbers carry (13 to 19 digits).
pub fn luhn(s: &str) -> bool {
    let d = digits(s);
    if !(13..=19).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                if x * 2 > 9 {
                    x * 2 - 9
                } else {
                    x * 2
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

/// ISO 13616: the country and check digits moved to the end, letters as 10–35, mod 97 is 1.
pub fn iban(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u64 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        rem = if v < 10 { (rem * 10 + v) % 97 } else { (rem * 100 + v) % 97 };
    }
    rem == 1
}

/// A phone number has 9 to 15 digits, and is not a date or a time.
fn phone(s: &str) -> bool {
    let n = digits(s).len();
    (9..=15).contains(&n) && !s.contains(':') && !regex_date(s)
}

fn regex_date(s: &str) -> bool {
    // 2026-12-03, 03.12.2026 and the like are dates, not phone numbers.
    let parts: Vec<&str> = s.split(['-', '.', ' ']).collect();
    parts.len() == 3 && parts.iter().any(|p| p.len() == 4) && parts.iter().all(|p| p.len() <= 4)
}

/// The placeholders of one trajectory: each distinct value of a kind gets the next number, and
/// keeps it in every text of the trajectory.
#[derive(Debug, Default)]
pub struct Placeholders {
    given: HashMap<(Kind, String), String>,
    counts: BTreeMap<Kind, usize>,
}

/// A value as compared for "the same value": card numbers and IBANs without separators,
/// emails in lower case.
fn normal(kind: Kind, value: &str) -> String {
    match kind {
        Kind::CardNumber | Kind::Iban | Kind::Phone | Kind::NationalId => value.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '+').collect::<String>().to_uppercase(),
        Kind::Email | Kind::Custom => value.to_lowercase(),
        _ => value.to_string(),
    }
}

impl Placeholders {
    /// The placeholder of `value` (a `kind`), given once per distinct value.
    pub fn of(&mut self, kind: Kind, value: &str) -> String {
        let key = (kind, normal(kind, value));
        if let Some(p) = self.given.get(&key) {
            return p.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let p = format!("[{}_{}]", kind.as_str().to_uppercase(), n);
        self.given.insert(key, p.clone());
        p
    }

    /// `text` with each finding replaced by its placeholder.
    pub fn mask(&mut self, text: &str, findings: &[Finding]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in findings {
            if f.start < at || f.end > text.len() {
                continue;
            }
            out.push_str(&text[at..f.start]);
            out.push_str(&self.of(f.kind, &text[f.start..f.end]));
            at = f.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Distinct values masked, per kind.
    pub fn counts(&self) -> &BTreeMap<Kind, usize> {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String, String)> {
        Detectors::builtin().find(text).into_iter().map(|f| (f.kind, f.rule, text[f.start..f.end].to_string())).collect()
    }

    fn kinds(text: &str) -> Vec<Kind> {
        found(text).into_iter().map(|(k, _, _)| k).collect()
    }

    #[test]
    fn credentials_of_the_common_formats_are_found() {
        let cases = [
            ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
            ("token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"),
            ("xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
            ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            ("export ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"),
            ("sk-proj-abcdefghijklmnopqrstuvwxyz012345", "sk-proj-abcdefghijklmnopqrstuvwxyz012345"),
            ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwxyz0123"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ),
            ("Password: hunter2!", "hunter2!"),
        ];
        for (text, value) in cases {
            let f = found(text);
            assert!(f.iter().any(|(k, _, v)| matches!(k, Kind::Credential | Kind::Password) && v == value), "{text}: {f:?}");
        }
        let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(found(pem), vec![(Kind::Credential, "private_key_block".into(), pem.into())]);
    }

    #[test]
    fn numbers_are_checked_before_they_count() {
        assert_eq!(kinds("card 4111 1111 1111 1111 ok"), [Kind::CardNumber]);
        assert_eq!(kinds("card 4111-1111-1111-1112"), Vec::<Kind>::new(), "Luhn fails: not a card");
        assert_eq!(kinds("IBAN DE89 3704 0044 0532 0130 00"), [Kind::Iban]);
        assert_eq!(kinds("GB82WEST12345698765432"), [Kind::Iban]);
        assert_eq!(kinds("GB82WEST12345698765433"), Vec::<Kind>::new(), "mod 97 fails");
        assert_eq!(kinds("write to Ann.Lee@example.co.uk today"), [Kind::Email]);
        assert_eq!(kinds("call +44 20 7946 0958 or (555) 123-4567"), [Kind::Phone, Kind::Phone]);
        assert_eq!(kinds("server 192.168.10.24 and 2001:db8:85a3::8a2e:370:7334"), [Kind::IpAddress, Kind::IpAddress]);
        assert_eq!(kinds("SSN 123-45-6789, NI AB 12 34 56 C"), [Kind::NationalId, Kind::NationalId]);
        // What an ordinary work screen is full of, and is no one's secret.
        assert_eq!(kinds("Saved report-2026-12-03.xlsx at 10:42:17, 1 234 rows, version 1.2.3, total 4,250.00"), Vec::<Kind>::new());
    }

    #[test]
    fn screen_rules_forgive_what_ocr_gets_wrong_and_text_rules_stay_strict() {
        let screen = Detectors::builtin().screen();
        let on_screen = |text: &str| screen.find(text).into_iter().map(|f| (f.kind, text[f.start..f.end].to_string())).collect::<Vec<_>>();
        assert_eq!(on_screen("Key: AKIAECS 7R4E7 SUXAC4GR"), [(Kind::Credential, "AKIAECS 7R4E7 SUXAC4GR".to_string())]);
        assert_eq!(on_screen("mail a.smithé6@example.com now"), [(Kind::Email, "a.smithé6@example.com".to_string())]);
        assert_eq!(on_screen("Card 4111 1111 1111 1112").len(), 1, "a card's shape is enough on a screen");
        assert_eq!(on_screen("SSN: 90-18-6832"), [(Kind::NationalId, "90-18-6832".to_string())], "a digit dropped by OCR");
        assert_eq!(on_screen("Token: 7dmx lgihn"), [(Kind::Custom, "7dmx lgihn".to_string())], "a label names what follows it");
        assert_eq!(kinds("Card 4111 1111 1111 1112"), Vec::<Kind>::new(), "typed text still needs the check digit");
        assert!(on_screen("Saved report at 10:42:17, version 1.2.3").is_empty());
    }

    #[test]
    fn a_vendor_adds_patterns_and_words_and_one_value_keeps_one_placeholder() {
        let d = Detectors::builtin().with_pattern("ticket", r"\bACME-[0-9]{5}\b").unwrap().with_words("customers", &["Globex Corporation".into(), "Initech".into()]).unwrap();
        let text = "Mail ann@example.com about ACME-12345 for initech; cc ANN@example.com, bob@example.com";
        let f = d.find(text);
        let mut p = Placeholders::default();
        assert_eq!(p.mask(text, &f), "Mail [EMAIL_1] about [CUSTOM_1] for [CUSTOM_2]; cc [EMAIL_1], [EMAIL_2]");
        // The same value elsewhere in the trajectory (a note, a transcript) gets the same placeholder.
        let note = "I wrote to ann@example.com";
        assert_eq!(p.mask(note, &d.find(note)), "I wrote to [EMAIL_1]");
        assert_eq!(p.counts().get(&Kind::Email), Some(&2));
        assert!(matches!(Detectors::builtin().with_pattern("bad", "(unclosed"), Err(DetectError::BadPattern { .. })));
    }
}
