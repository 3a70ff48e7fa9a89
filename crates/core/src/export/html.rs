//! HTML report: one self-contained file per recording that a reviewer can open in any browser,
//! offline — task, outcome, quality, the review, and every step with its *before* screen, the
//! action drawn on it (click point, drag path, scroll arrow, typed text or keys), the *after*
//! screen a click away, reasoning, markers, window and label.
//!
//! ```text
//! OUT/<recording id>.html
//! ```
//! Screens are embedded as PNG data URIs at the declared size (long side ≤ 1280, see
//! [`super::screen`]), each once however many steps show it. Keyboard: j/k or arrows move
//! between steps, space flips before/after.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::screen::{declared, png_base64};
use super::{pyautogui, render_frames, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::Library;

/// Writes one report per source into `dir`. Returns how many.
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let count = super::for_each_source(sources, |source| {
        let displays = &source.recording.environment.displays;
        let mut shots: HashMap<u64, String> = HashMap::new();
        let by_seq: HashMap<u64, u32> = source.streams.frames.iter().map(|f| (f.seq, f.display)).collect();
        render_frames(lib, source, &source.referenced_frames(), |seq, img| {
            let display = displays.iter().find(|d| Some(d.id) == by_seq.get(&seq).copied()).cloned().unwrap_or_else(|| whole(img));
            shots.insert(seq, png_base64(img, &display)?);
            Ok(())
        })?;
        write_file(&dir.join(format!("{}.html", source.recording.id)), report(source, &shots).as_bytes())?;
        Ok(())
    })?;
    Ok(count)
}

fn whole(img: &image::RgbImage) -> DisplayInfo {
    DisplayInfo { id: 0, name: String::new(), x: 0, y: 0, width: img.width(), height: img.height(), scale: 1.0, primary: true }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn ms(t: Micros) -> String {
    let s = t / 1_000_000;
    format!("{}:{:02}.{}", s / 60, s % 60, t / 100_000 % 10)
}

/// The action drawn over its screen, in the display's own pixels.
fn overlay(a: &Action, d: &DisplayInfo) -> String {
    let p = |x: i32, y: i32| (x - d.x, y - d.y);
    let r = (d.width.max(d.height) / 90).max(8) as i32;
    let mut svg = String::new();
    if let Some((x, y)) = a.x.zip(a.y).map(|(x, y)| p(x, y)) {
        match a.kind {
            ActionKind::Drag => {
                let pts: Vec<String> = a.path.iter().map(|q| p(q.x, q.y)).map(|(x, y)| format!("{x},{y}")).collect();
                let _ = write!(svg, r#"<polyline class="path" points="{}"/>"#, pts.join(" "));
                if let Some((ex, ey)) = a.path.last().map(|q| p(q.x, q.y)) {
                    let _ = write!(svg, r#"<circle class="end" cx="{ex}" cy="{ey}" r="{r}"/>"#);
                }
            }
            ActionKind::Scroll => {
                let (dx, dy) = (a.scroll_dx.signum() * r * 4, -a.scroll_dy.signum() * r * 4);
                let _ = write!(svg, r#"<line class="scroll" x1="{x}" y1="{y}" x2="{}" y2="{}" marker-end="url(#arrow)"/>"#, x + dx, y + dy);
            }
            _ => {}
        }
        let _ = write!(svg, r#"<circle class="point" cx="{x}" cy="{y}" r="{r}"/>"#);
    }
    let bubble = match a.kind {
        ActionKind::Type => a.text.clone().map(|t| format!("⌨ {t}")),
        ActionKind::Key | ActionKind::Hotkey => Some(format!("⌨ {}", a.keys.join("+"))),
        _ => None,
    };
    if let Some(text) = bubble {
        let size = (d.height / 30).max(14);
        let _ = write!(svg, r#"<text class="bubble" x="{}" y="{}" font-size="{size}">{}</text>"#, size, d.height.saturating_sub(size), esc(&text));
    }
    svg
}

fn label_html(l: &StepLabel) -> String {
    let mut parts: Vec<String> = vec![];
    if let Some(c) = l.correctness {
        parts.push(format!("{c:?}").to_lowercase());
    }
    for (on, name) in [(l.mistake, "mistake"), (l.recovery, "recovery"), (l.is_unsafe, "unsafe")] {
        if on {
            parts.push(name.into());
        }
    }
    if let Some(e) = l.env_response {
        parts.push(format!("environment: {}", format!("{e:?}").to_lowercase()));
    }
    parts.extend(l.answers.iter().map(|(id, a)| format!("{}: {a}", id.replace('_', " "))));
    let mut html = format!(r#"<div class="label">{}"#, parts.iter().map(|p| format!("<span class=\"tag\">{}</span>", esc(p))).collect::<String>());
    if let Some(c) = &l.comment {
        let _ = write!(html, " {}", esc(c));
    }
    let _ = write!(html, r#" <span class="who">— {}</span></div>"#, esc(&l.reviewer));
    html
}

/// The report of one recording; `shots` maps frame sequence numbers to base64 PNGs.
pub fn report(source: &ExportSource, shots: &HashMap<u64, String>) -> String {
    let rec = &source.recording;
    let q = &source.segmentation.quality;
    let mut h = String::with_capacity(4096 + shots.values().map(String::len).sum::<usize>());
    let _ = write!(
        h,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head><body>
<header><h1>{title}</h1><p class="meta">{id} · {started} · {duration} · outcome <b>{outcome}</b> · status {status} · {steps} steps · {apm:.1} actions/min · reasoning on {cov:.0}% of steps · injected input on {synthetic:.0}%</p>"#,
        title = esc(&rec.task.instruction),
        id = esc(&rec.id),
        started = esc(&rec.started_at),
        duration = ms(rec.duration_us),
        outcome = rec.outcome.as_str(),
        status = rec.status.as_str(),
        steps = q.steps,
        apm = q.actions_per_minute,
        cov = q.reasoning_coverage * 100.0,
        synthetic = q.synthetic_input_share * 100.0,
    );
    if let Some(r) = &source.review {
        let answers = r.answers.iter().map(|(id, a)| format!("{}: {a}", id.replace('_', " ")));
        let scores = r.scores.all().iter().filter_map(|(n, s)| s.map(|s| format!("{} {s}/5", n.replace('_', " ")))).chain(answers).collect::<Vec<_>>().join(" · ");
        let _ = write!(
            h,
            r#"<p class="review">Review: <b>{}</b> {} {} <span class="who">— {}</span></p>"#,
            r.verdict.map_or("no verdict", Verdict::as_str),
            esc(&scores),
            esc(r.comment.as_deref().unwrap_or("")),
            esc(&r.reviewer)
        );
    }
    h += "</header>\n<main>\n";
    // Each screen once, as a CSS class per frame, used by every step that shows it.
    h += "<style>";
    for (seq, b64) in shots {
        let _ = write!(h, ".f{seq}{{background-image:url(data:image/png;base64,{b64})}}");
    }
    h += "</style>\n";
    for st in &source.segmentation.steps {
        let d = &source.display_of(st);
        let (_, w, hgt) = declared(d);
        let frame = |o: Option<&Observation>| o.filter(|o| shots.contains_key(&o.frame_seq)).map(|o| format!("f{}", o.frame_seq)).unwrap_or_else(|| "missing".into());
        let _ = write!(
            h,
            r#"<section class="step" id="s{i}" tabindex="0"><div class="head"><span class="n">#{i}</span> <span class="t">{t}</span> <b>{kind}</b> {desc}{window}</div>
<div class="shots" title="click or press space: before / after"><div class="screen before {fb}" style="aspect-ratio:{w}/{hgt}"><svg viewBox="0 0 {dw} {dh}" preserveAspectRatio="none">{svg}</svg><span class="which">before</span></div><div class="screen after {fa}" style="aspect-ratio:{w}/{hgt}"><span class="which">after</span></div></div>"#,
            i = st.index,
            t = ms(st.t_start),
            kind = st.action.kind.as_str(),
            desc = esc(&pyautogui::describe(&st.action, d)),
            window = st.window.as_ref().map(|w| format!(r#" <span class="win">in {} — {}</span>"#, esc(&w.app), esc(&w.title))).unwrap_or_default(),
            fb = frame(st.before.as_ref()),
            fa = frame(st.after.as_ref()),
            dw = d.width,
            dh = d.height,
            svg = overlay(&st.action, d),
        );
        for r in &st.reasoning {
            let _ = write!(h, r#"<p class="thought {src:?}">“{}”</p>"#, esc(&r.text), src = r.source);
        }
        for m in &st.markers {
            let _ = write!(h, r#"<p class="marker">⚑ {}{}</p>"#, m.kind.as_str(), m.label.as_deref().map(|l| format!(": {}", esc(l))).unwrap_or_default());
        }
        if let Some(l) = &st.label {
            h += &label_html(l);
        }
        h += "</section>\n";
    }
    let _ = write!(h, r#"<p class="end">{}</p></main><script>{SCRIPT}</script></body></html>"#, esc(&super::screen::closing_statement(rec)));
    h
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{padding:16px 24px;background:#1d2330;color:#fff}header h1{margin:0 0 4px;font-size:20px}
.meta,.review{margin:2px 0;color:#c9d1e0}.who{color:#8b96aa}
main{max-width:1100px;margin:0 auto;padding:16px}
.step{background:#fff;border-radius:8px;margin:0 0 16px;padding:12px 16px;box-shadow:0 1px 2px #0002;outline:none}
.step:focus{box-shadow:0 0 0 3px #3b82f6}
.head{margin-bottom:8px}.n{color:#8b96aa}.t{font-variant-numeric:tabular-nums;color:#596275}.win{color:#596275}
.shots{position:relative;cursor:pointer}.screen{background-size:100% 100%;border:1px solid #d6dae1;position:relative;width:100%}
.screen.after{display:none}.flipped .screen.before{display:none}.flipped .screen.after{display:block}
.screen svg{position:absolute;inset:0;width:100%;height:100%}
.which{position:absolute;top:6px;right:8px;background:#1d2330cc;color:#fff;padding:0 6px;border-radius:4px;font-size:12px}
.missing{background:repeating-linear-gradient(45deg,#eee 0 10px,#ddd 10px 20px)}
.point{fill:#ef444466;stroke:#ef4444;stroke-width:3}.end{fill:#22c55e66;stroke:#22c55e;stroke-width:3}
.path{fill:none;stroke:#ef4444;stroke-width:4}.scroll{stroke:#3b82f6;stroke-width:6}
.bubble{fill:#fff;stroke:#1d2330;stroke-width:4px;paint-order:stroke;font-weight:600}
.thought{margin:6px 0;font-style:italic}.thought.Review{color:#7c3aed}.marker{margin:4px 0;color:#b45309}
.label{margin-top:6px}.tag{display:inline-block;background:#e0e7ff;color:#3730a3;border-radius:4px;padding:0 6px;margin-right:4px}
p.end{text-align:center;color:#596275}
"#;

const SCRIPT: &str = r#"
const steps=[...document.querySelectorAll('.step')];let cur=0;
const go=i=>{cur=Math.max(0,Math.min(steps.length-1,i));steps[cur].focus();steps[cur].scrollIntoView({block:'start'});};
steps.forEach((s,i)=>{s.querySelector('.shots').onclick=()=>s.classList.toggle('flipped');s.onfocus=()=>cur=i;});
document.onkeydown=e=>{if(e.key==='j'||e.key==='ArrowDown'){go(cur+1);e.preventDefault();}
else if(e.key==='k'||e.key==='ArrowUp'){go(cur-1);e.preventDefault();}
else if(e.key===' '){steps[cur].classList.toggle('flipped');e.preventDefault();}
else if(e.key==='Home'){go(0);}else if(e.key==='End'){go(steps.length-1);}};
"#;
