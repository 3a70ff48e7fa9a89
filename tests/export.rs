//! Export end to end: a scripted recording exported to each format, checked against the format's
//! schema and, action by action, against what was done (coordinates, keys, scroll sign and units).

mod support;

use std::path::Path;

use support::*;

#[test]
fn every_export_maps_every_action_and_passes_its_consumers_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Export App", "export-app", "640x480+0+0", &tmp.path().join("app.jsonl"));
    let (wx, wy, _, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    let p = |dx: i32, dy: i32| (wx + dx, wy + dy);
    let go = |(px, py): (i32, i32)| {
        x.xdo(&["mousemove", &s(px), &s(py)]);
        pause(350);
    };
    go(p(64, 80));
    x.xdo(&["click", "1"]);
    pause(700);
    go(p(128, 160));
    x.xdo(&["click", "--repeat", "2", "--delay", "120", "1"]);
    pause(800);
    go(p(256, 200));
    x.xdo(&["click", "3"]);
    pause(700);
    go(p(100, 300));
    x.xdo(&["mousedown", "1"]);
    pause(150);
    x.xdo(&["mousemove", &s(p(300, 350).0), &s(p(300, 350).1)]);
    pause(150);
    x.xdo(&["mouseup", "1"]);
    pause(800);
    go(p(320, 240));
    x.xdo(&["click", "--repeat", "2", "--delay", "120", "5"]);
    pause(800);
    ok(rec.cli(&["note", "naming the file after the quarter"]));
    pause(300);
    x.xdo(&["type", "--delay", "100", "Q3 'final'"]);
    pause(700);
    x.xdo(&["key", "Return"]);
    pause(700);
    x.xdo(&["key", "ctrl+s"]);
    pause(700);
    ok(rec.cli(&["mark", "mistake"]));
    pause(300);
    x.xdo(&["key", "ctrl+z"]);
    pause(700);
    let id = rec.stop();
    // Until the expert says how it ended, the outcome is unknown and no export claims one.
    assert!(ok(cli(&lib_dir, &["info", &id])).contains("outcome:   unknown (outcome needed)"));
    let unanswered = tmp.path().join("agentnet-unanswered");
    ok(cli(&lib_dir, &["export", &id, "--format", "agentnet", "--out", unanswered.to_str().unwrap()]));
    let record: serde_json::Value = serde_json::from_str(std::fs::read_to_string(unanswered.join("agentnet.jsonl")).unwrap().trim()).unwrap();
    assert_eq!((record["outcome"].as_str(), &record["task_completed"]), (Some("unknown"), &serde_json::Value::Null));
    let last_code = record["traj"].as_array().unwrap().last().unwrap()["value"]["code"].as_str().unwrap().to_string();
    assert_eq!(last_code, "pyautogui.hotkey('ctrl', 'z')", "the trajectory ends at the last action, with no terminate claiming an outcome");
    ok(cli(&lib_dir, &["outcome", &id, "success"]));
    // A reviewer's labels and scores travel with every format.
    ok(cli(&lib_dir, &["review", "--reviewer", "rita", "label", &id, "0", "--correctness", "correct", "--env", "success"]));
    ok(cli(&lib_dir, &["review", "--reviewer", "rita", "label", &id, "7", "--correctness", "redundant", "--comment", "saved twice"]));
    ok(cli(&lib_dir, &["review", "--reviewer", "rita", "score", &id, "--goal-completion", "5", "--efficiency", "4", "--verdict", "approved"]));

    let out = tmp.path().join("agentnet");
    ok(cli(&lib_dir, &["export", &id, "--format", "agentnet", "--out", out.to_str().unwrap()]));
    let text = std::fs::read_to_string(out.join("agentnet.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 1, "one trajectory per line");
    let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let errors: Vec<String> = schema("agentnet.v1.schema.json").iter_errors(&record).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The screen is 1280×800: coordinates normalise against it, 4 decimals.
    let n = |(px, py): (i32, i32)| format!("x={:?}, y={:?}", (px as f64 / 1280.0 * 1e4).round() / 1e4, (py as f64 / 800.0 * 1e4).round() / 1e4);
    let codes: Vec<&str> = record["traj"].as_array().unwrap().iter().map(|s| s["value"]["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        vec![
            format!("pyautogui.click({})", n(p(64, 80))),
            format!("pyautogui.doubleClick({})", n(p(128, 160))),
            format!("pyautogui.rightClick({})", n(p(256, 200))),
            format!("pyautogui.moveTo({})\npyautogui.dragTo({}, button='left')", n(p(100, 300)), n(p(300, 350))),
            format!("pyautogui.scroll(-2, {})", n(p(320, 240))),
            "pyautogui.write('Q3 \\'final\\'')".to_string(),
            "pyautogui.press('enter')".to_string(),
            "pyautogui.hotkey('ctrl', 's')".to_string(),
            "pyautogui.hotkey('ctrl', 'z')".to_string(),
            "computer.terminate(status='success')".to_string(),
        ]
    );
    let traj = record["traj"].as_array().unwrap();
    assert_eq!(traj[5]["value"]["thought"], "naming the file after the quarter", "the expert's own words");
    assert_eq!(traj[0]["value"]["thought"], "", "no thought is invented where none was given");
    assert_eq!(traj[8]["value"]["last_step_correct"], false, "the step after one marked a mistake says so");
    assert_eq!(traj[7]["value"]["last_step_correct"], serde_json::Value::Null, "unjudged steps stay unjudged");
    assert_eq!(traj[1]["value"]["last_step_correct"], true, "the reviewer labelled step 0 correct");
    assert_eq!(traj[8]["value"]["last_step_redundant"], true, "… and step 7 redundant");
    assert_eq!(traj[8]["value"]["reflection"], "saved twice", "the reviewer's comment reflects on the step");
    assert_eq!(traj[2]["value"]["last_step_redundant"], serde_json::Value::Null);
    assert_eq!((record["alignment_score"].as_u64(), record["efficiency_score"].as_u64()), (Some(5), Some(4)));
    assert_eq!(record["review"]["verdict"], "approved");
    assert_eq!(record["task_completed"], true);
    assert_eq!(record["task_id"], "E2E-1");
    for step in traj {
        let img = image::open(out.join(step["image"].as_str().unwrap())).unwrap();
        assert_eq!((img.width(), img.height()), (1280, 800));
    }

    // Anthropic: the same steps as computer-tool calls (1280×800 needs no scaling).
    let out = tmp.path().join("anthropic");
    ok(cli(&lib_dir, &["export", &id, "--format", "anthropic", "--out", out.to_str().unwrap()]));
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join(format!("{id}.anthropic.json"))).unwrap()).unwrap();
    assert_eq!(t["tools"][0], serde_json::json!({"type": "computer_20250124", "name": "computer", "display_width_px": 1280, "display_height_px": 800, "display_number": 1}));
    let messages = t["messages"].as_array().unwrap();
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m["role"], if i % 2 == 0 { "user" } else { "assistant" }, "roles alternate");
    }
    let uses: Vec<&serde_json::Value> = messages.iter().flat_map(|m| m["content"].as_array().unwrap()).filter(|c| c["type"] == "tool_use").collect();
    let results: Vec<&serde_json::Value> = messages.iter().flat_map(|m| m["content"].as_array().unwrap()).filter(|c| c["type"] == "tool_result").collect();
    assert_eq!(uses.iter().map(|u| &u["id"]).collect::<Vec<_>>(), results.iter().map(|r| &r["tool_use_id"]).collect::<Vec<_>>(), "every tool_use has its result, in order");
    let xy = |(px, py): (i32, i32)| serde_json::json!([px, py]);
    let inputs: Vec<&serde_json::Value> = uses.iter().map(|u| &u["input"]).collect();
    let want = vec![
        serde_json::json!({"action": "screenshot"}),
        serde_json::json!({"action": "left_click", "coordinate": xy(p(64, 80))}),
        serde_json::json!({"action": "double_click", "coordinate": xy(p(128, 160))}),
        serde_json::json!({"action": "right_click", "coordinate": xy(p(256, 200))}),
        serde_json::json!({"action": "left_click_drag", "start_coordinate": xy(p(100, 300)), "coordinate": xy(p(300, 350))}),
        serde_json::json!({"action": "scroll", "coordinate": xy(p(320, 240)), "scroll_direction": "down", "scroll_amount": 2}),
        serde_json::json!({"action": "type", "text": "Q3 'final'"}),
        serde_json::json!({"action": "key", "text": "Return"}),
        serde_json::json!({"action": "key", "text": "ctrl+s"}),
        serde_json::json!({"action": "key", "text": "ctrl+z"}),
    ];
    assert_eq!(inputs, want.iter().collect::<Vec<_>>());
    let texts: Vec<&str> =
        messages.iter().filter(|m| m["role"] == "assistant").flat_map(|m| m["content"].as_array().unwrap()).filter(|c| c["type"] == "text").filter_map(|c| c["text"].as_str()).collect();
    assert_eq!(texts, vec!["naming the file after the quarter", "The task is done."], "only the expert's words, and the stated outcome");
    let shots = results.iter().filter(|r| r["content"][0]["type"] == "image").count();
    assert_eq!(shots, results.len(), "every action's result carries the screen after it");
    // And the anthropic SDK's own types accept it.
    python("validate_anthropic.py", &[&out.join(format!("{id}.anthropic.json"))]);

    // OpenAI: computer-use items and a chat fine-tuning line, accepted by the openai SDK's types.
    let out = tmp.path().join("openai");
    ok(cli(&lib_dir, &["export", &id, "--format", "openai", "--out", out.to_str().unwrap()]));
    let items_path = out.join(format!("{id}.openai.json"));
    python("validate_openai.py", &[&items_path, &out.join("openai-chat.jsonl")]);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&items_path).unwrap()).unwrap();
    let calls: Vec<&serde_json::Value> = doc["input"].as_array().unwrap().iter().filter(|i| i["type"] == "computer_call").map(|i| &i["action"]).collect();
    let pt = |(px, py): (i32, i32)| serde_json::json!({"x": px, "y": py});
    let click = |b: &str, q: (i32, i32)| serde_json::json!({"type": "click", "button": b, "x": q.0, "y": q.1});
    let want = vec![
        click("left", p(64, 80)),
        serde_json::json!({"type": "double_click", "x": p(128, 160).0, "y": p(128, 160).1, "keys": null}),
        click("right", p(256, 200)),
        serde_json::json!({"type": "drag", "path": [pt(p(100, 300)), pt(p(300, 350))]}),
        serde_json::json!({"type": "scroll", "x": p(320, 240).0, "y": p(320, 240).1, "scroll_x": 0, "scroll_y": 200}),
        serde_json::json!({"type": "type", "text": "Q3 'final'"}),
        serde_json::json!({"type": "keypress", "keys": ["ENTER"]}),
        serde_json::json!({"type": "keypress", "keys": ["CTRL", "S"]}),
        serde_json::json!({"type": "keypress", "keys": ["CTRL", "Z"]}),
    ];
    assert_eq!(calls, want.iter().collect::<Vec<_>>(), "two notches down are +200 px of scroll_y");
    assert_eq!(doc["conversions"]["scroll_notches_to_pixels"], 1);

    // WebDataset: the webdataset library iterates every step as a sample.
    let out = tmp.path().join("wds");
    ok(cli(&lib_dir, &["export", &id, "--format", "webdataset", "--out", out.to_str().unwrap()]));
    // The shards, beside the export's manifest and its signature.
    let shards: Vec<std::path::PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "tar")).collect();
    assert!(out.join("manifest.json").exists() && out.join("manifest.sig").exists());
    let shard_refs: Vec<&Path> = shards.iter().map(|p| p.as_path()).collect();
    let counted = python("validate_webdataset.py", &shard_refs);
    assert!(counted.contains("samples 9"), "{counted}");

    // ATIF: the `atif` package's models accept it; tool calls carry the canonical actions.
    let out = tmp.path().join("atif");
    ok(cli(&lib_dir, &["export", &id, "--format", "atif", "--out", out.to_str().unwrap()]));
    let checked = python("validate_atif.py", &[&out.join(format!("{id}.atif.json"))]);
    let calls: Vec<serde_json::Value> = checked.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = calls.iter().map(|c| c["arguments"]["action"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["click", "double_click", "right_click", "drag", "scroll", "type", "key", "hotkey", "hotkey"]);
    assert_eq!((calls[0]["arguments"]["x"].as_i64(), calls[0]["arguments"]["y"].as_i64()), (Some(p(64, 80).0 as i64), Some(p(64, 80).1 as i64)));
    assert_eq!(calls[4]["arguments"]["scroll_dy"], -2, "two notches down");
    assert_eq!(calls[5]["arguments"]["text"], "Q3 'final'");
    assert_eq!(calls[5]["thought"], "naming the file after the quarter");
    assert_eq!(calls[7]["arguments"]["keys"], serde_json::json!(["ctrl", "s"]));
    assert_eq!(calls[0]["thought"], serde_json::Value::Null, "no reasoning invented");

    // HTML: one self-contained page (no outside references), every step with its screens and label.
    let out = tmp.path().join("html");
    ok(cli(&lib_dir, &["export", &id, "--format", "html", "--out", out.to_str().unwrap()]));
    let page = std::fs::read_to_string(out.join(format!("{id}.html"))).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains(" src="), "nothing is fetched from elsewhere");
    assert_eq!(page.matches(r#"<section class="step""#).count(), 9);
    assert!(page.contains("saved twice") && page.contains("Review: <b>approved</b>") && page.contains("“naming the file after the quarter”"));
    assert!(page.contains(r#"<polyline class="path""#) && page.contains(r#"class="scroll""#) && page.contains("⌨ ctrl+s"), "actions are drawn");
    let mut shown = 0;
    for chunk in page.split("background-image:url(data:image/png;base64,").skip(1) {
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.decode(&chunk[..chunk.find(')').unwrap()]).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (1280, 800));
        shown += 1;
    }
    assert!(shown >= 9, "each step's screens are embedded ({shown})");
    for class in page.split(r#"class="screen before "#).skip(1).map(|c| &c[..c.find('"').unwrap()]) {
        assert!(page.contains(&format!(".{class}{{background-image")), "step screen {class} is embedded");
    }

    // Hugging Face: `datasets.load_dataset` reads the folder; images decode; one row per step.
    let out = tmp.path().join("hf");
    let o = cli(&lib_dir, &["export", &id, "--format", "hf", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let last = stderr.lines().rfind(|l| l.contains("frames ")).unwrap_or_default().to_string();
    let counts: Vec<&str> = last.split("frames ").nth(1).and_then(|r| r.split(' ').next()).unwrap_or("").split('/').collect();
    assert!(counts.len() == 2 && counts[0] == counts[1] && counts[0] != "0", "the progress bar ends with every frame done: {stderr}");
    let loaded = python("validate_hf.py", &[&out]);
    assert!(loaded.contains("rows 9"), "{loaded}");
    let rows: Vec<serde_json::Value> = loaded.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.iter().map(|r| r["code"].as_str().unwrap()).collect::<Vec<_>>(), codes[..9].to_vec(), "the same pyautogui code as AgentNet");
    assert_eq!(rows[5]["thought"], "naming the file after the quarter");
    assert_eq!((rows[0]["correct"].clone(), rows[7]["redundant"].clone(), rows[7]["correct"].clone(), rows[3]["correct"].clone()), (true.into(), true.into(), false.into(), serde_json::Value::Null));
    assert!(rows.iter().all(|r| r["verdict"] == "approved"));
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("num_examples: 9") && card.contains("dtype: image") && card.contains("| `before_image` |"), "{card}");
}

#[test]
fn bad_inputs_give_clear_errors_or_flagged_exports_never_silent_holes() {
    use apprentice_core::model::RecordingStatus;
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let lib = apprentice_core::store::Library::open(&lib_dir).unwrap();
    synthetic_recording(&lib, "good", RecordingStatus::Finished, true);
    synthetic_recording(&lib, "nosteps", RecordingStatus::Finished, false);
    synthetic_recording(&lib, "crashed", RecordingStatus::Interrupted, true);
    let missing = synthetic_recording(&lib, "holes", RecordingStatus::Finished, true);
    synthetic_recording(&lib, "live", RecordingStatus::Recording, true);
    // Media are content-addressed and these recordings share frames: delete after all are made.
    std::fs::remove_file(lib.media().path_of(&missing[1], "webp")).unwrap();
    let _recorder = apprentice_core::store::RecorderLock::try_acquire(&lib.lock_path("live")).unwrap().unwrap();
    let out = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let fails = |args: &[&str], why: &str| {
        let o = cli(&lib_dir, args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(why), "{args:?} should fail with {why:?}: {stderr}");
    };
    fails(&["export", "live", "--format", "agentnet", "--out", &out("a")], "still being recorded");
    fails(&["export", "nosteps", "--format", "canonical", "--out", &out("b")], "has no steps");
    fails(&["export", "holes", "--format", "canonical", "--out", &out("c")], "No such file");
    fails(&["export", "--format", "openai", "--out", &out("d"), "--task", "nothing matches this"], "no recording matches");

    // An interrupted recording exports, flagged as such.
    let o = cli(&lib_dir, &["export", "crashed", "--format", "canonical", "--out", &out("e")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("was interrupted"));
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("e/trajectory.json")).unwrap()).unwrap();
    assert_eq!(t["recording"]["status"], "interrupted");

    // --all exports what it can and names what it skipped and why.
    let o = cli(&lib_dir, &["export", "--all", "--format", "agentnet", "--out", &out("f")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a missing frame fails the export rather than leaving a hole: {stderr}");
    let o = cli(&lib_dir, &["export", "--all", "--status", "interrupted", "--format", "agentnet", "--out", &out("g")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = cli(&lib_dir, &["export", "--all", "--task", "task no", "--format", "agentnet", "--out", &out("h")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() || stderr.contains("skipped nosteps"), "{stderr}");
    let o = cli(&lib_dir, &["export", "good", "crashed", "--format", "agentnet", "--out", &out("i")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = std::fs::read_to_string(tmp.path().join("i/agentnet.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 2, "one line per recording");
}
