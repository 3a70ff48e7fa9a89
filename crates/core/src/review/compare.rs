//! Side-by-side comparison: aligning the steps of two recordings of one task (by what each
//! action did and how the screen looked before it) and the rules a reviewer's [`Comparison`]
//! obeys. The alignment is a global sequence alignment (Needleman–Wunsch): a pair of steps
//! scores by their similarity, a step left unpaired (one expert did something the other did
//! not) costs a fixed gap, and the best-scoring path through both step lists is kept. Not its
//! job: storing comparisons ([`crate::store`]), queues (the hub), exporting preference pairs
//! ([`crate::export::preferences`]).

use std::collections::BTreeSet;

use image::RgbImage;

use crate::model::*;
use crate::store::{Library, StoreError};

/// The criteria every comparison may judge, beside overall; a campaign's rubric adds its
/// trajectory questions.
pub const CRITERIA: [&str; 3] = ["goal_completion", "efficiency", "safety"];

/// Width and height of the grey thumbnail a step's *before* screen is compared by.
const THUMB: (u32, u32) = (32, 18);
/// The score of leaving a step unpaired; a pair scores `2 × similarity − 1`, so steps pair when
/// their similarity is above (1 + GAP) / 2 = 0.3 in a stretch where both have steps.
const GAP: f32 = -0.4;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompareError {
    #[error("a recording cannot be compared with itself ({0})")]
    Same(String),
    #[error("say why one is better: the rationale is empty")]
    NoRationale,
    #[error("no criterion {name:?}; this campaign's are: {known}")]
    UnknownCriterion { name: String, known: String },
    #[error("recording {side} has no step starting at {t} µs")]
    NoSuchStep { side: &'static str, t: Micros },
    #[error("the steps at {a} µs (A) and {b} µs (B) are preferred twice")]
    StepTwice { a: Micros, b: Micros },
}

/// The criteria a comparison in a campaign with `rubric` may judge.
pub fn criteria(rubric: Option<&Rubric>) -> Vec<(String, String)> {
    let built_in = [("goal_completion", "Goal completion"), ("efficiency", "Efficiency"), ("safety", "Safety")];
    let mut out: Vec<(String, String)> = built_in.iter().map(|(id, text)| (id.to_string(), text.to_string())).collect();
    for q in rubric.map(|r| r.questions.as_slice()).unwrap_or_default() {
        if q.scope == RubricScope::Trajectory && !out.iter().any(|(id, _)| *id == q.id) {
            out.push((q.id.clone(), q.text.clone()));
        }
    }
    out
}

/// Checks `c` against the campaign's criteria and the two recordings' step starts.
pub fn check(c: &Comparison, criteria: &[(String, String)], a_steps: &[Micros], b_steps: &[Micros]) -> Result<(), CompareError> {
    if c.a == c.b {
        return Err(CompareError::Same(c.a.clone()));
    }
    if c.rationale.trim().is_empty() {
        return Err(CompareError::NoRationale);
    }
    if let Some(name) = c.criteria.keys().find(|k| !criteria.iter().any(|(id, _)| id == *k)) {
        return Err(CompareError::UnknownCriterion { name: name.clone(), known: criteria.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ") });
    }
    let mut seen = BTreeSet::new();
    for s in &c.steps {
        if !a_steps.contains(&s.a) {
            return Err(CompareError::NoSuchStep { side: "A", t: s.a });
        }
        if !b_steps.contains(&s.b) {
            return Err(CompareError::NoSuchStep { side: "B", t: s.b });
        }
        if !seen.insert((s.a, s.b)) {
            return Err(CompareError::StepTwice { a: s.a, b: s.b });
        }
    }
    Ok(())
}

/// What a step is compared by: its action, its app, and a small grey image of its before screen.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSignature {
    pub kind: ActionKind,
    /// Typed text or keys, lower-cased.
    pub detail: String,
    /// Where the action happened, as a share of the screen (0..1).
    pub at: Option<(f32, f32)>,
    pub app: String,
    /// THUMB.0 × THUMB.1 grey levels of the before screen.
    pub screen: Option<Vec<u8>>,
}

/// The signatures of `steps` of recording `id` in `lib`: one pass of the frame renderer over
/// the before frames.
pub fn signatures(lib: &Library, id: &str, steps: &[Step]) -> Result<Vec<StepSignature>, StoreError> {
    let frames = lib.frames(id)?;
    let wanted: BTreeSet<u64> = steps.iter().filter_map(|s| s.before.as_ref().map(|o| o.frame_seq)).collect();
    let mut thumbs = std::collections::HashMap::new();
    if let Some(&last) = wanted.iter().next_back() {
        let mut seqs: Vec<u64> = frames.iter().map(|f| f.seq).filter(|&s| s <= last).collect();
        seqs.sort_unstable();
        let mut renderer = lib.frame_renderer_over(id, frames.iter().cloned());
        for seq in seqs {
            let image = renderer.render(seq)?;
            if wanted.contains(&seq) {
                thumbs.insert(seq, (thumbnail(image), image.width(), image.height()));
            }
        }
    }
    Ok(steps
        .iter()
        .map(|s| {
            let before = s.before.as_ref().and_then(|o| thumbs.get(&o.frame_seq));
            let a = &s.action;
            let detail = match a.kind {
                ActionKind::Type => a.text.clone().unwrap_or_default(),
                ActionKind::Key | ActionKind::Hotkey => a.keys.join("+"),
                ActionKind::Scroll => format!("{} {}", a.scroll_dx.signum(), a.scroll_dy.signum()),
                _ => a.button.clone().unwrap_or_default(),
            };
            let at = match (a.x, a.y, before) {
                (Some(x), Some(y), Some((_, w, h))) if *w > 0 && *h > 0 => Some((x as f32 / *w as f32, y as f32 / *h as f32)),
                _ => None,
            };
            StepSignature { kind: a.kind, detail: detail.to_lowercase(), at, app: s.window.as_ref().map(|w| w.app.clone()).unwrap_or_default(), screen: before.map(|(t, _, _)| t.clone()) }
        })
        .collect())
}

/// A grey THUMB-sized image of `image`, each cell the mean of a sparse grid of its pixels.
fn thumbnail(image: &RgbImage) -> Vec<u8> {
    let (w, h) = image.dimensions();
    let mut out = Vec::with_capacity((THUMB.0 * THUMB.1) as usize);
    for ty in 0..THUMB.1 {
        for tx in 0..THUMB.0 {
            let (x0, x1) = (tx * w / THUMB.0, ((tx + 1) * w / THUMB.0).max(tx * w / THUMB.0 + 1).min(w));
            let (y0, y1) = (ty * h / THUMB.1, ((ty + 1) * h / THUMB.1).max(ty * h / THUMB.1 + 1).min(h));
            let (step_x, step_y) = (((x1 - x0) / 8).max(1), ((y1 - y0) / 8).max(1));
            let (mut sum, mut n) = (0u64, 0u64);
            for y in (y0..y1).step_by(step_y as usize) {
                for x in (x0..x1).step_by(step_x as usize) {
                    let p = image.get_pixel(x, y).0;
                    sum += (p[0] as u64 * 299 + p[1] as u64 * 587 + p[2] as u64 * 114) / 1000;
                    n += 1;
                }
            }
            out.push(sum.checked_div(n).unwrap_or(0) as u8);
        }
    }
    out
}

/// How alike two steps are, 0 (nothing in common) to 1 (the same action on the same screen):
/// 0.6 from the action (its kind, then what it typed or pressed, where, and in which app) and
/// 0.4 from the before screens, when both have one.
pub fn similarity(a: &StepSignature, b: &StepSignature) -> f32 {
    let action = if a.kind != b.kind {
        0.0
    } else {
        let detail = match (a.kind, a.at.zip(b.at)) {
            (ActionKind::Type, _) => dice(&a.detail, &b.detail),
            (ActionKind::Key | ActionKind::Hotkey | ActionKind::Scroll, _) => f32::from(a.detail == b.detail),
            (_, Some(((ax, ay), (bx, by)))) => (-(((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()) / 0.1).exp(),
            _ => 0.5,
        };
        (0.6 + 0.4 * detail) * if a.app == b.app { 1.0 } else { 0.8 }
    };
    match (&a.screen, &b.screen) {
        (Some(x), Some(y)) if x.len() == y.len() && !x.is_empty() => {
            let mad = x.iter().zip(y).map(|(p, q)| (*p as f32 - *q as f32).abs()).sum::<f32>() / x.len() as f32;
            0.6 * action + 0.4 * (1.0 - 4.0 * mad / 255.0).max(0.0)
        }
        _ => action,
    }
}

/// Sørensen–Dice coefficient of two texts' character bigrams (1 for equal texts).
fn dice(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let grams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        let mut g: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g
    };
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Equal => (common, i, j) = (common + 1, i + 1, j + 1),
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    2.0 * common as f32 / (x.len() + y.len()) as f32
}

/// One row of an alignment: a step of A and one of B (by index), or a step only one of them has.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aligned {
    pub a: Option<usize>,
    pub b: Option<usize>,
    /// Of the pair; 0 for an unpaired step.
    pub similarity: f32,
}

/// The best global alignment of `a` and `b`, in order.
pub fn align(a: &[StepSignature], b: &[StepSignature]) -> Vec<Aligned> {
    let (n, m) = (a.len(), b.len());
    let sim: Vec<f32> = (0..n * m).map(|k| similarity(&a[k / m.max(1)], &b[k % m.max(1)])).collect();
    // score[i][j]: the best score aligning a[..i] with b[..j].
    let w = m + 1;
    let mut score = vec![0f32; (n + 1) * w];
    for i in 0..=n {
        for j in 0..=m {
            score[i * w + j] = match (i, j) {
                (0, 0) => 0.0,
                (0, _) => score[j - 1] + GAP,
                (_, 0) => score[(i - 1) * w] + GAP,
                _ => (score[(i - 1) * w + j - 1] + 2.0 * sim[(i - 1) * m + j - 1] - 1.0).max(score[(i - 1) * w + j] + GAP).max(score[i * w + j - 1] + GAP),
            };
        }
    }
    let (mut i, mut j, mut out) = (n, m, Vec::with_capacity(n.max(m)));
    while i > 0 || j > 0 {
        let here = score[i * w + j];
        if i > 0 && j > 0 && (here - (score[(i - 1) * w + j - 1] + 2.0 * sim[(i - 1) * m + j - 1] - 1.0)).abs() < 1e-4 {
            out.push(Aligned { a: Some(i - 1), b: Some(j - 1), similarity: sim[(i - 1) * m + j - 1] });
            (i, j) = (i - 1, j - 1);
        } else if i > 0 && (j == 0 || (here - (score[(i - 1) * w + j] + GAP)).abs() < 1e-4) {
            out.push(Aligned { a: Some(i - 1), b: None, similarity: 0.0 });
            i -= 1;
        } else {
            out.push(Aligned { a: None, b: Some(j - 1), similarity: 0.0 });
            j -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(kind: ActionKind, detail: &str, at: Option<(f32, f32)>, grey: u8) -> StepSignature {
        StepSignature { kind, detail: detail.into(), at, app: "gedit".into(), screen: Some(vec![grey; (THUMB.0 * THUMB.1) as usize]) }
    }

    #[test]
    fn steps_align_by_action_and_screen_and_an_extra_step_stays_unpaired() {
        use ActionKind::*;
        let a = [sig(Click, "left", Some((0.1, 0.1)), 20), sig(Type, "quarterly report", None, 80), sig(Hotkey, "ctrl+s", None, 80)];
        // B clicked in nearly the same place, scrolled (A did not), typed almost the same text
        // and saved.
        let b = [sig(Click, "left", Some((0.11, 0.1)), 22), sig(Scroll, "0 -1", Some((0.5, 0.5)), 60), sig(Type, "quarterly reports", None, 82), sig(Hotkey, "ctrl+s", None, 84)];
        let al = align(&a, &b);
        let pairs: Vec<(Option<usize>, Option<usize>)> = al.iter().map(|x| (x.a, x.b)).collect();
        assert_eq!(pairs, [(Some(0), Some(0)), (None, Some(1)), (Some(1), Some(2)), (Some(2), Some(3))]);
        assert!(al[0].similarity > 0.9 && al[2].similarity > 0.8, "{al:?}");
        // Different actions are not alike; the same action on a very different screen less so.
        assert!(similarity(&a[0], &b[2]) < 0.3, "a different screen is not similar");
        let elsewhere = sig(Click, "left", Some((0.1, 0.1)), 230);
        assert!(similarity(&a[0], &elsewhere) < similarity(&a[0], &b[0]) - 0.3);
        assert!(align(&[], &b).iter().all(|x| x.a.is_none()) && align(&a, &[]).len() == 3);
    }

    #[test]
    fn a_comparison_needs_a_rationale_known_criteria_and_real_steps() {
        let rubric = Rubric { questions: vec![RubricQuestion { id: "verified".into(), text: "Verified?".into(), scope: RubricScope::Trajectory, kind: AnswerKind::YesNo, options: vec![] }] };
        let crit = criteria(Some(&rubric));
        assert_eq!(crit.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["goal_completion", "efficiency", "safety", "verified"]);
        let mut c = Comparison {
            id: "x".into(),
            task_id: "t1".into(),
            instruction: "Rename".into(),
            a: "r1".into(),
            b: "r2".into(),
            overall: Preference::A,
            criteria: [("verified".to_string(), Preference::B)].into(),
            rationale: "A saved first".into(),
            steps: vec![StepPreference { a: 10, b: 20, prefer: Preference::A, comment: None }],
            reviewer: "rita".into(),
            at: "now".into(),
        };
        assert_eq!(check(&c, &crit, &[10], &[20]), Ok(()));
        assert_eq!(check(&c, &crit, &[10], &[21]), Err(CompareError::NoSuchStep { side: "B", t: 20 }));
        c.criteria.insert("speed".into(), Preference::Tie);
        assert!(matches!(check(&c, &crit, &[10], &[20]), Err(CompareError::UnknownCriterion { ref name, .. }) if name == "speed"));
        c.criteria.remove("speed");
        c.rationale = " ".into();
        assert_eq!(check(&c, &crit, &[10], &[20]), Err(CompareError::NoRationale));
        assert_eq!(c.chosen_rejected(Preference::B), Some(("r2", "r1")));
    }
}
