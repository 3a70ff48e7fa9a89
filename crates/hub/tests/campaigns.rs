//! Campaigns end to end on a real PostgreSQL: a task catalog imported from JSONL or CSV with its
//! consent text, malformed files refused with the line at fault and nothing half-imported,
//! tasks assigned to experts, each expert seeing only their own, progress per task.

mod support;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::*;

#[test]
fn a_catalog_is_imported_whole_or_not_at_all_and_experts_see_only_their_tasks() {
    let (pg, hub, admin) = hub_with_admin();
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str], token: &str| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--hub", hub.url.as_str(), "--token", token]);
        hub_cli(&all)
    };
    let add = |name: &str, role: &str| -> String {
        let v: Value = serde_json::from_str(&ok(cli(&["user", "add", name, "--role", role, "--json"], &admin))).unwrap();
        v["token"].as_str().unwrap().to_string()
    };
    let (ann, bob, rita) = (add("ann", "expert"), add("bob", "expert"), add("rita", "reviewer"));

    // Malformed files: each refused naming the line, and no campaign is left behind.
    let bad: [(&str, &[u8], &str); 4] = [
        ("latin1.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\n{\"id\":\"t2\",\"instruction\":\"r\xe9sum\xe9\"}\n", "not UTF-8 text (invalid bytes at line 2)"),
        ("missing.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\n{\"id\":\"t2\",\"app\":\"calc\"}\n", "line 2: no `instruction`"),
        ("twice.csv", b"id,instruction\nt1,Open the file\nt2,Save it\nt1,Close it\n", "line 4: the id t1 is used twice (first on line 2)"),
        ("header.csv", b"id,what\nt1,Open the file\n", "the header has no `instruction` column"),
    ];
    for (name, bytes, says) in bad {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = fails(cli(&["campaign", "create", name, "--tasks", path.to_str().unwrap()], &admin));
        assert!(err.contains(says), "{name}: {err}");
    }
    // The server refuses the same on its own (a client that skips the checks).
    let (status, body) =
        request("POST", &format!("{}/api/campaigns", hub.url), Some(&admin), Some(json!({ "name": "direct", "tasks": [{ "id": "a", "instruction": "x" }, { "id": "a", "instruction": "y" }] })));
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("used twice"));
    let (status, body) = request("POST", &format!("{}/api/campaigns", hub.url), Some(&admin), Some(json!({ "name": "direct", "tasks": [{ "id": "a", "instruction": "  " }] })));
    assert_eq!(status, 400, "{body}");
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM campaigns"), "0", "nothing half-imported");
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM tasks"), "0");

    // A good catalog, with its consent text.
    let tasks = dir.path().join("tasks.jsonl");
    std::fs::write(
        &tasks,
        "{\"id\":\"t1\",\"instruction\":\"Rename report.ods to report-2026.ods\",\"app\":\"nautilus\",\"tags\":[\"files\"],\"target\":2}\n\
         {\"id\":\"t2\",\"instruction\":\"Make a pivot table of sales by region\",\"app\":\"libreoffice\",\"difficulty\":\"hard\",\"time_limit\":900}\n\
         {\"id\":\"t3\",\"instruction\":\"Reply to the last email\",\"notes\":\"use the draft\"}\n",
    )
    .unwrap();
    let consent_text = "I agree that my screen, input and voice are recorded for this campaign.\n";
    let consent = dir.path().join("consent.txt");
    std::fs::write(&consent, consent_text).unwrap();
    let created: Value =
        serde_json::from_str(&ok(cli(&["campaign", "create", "spreadsheets", "--tasks", tasks.to_str().unwrap(), "--consent", consent.to_str().unwrap(), "--reviews", "2", "--json"], &admin)))
            .unwrap();
    assert_eq!((created["tasks"].as_i64(), created["reviews"].as_i64(), created["consent_version"].as_i64()), (Some(3), Some(2), Some(1)), "{created}");
    let sha: String = Sha256::digest(consent_text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(created["consent_sha256"], sha.as_str());
    assert!(fails(cli(&["campaign", "create", "spreadsheets", "--tasks", tasks.to_str().unwrap()], &admin)).contains("exists already"));
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "id,instruction,tags,target\nc1,Sort the list,lists;easy,3\n").unwrap();
    assert!(ok(cli(&["campaign", "create", "lists", "--tasks", csv.to_str().unwrap()], &admin)).contains("campaign lists: 1 tasks"));

    // Assignments: to experts only, of tasks that exist, each once.
    assert!(ok(cli(&["assign", "spreadsheets", "--expert", "ann", "--task", "t1", "--task", "t2"], &admin)).contains("assigned 2 task(s) of spreadsheets to ann (0 already were)"));
    assert!(ok(cli(&["assign", "spreadsheets", "--expert", "ann", "--task", "t1"], &admin)).contains("assigned 0 task(s) of spreadsheets to ann (1 already were)"));
    assert!(fails(cli(&["assign", "spreadsheets", "--expert", "rita"], &admin)).contains("not an expert"));
    assert!(fails(cli(&["assign", "spreadsheets", "--expert", "ann", "--task", "t9"], &admin)).contains("has no task t9"));
    assert!(fails(cli(&["assign", "nope", "--expert", "ann"], &admin)).contains("no campaign named nope"));
    assert!(fails(cli(&["assign", "spreadsheets", "--expert", "bob"], &ann)).contains("403"), "an expert assigns nothing");
    ok(cli(&["assign", "lists", "--expert", "bob"], &admin));

    // Each expert sees their own tasks and campaigns, nobody else's.
    let (status, mine) = request("GET", &format!("{}/api/tasks", hub.url), Some(&ann), None);
    assert_eq!(status, 200);
    let ids: Vec<(&str, &str)> = mine.as_array().unwrap().iter().map(|t| (t["campaign"].as_str().unwrap(), t["task"]["id"].as_str().unwrap())).collect();
    assert_eq!(ids, [("spreadsheets", "t1"), ("spreadsheets", "t2")]);
    assert_eq!(mine[1]["task"]["instruction"], "Make a pivot table of sales by region");
    assert_eq!(mine[1]["task"]["time_limit"], 900);
    let (_, theirs) = request("GET", &format!("{}/api/tasks", hub.url), Some(&bob), None);
    assert_eq!(theirs.as_array().unwrap().iter().map(|t| t["task"]["id"].as_str().unwrap()).collect::<Vec<_>>(), ["c1"]);
    let (_, campaigns) = request("GET", &format!("{}/api/campaigns", hub.url), Some(&ann), None);
    assert_eq!(campaigns.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["spreadsheets"]);
    let (_, all) = request("GET", &format!("{}/api/campaigns", hub.url), Some(&rita), None);
    assert_eq!(all.as_array().unwrap().len(), 2, "reviewers see every campaign");
    assert_eq!(request("GET", &format!("{}/api/tasks", hub.url), Some(&rita), None).0, 403);
    assert_eq!(request("POST", &format!("{}/api/campaigns", hub.url), Some(&ann), Some(json!({ "name": "mine", "tasks": [] }))).0, 403);
    assert_eq!(request("GET", &format!("{}/api/campaigns/spreadsheets/progress", hub.url), Some(&ann), None).0, 403);

    let progress: Value = serde_json::from_str(&ok(cli(&["progress", "spreadsheets", "--json"], &admin))).unwrap();
    let rows: Vec<(&str, u64, i64)> = progress.as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), r["target"].as_u64().unwrap(), r["assigned"].as_i64().unwrap())).collect();
    assert_eq!(rows, [("t1", 2, 1), ("t2", 1, 1), ("t3", 1, 0)]);

    // Versioned edits: re-importing the file adds new tasks, versions changed ones, keeps the rest;
    // a bad file changes nothing.
    let edit = dir.path().join("edit.jsonl");
    std::fs::write(&edit, "{\"id\": \"t1\", \"instruction\": \"Sum the column B\", \"target\": 2}\n{\"id\": \"t4\", \"instruction\": \"Sort by date\"}\n").unwrap();
    let before: String = pg.psql("hub", "SELECT spec->>'instruction' FROM tasks WHERE id = 't1' AND campaign_id = (SELECT id FROM campaigns WHERE name = 'spreadsheets')");
    let edited: Value = serde_json::from_str(&ok(cli(&["campaign", "edit", "spreadsheets", "--tasks", edit.to_str().unwrap(), "--json"], &admin))).unwrap();
    assert_eq!((edited["added"].as_u64(), edited["changed"].as_u64(), edited["unchanged"].as_u64()), (Some(1), Some(1), Some(0)), "{edited}");
    let again: Value = serde_json::from_str(&ok(cli(&["campaign", "edit", "spreadsheets", "--tasks", edit.to_str().unwrap(), "--json"], &admin))).unwrap();
    assert_eq!((again["added"].as_u64(), again["changed"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(0), Some(2)), "the same file again changes nothing: {again}");
    let versions = pg.psql("hub", "SELECT string_agg(version || ':' || (spec->>'instruction'), ' | ' ORDER BY version) FROM task_versions WHERE id = 't1' AND campaign_id = (SELECT id FROM campaigns WHERE name = 'spreadsheets')");
    assert_eq!(versions, format!("1:{before} | 2:Sum the column B"), "every version is kept");
    let (_, mine) = request("GET", &format!("{}/api/tasks", hub.url), Some(&ann), None);
    let t1 = mine.as_array().unwrap().iter().find(|t| t["task"]["id"] == "t1").cloned().unwrap();
    assert_eq!((t1["version"].as_i64(), t1["task"]["instruction"].as_str()), (Some(2), Some("Sum the column B")), "the expert sees the new version");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"id\": \"t2\", \"instruction\": \"Changed\"}\n{\"id\": \"t5\"}\n").unwrap();
    assert!(fails(cli(&["campaign", "edit", "spreadsheets", "--tasks", broken.to_str().unwrap()], &admin)).contains("line 2"));
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM tasks WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'spreadsheets')"), "4", "nothing of a bad file is imported");
    assert_eq!(request("PUT", &format!("{}/api/campaigns/spreadsheets/tasks", hub.url), Some(&ann), Some(json!({ "tasks": [{ "id": "t1", "instruction": "mine" }] }))).0, 403, "experts edit nothing");
}
