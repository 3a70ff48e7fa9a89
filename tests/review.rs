//! Review from the command line, end to end on a real library: labels and scores persist and
//! show, step edits (delete, merge, split, fix) change the trajectory every export sees, every
//! change lands in the audit log, undo walks it back, and bad edits are refused clearly.

mod support;

use apprentice_core::model::RecordingStatus;
use support::*;

fn steps(lib_dir: &std::path::Path, id: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(cli(lib_dir, &["show", id, "--json"]))).unwrap()
}

#[test]
fn labels_scores_edits_and_undo_persist_in_the_library_and_reach_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let lib = apprentice_core::store::Library::open(&lib_dir).unwrap();
    synthetic_recording(&lib, "rev", RecordingStatus::Finished, true);
    drop(lib);
    assert_eq!(steps(&lib_dir, "rev").len(), 2, "two clicks, two steps");

    ok(cli(&lib_dir, &["review", "--reviewer", "ann", "label", "rev", "1", "--correctness", "incorrect", "--unsafe", "--reasoning", "clicked the wrong row"]));
    ok(cli(&lib_dir, &["review", "--reviewer", "ann", "score", "rev", "--safety", "2", "--verdict", "needs-edit", "--comment", "unsafe click"]));
    let s = steps(&lib_dir, "rev");
    assert_eq!(s[1]["label"]["correctness"], "incorrect");
    assert_eq!(s[1]["label"]["unsafe"], true);
    assert_eq!(s[1]["label"]["reviewer"], "ann");
    let review_thought = s[1]["reasoning"].as_array().unwrap().iter().find(|r| r["source"] == "review").expect("corrected reasoning is a review item");
    assert_eq!((review_thought["text"].as_str(), review_thought["author"].as_str()), (Some("clicked the wrong row"), Some("ann")));
    assert!(ok(cli(&lib_dir, &["list"])).contains("needs_edit"), "the library list shows the verdict");

    // Edits: delete step 0; the label stays on its step (named by time, not index).
    ok(cli(&lib_dir, &["review", "--reviewer", "bob", "delete", "rev", "0"]));
    let s = steps(&lib_dir, "rev");
    assert_eq!(s.len(), 1);
    assert_eq!((s[0]["index"].as_u64(), s[0]["label"]["correctness"].as_str()), (Some(0), Some("incorrect")));
    let out = tmp.path().join("canonical");
    ok(cli(&lib_dir, &["export", "rev", "--format", "canonical", "--out", out.to_str().unwrap()]));
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("trajectory.json")).unwrap()).unwrap();
    assert_eq!(t["steps"].as_array().unwrap().len(), 1, "exports see the reviewed trajectory");
    assert_eq!(t["review"]["verdict"], "needs_edit");
    assert_eq!(t["review"]["scores"]["safety"], 2);

    // Bad edits are refused with a reason, and nothing is logged for them.
    let refused = |args: &[&str], why: &str| {
        let o = cli(&lib_dir, args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(why), "{args:?} should fail with {why:?}: {stderr}");
    };
    refused(&["review", "merge", "rev", "0"], "nothing after it to merge");
    refused(&["review", "delete", "rev", "5"], "has 1 steps; there is no step 5");
    refused(&["review", "split", "rev", "0", "--at-ms", "1210"], "cannot be split");
    refused(&["review", "score", "rev", "--efficiency", "9"], "between 1 and 5");
    refused(&["review", "fix", "rev", "0"], "say what to fix");

    ok(cli(&lib_dir, &["review", "--reviewer", "bob", "fix", "rev", "0", "--kind", "double_click", "--x", "20"]));
    let s = steps(&lib_dir, "rev");
    assert_eq!((s[0]["action"]["kind"].as_str(), s[0]["action"]["x"].as_i64(), s[0]["action"]["y"].as_i64()), (Some("double_click"), Some(20), Some(10)));

    // The audit log has every change in order; undo walks back the latest, keeping the entry.
    let log: Vec<serde_json::Value> = serde_json::from_str(&ok(cli(&lib_dir, &["review", "log", "rev", "--json"]))).unwrap();
    assert_eq!(log.iter().map(|e| e["change"].as_str().unwrap()).collect::<Vec<_>>(), ["label", "trajectory", "edit", "edit"]);
    assert_eq!(log.iter().map(|e| e["reviewer"].as_str().unwrap()).collect::<Vec<_>>(), ["ann", "ann", "bob", "bob"]);
    assert!(ok(cli(&lib_dir, &["review", "undo", "rev"])).contains("fixed the action"));
    assert!(ok(cli(&lib_dir, &["review", "undo", "rev"])).contains("deleted the step"));
    assert_eq!(steps(&lib_dir, "rev").len(), 2, "the deleted step is back");
    assert_eq!(steps(&lib_dir, "rev")[0]["action"]["kind"], "click");
    let log = ok(cli(&lib_dir, &["review", "log", "rev"]));
    assert_eq!(log.matches("(undone)").count(), 2, "{log}");

    // Deleting a recording needs confirmation, then removes it and the media only it used.
    refused(&["delete", "rev"], "--yes");
    let media_before = std::fs::read_dir(lib_dir.join("media")).unwrap().count();
    assert!(media_before > 0);
    ok(cli(&lib_dir, &["delete", "rev", "--yes"]));
    assert!(!ok(cli(&lib_dir, &["list"])).contains("rev"));
    let files: usize = walk(&lib_dir.join("media"));
    assert_eq!(files, 0, "no orphaned media left");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk(&p) } else { 1 }).sum()
}
