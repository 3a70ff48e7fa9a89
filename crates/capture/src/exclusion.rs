//! The exclusion list: windows (by application class or title) whose content must never reach
//! disk. Rules are `class:GLOB`, `title:GLOB` or a bare `GLOB` (either), matched
//! case-insensitively with `*` and `?` wildcards, e.g. `class:KeePassXC`, `title:*Bitwarden*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionField {
    Class,
    Title,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionRule {
    pub field: ExclusionField,
    pub pattern: String,
}

#[derive(Debug, thiserror::Error)]
#[error("exclusion rule '{0}' is empty; use class:NAME, title:PATTERN or PATTERN")]
pub struct BadRule(String);

impl std::str::FromStr for ExclusionRule {
    type Err = BadRule;
    fn from_str(s: &str) -> Result<Self, BadRule> {
        let (field, pattern) = match s.split_once(':') {
            Some(("class", p)) => (ExclusionField::Class, p),
            Some(("title", p)) => (ExclusionField::Title, p),
            _ => (ExclusionField::Any, s),
        };
        if pattern.trim().is_empty() {
            return Err(BadRule(s.to_string()));
        }
        Ok(ExclusionRule { field, pattern: pattern.to_string() })
    }
}

impl ExclusionRule {
    /// `classes` are WM_CLASS's instance and class names.
    pub fn matches(&self, classes: &[&str], title: &str) -> bool {
        let class_hit = || classes.iter().any(|c| glob_match(&self.pattern, c));
        match self.field {
            ExclusionField::Class => class_hit(),
            ExclusionField::Title => glob_match(&self.pattern, title),
            ExclusionField::Any => class_hit() || glob_match(&self.pattern, title),
        }
    }
}

pub fn is_excluded(rules: &[ExclusionRule], classes: &[&str], title: &str) -> bool {
    rules.iter().any(|r| r.matches(classes, title))
}

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("keepassxc", "KeePassXC"));
        assert!(glob_match("*bitwarden*", "Vault - Bitwarden - Firefox"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("apprentice", "apprentice-testapp"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn rules_parse_and_match_the_right_field() {
        let class: ExclusionRule = "class:SecretVault".parse().unwrap();
        let title: ExclusionRule = "title:*password*".parse().unwrap();
        let any: ExclusionRule = "slack".parse().unwrap();
        assert!(class.matches(&["secretvault", "SecretVault"], "anything"));
        assert!(!class.matches(&["xterm"], "SecretVault"));
        assert!(title.matches(&["firefox"], "Change Password - Firefox"));
        assert!(any.matches(&["Slack"], "") && any.matches(&["x"], "slack"));
        assert!("class:".parse::<ExclusionRule>().is_err());
    }
}
