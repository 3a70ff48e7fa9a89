//! A campaign's rubric: checking a rubric as an admin wrote it, checking a reviewer's answers
//! against it, and the values agreement measures its answers by. The types are the model's
//! ([`crate::model::Rubric`]); storing a rubric is the library's and the hub's; asking the
//! questions is the review view's.

use crate::model::*;

use super::agreement::Level;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RubricError {
    #[error("rubric question {0:?}: an id is lowercase letters, digits and '_' (e.g. verified_source)")]
    BadId(String),
    #[error("rubric question {0:?} is asked twice; each id once")]
    DuplicateId(String),
    #[error("rubric question {0:?} has no text: write the question reviewers will read")]
    NoText(String),
    #[error("rubric question {0:?} is a choice: give it two or more distinct options")]
    TooFewOptions(String),
    #[error("rubric question {0:?} is not a choice: options belong to choice questions only")]
    StrayOptions(String),
    #[error("the rubric has no {scope} question {id:?}")]
    UnknownQuestion { id: String, scope: &'static str },
    #[error("rubric question {id:?} wants {wanted}")]
    WrongAnswer { id: String, wanted: String },
}

fn scope_name(scope: RubricScope) -> &'static str {
    match scope {
        RubricScope::Step => "step",
        RubricScope::Trajectory => "trajectory",
    }
}

/// Checks a rubric as written: ids well formed and unique, every question has text, choices
/// have options and nothing else does.
pub fn check(rubric: &Rubric) -> Result<(), RubricError> {
    let mut seen = std::collections::BTreeSet::new();
    for q in &rubric.questions {
        if q.id.is_empty() || !q.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(RubricError::BadId(q.id.clone()));
        }
        if !seen.insert(q.id.as_str()) {
            return Err(RubricError::DuplicateId(q.id.clone()));
        }
        if q.text.trim().is_empty() {
            return Err(RubricError::NoText(q.id.clone()));
        }
        let distinct: std::collections::BTreeSet<&str> = q.options.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
        match q.kind {
            AnswerKind::Choice if distinct.len() < 2 || distinct.len() != q.options.len() => return Err(RubricError::TooFewOptions(q.id.clone())),
            AnswerKind::YesNo | AnswerKind::Scale | AnswerKind::Text if !q.options.is_empty() => return Err(RubricError::StrayOptions(q.id.clone())),
            _ => {}
        }
    }
    Ok(())
}

/// The rubric's questions of one scope, in the rubric's order.
pub fn questions(rubric: &Rubric, scope: RubricScope) -> impl Iterator<Item = &RubricQuestion> {
    rubric.questions.iter().filter(move |q| q.scope == scope)
}

/// Checks answers given at `scope` (a step's or the trajectory's): each names a question of that
/// scope and answers it in its kind. Unanswered questions are fine (a reviewer answers as they go).
pub fn check_answers(rubric: &Rubric, scope: RubricScope, answers: &Answers) -> Result<(), RubricError> {
    for (id, answer) in answers {
        let q = questions(rubric, scope).find(|q| &q.id == id).ok_or_else(|| RubricError::UnknownQuestion { id: id.clone(), scope: scope_name(scope) })?;
        let fits = match (q.kind, answer) {
            (AnswerKind::YesNo, Answer::Yes(_)) => true,
            (AnswerKind::Scale, Answer::Scale(v)) => (Scores::MIN..=Scores::MAX).contains(v),
            (AnswerKind::Choice, Answer::Text(t)) => q.options.contains(t),
            (AnswerKind::Text, Answer::Text(t)) => !t.trim().is_empty(),
            _ => false,
        };
        if !fits {
            let wanted = match q.kind {
                AnswerKind::YesNo => "true or false".to_string(),
                AnswerKind::Scale => format!("a number from {} to {}", Scores::MIN, Scores::MAX),
                AnswerKind::Choice => format!("one of: {}", q.options.join(", ")),
                AnswerKind::Text => "some text".to_string(),
            };
            return Err(RubricError::WrongAnswer { id: id.clone(), wanted });
        }
    }
    Ok(())
}

/// Reads `ID=VALUE` as typed on a command line into an answer to the rubric's question `ID` of
/// `scope`: yes/no/true/false, a 1–5 number, an option or text, as the question wants.
pub fn parse_answer(rubric: &Rubric, scope: RubricScope, given: &str) -> Result<(String, Answer), RubricError> {
    let (id, raw) = given.split_once('=').unwrap_or((given, ""));
    let q = questions(rubric, scope).find(|q| q.id == id).ok_or_else(|| RubricError::UnknownQuestion { id: id.to_string(), scope: scope_name(scope) })?;
    let answer = match q.kind {
        AnswerKind::YesNo => match raw.to_ascii_lowercase().as_str() {
            "yes" | "true" | "y" => Answer::Yes(true),
            "no" | "false" | "n" => Answer::Yes(false),
            _ => Answer::Text(raw.to_string()),
        },
        AnswerKind::Scale => raw.parse().map(Answer::Scale).unwrap_or_else(|_| Answer::Text(raw.to_string())),
        AnswerKind::Choice | AnswerKind::Text => Answer::Text(raw.to_string()),
    };
    let answers: Answers = [(q.id.clone(), answer)].into();
    check_answers(rubric, scope, &answers)?;
    Ok(answers.into_iter().next().expect("one answer"))
}

/// How agreement compares the question's answers; None for free text, which it does not measure.
pub fn level(q: &RubricQuestion) -> Option<Level> {
    match q.kind {
        AnswerKind::YesNo | AnswerKind::Choice => Some(Level::Nominal),
        AnswerKind::Scale => Some(Level::Ordinal),
        AnswerKind::Text => None,
    }
}

/// An answer as the number agreement counts: 0/1, the scale value, the option's index.
pub fn value(q: &RubricQuestion, answer: &Answer) -> Option<i64> {
    match (q.kind, answer) {
        (AnswerKind::YesNo, Answer::Yes(b)) => Some(i64::from(*b)),
        (AnswerKind::Scale, Answer::Scale(v)) => Some(i64::from(*v)),
        (AnswerKind::Choice, Answer::Text(t)) => q.options.iter().position(|o| o == t).map(|i| i as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, scope: RubricScope, kind: AnswerKind, options: &[&str]) -> RubricQuestion {
        RubricQuestion { id: id.into(), text: format!("{id}?"), scope, kind, options: options.iter().map(|s| s.to_string()).collect() }
    }

    fn rubric() -> Rubric {
        Rubric {
            questions: vec![
                q("verified_source", RubricScope::Step, AnswerKind::YesNo, &[]),
                q("injection", RubricScope::Trajectory, AnswerKind::Choice, &["ignored", "followed", "absent"]),
                q("care", RubricScope::Trajectory, AnswerKind::Scale, &[]),
                q("notes", RubricScope::Trajectory, AnswerKind::Text, &[]),
            ],
        }
    }

    #[test]
    fn a_rubric_is_checked_as_written() {
        assert_eq!(check(&rubric()), Ok(()));
        let mut r = rubric();
        r.questions.push(q("care", RubricScope::Step, AnswerKind::Scale, &[]));
        assert_eq!(check(&r), Err(RubricError::DuplicateId("care".into())));
        let r = Rubric { questions: vec![q("Bad Id", RubricScope::Step, AnswerKind::YesNo, &[])] };
        assert!(matches!(check(&r), Err(RubricError::BadId(_))));
        let r = Rubric { questions: vec![q("pick", RubricScope::Step, AnswerKind::Choice, &["a", "a"])] };
        assert_eq!(check(&r), Err(RubricError::TooFewOptions("pick".into())));
        let r = Rubric { questions: vec![q("flag", RubricScope::Step, AnswerKind::YesNo, &["a", "b"])] };
        assert_eq!(check(&r), Err(RubricError::StrayOptions("flag".into())));
    }

    #[test]
    fn answers_must_fit_their_question_and_scope() {
        let r = rubric();
        let ok: Answers = [("injection".to_string(), Answer::Text("ignored".into())), ("care".to_string(), Answer::Scale(4)), ("notes".to_string(), Answer::Text("fine".into()))].into();
        assert_eq!(check_answers(&r, RubricScope::Trajectory, &ok), Ok(()));
        let wrong_scope: Answers = [("verified_source".to_string(), Answer::Yes(true))].into();
        assert!(matches!(check_answers(&r, RubricScope::Trajectory, &wrong_scope), Err(RubricError::UnknownQuestion { .. })));
        assert_eq!(check_answers(&r, RubricScope::Step, &wrong_scope), Ok(()));
        let off_scale: Answers = [("care".to_string(), Answer::Scale(6))].into();
        assert!(check_answers(&r, RubricScope::Trajectory, &off_scale).unwrap_err().to_string().contains("from 1 to 5"));
        let not_an_option: Answers = [("injection".to_string(), Answer::Text("maybe".into()))].into();
        assert!(check_answers(&r, RubricScope::Trajectory, &not_an_option).unwrap_err().to_string().contains("one of: ignored, followed, absent"));
        assert_eq!(parse_answer(&r, RubricScope::Trajectory, "care=4"), Ok(("care".into(), Answer::Scale(4))));
        assert_eq!(parse_answer(&r, RubricScope::Step, "verified_source=no"), Ok(("verified_source".into(), Answer::Yes(false))));
        assert!(parse_answer(&r, RubricScope::Step, "verified_source=perhaps").is_err());
        let not_a_flag: Answers = [("verified_source".to_string(), Answer::Scale(1))].into();
        assert!(check_answers(&r, RubricScope::Step, &not_a_flag).is_err());
    }

    #[test]
    fn answers_read_from_json_as_reviewers_write_them() {
        let label: StepLabel = serde_json::from_str(r#"{"correctness": "correct", "answers": {"verified_source": true, "care": 3, "injection": "ignored"}}"#).unwrap();
        assert_eq!(label.answers["verified_source"], Answer::Yes(true));
        assert_eq!(label.answers["care"], Answer::Scale(3));
        assert_eq!(label.answers["injection"], Answer::Text("ignored".into()));
        let r = rubric();
        assert_eq!(value(&r.questions[1], &label.answers["injection"]), Some(0));
        assert_eq!(level(&r.questions[3]), None, "free text is not measured");
    }
}
