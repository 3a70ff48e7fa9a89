//! Keeping review data: step labels, the trajectory review and the audit log every change is
//! appended to. Each change is one transaction that writes the new state and its log entry
//! together, so the log never misses a change. Deciding whether an edit applies is
//! [`crate::review`]'s job, not this module's.

use rusqlite::{params, OptionalExtension};

use super::{Library, StoreError};
use crate::model::*;
use crate::provenance::review as provenance;

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Library {
    fn decode<T: serde::de::DeserializeOwned>(&self, what: &str, json: &str) -> Result<T, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt { path: self.db_path(), reason: format!("{what}: {e}") })
    }

    fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
        serde_json::to_string(value).map_err(|e| StoreError::Encode(e.to_string()))
    }

    /// Labels, trajectory review and audit log of a recording.
    pub fn review_state(&self, id: &str) -> Result<ReviewState, StoreError> {
        let id = self.resolve_id(id)?;
        let trajectory: Option<String> = self.conn.query_row("SELECT review FROM trajectory_reviews WHERE recording_id = ?1", [&id], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        let mut state = ReviewState { trajectory: trajectory.map(|j| self.decode("trajectory review", &j)).transpose()?, ..Default::default() };
        let mut stmt = self.conn.prepare("SELECT step_t_us, label FROM step_labels WHERE recording_id = ?1").map_err(|e| self.err(e))?;
        let rows: Vec<(i64, String)> = stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        for (t, json) in rows {
            state.labels.insert(t as Micros, self.decode("step label", &json)?);
        }
        let mut stmt = self.conn.prepare("SELECT id, seq, at, reviewer, change, undone FROM review_log WHERE recording_id = ?1 ORDER BY seq").map_err(|e| self.err(e))?;
        let rows: Vec<(String, i64, String, String, String, bool)> =
            stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        for (entry_id, seq, at, reviewer, change, undone) in rows {
            state.log.push(AuditEntry { id: entry_id, seq, at, reviewer, change: self.decode("audit log entry", &change)?, undone });
        }
        let mut stmt = self.conn.prepare("SELECT t0_us, corrected FROM utterances WHERE recording_id = ?1 AND corrected IS NOT NULL").map_err(|e| self.err(e))?;
        let rows: Vec<(i64, String)> = stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        for (t0, text) in rows {
            let t0 = t0 as Micros;
            let by = state.log.iter().rev().find_map(|e| match &e.change {
                ReviewChange::Transcript { utterance, .. } if *utterance == t0 && !e.undone => Some(e.reviewer.clone()),
                _ => None,
            });
            state.transcripts.insert(t0, (text, by.unwrap_or_default()));
        }
        Ok(state)
    }

    /// The rubric of `campaign`, if this library knows one.
    pub fn rubric(&self, campaign: &str) -> Result<Option<Rubric>, StoreError> {
        let json: Option<String> = self.conn.query_row("SELECT rubric FROM rubrics WHERE campaign = ?1", [campaign], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        json.map(|j| self.decode("rubric", &j)).transpose()
    }

    /// The rubric a recording is reviewed with: its campaign's, if it has one.
    pub fn rubric_of(&self, recording: &Recording) -> Result<Option<Rubric>, StoreError> {
        match &recording.task.campaign {
            Some(c) => self.rubric(c),
            None => Ok(None),
        }
    }

    /// Keeps `rubric` as `campaign`'s (an empty one removes it).
    pub fn set_rubric(&self, campaign: &str, rubric: &Rubric) -> Result<(), StoreError> {
        if rubric.questions.is_empty() {
            self.conn.execute("DELETE FROM rubrics WHERE campaign = ?1", [campaign]).map_err(|e| self.err(e))?;
        } else {
            self.conn.execute("INSERT OR REPLACE INTO rubrics (campaign, rubric) VALUES (?1, ?2)", params![campaign, Self::encode(rubric)?]).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Keeps comparison `c` (again: the same id is replaced).
    pub fn add_comparison(&self, c: &Comparison) -> Result<(), StoreError> {
        self.conn.execute("INSERT OR REPLACE INTO comparisons (id, a, b, comparison) VALUES (?1, ?2, ?3, ?4)", params![c.id, c.a, c.b, Self::encode(c)?]).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Every comparison this library keeps that involves recording `id` (all of them for None),
    /// by id.
    pub fn comparisons(&self, id: Option<&str>) -> Result<Vec<Comparison>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT comparison FROM comparisons WHERE ?1 IS NULL OR a = ?1 OR b = ?1 ORDER BY id").map_err(|e| self.err(e))?;
        let rows = stmt.query_map([id], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
        rows.map(|j| self.decode("comparison", &j.map_err(|e| self.err(e))?)).collect()
    }

    /// Sets (or, with an empty label, clears) the label of the step starting at `step`.
    pub fn set_step_label(&self, id: &str, step: Micros, label: StepLabel, reviewer: &str) -> Result<Option<StepLabel>, StoreError> {
        let id = self.resolve_id(id)?;
        let label = (!label.is_empty()).then(|| StepLabel { reviewer: reviewer.to_string(), updated_at: now(), ..label });
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let before: Option<String> =
            tx.query_row("SELECT label FROM step_labels WHERE recording_id = ?1 AND step_t_us = ?2", params![id, step as i64], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        let before: Option<StepLabel> = before.map(|j| self.decode("step label", &j)).transpose()?;
        self.write_label(&tx, &id, step, label.as_ref())?;
        self.append_log(&tx, &id, reviewer, &ReviewChange::Label { step, before, after: label.clone() })?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(label)
    }

    /// Sets the scores, verdict and comment of the whole trajectory.
    pub fn set_trajectory_review(&self, id: &str, review: TrajectoryReview, reviewer: &str) -> Result<TrajectoryReview, StoreError> {
        let id = self.resolve_id(id)?;
        let review = TrajectoryReview { reviewer: reviewer.to_string(), updated_at: now(), ..review };
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let before: Option<String> = tx.query_row("SELECT review FROM trajectory_reviews WHERE recording_id = ?1", [&id], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        let before: Option<TrajectoryReview> = before.map(|j| self.decode("trajectory review", &j)).transpose()?;
        self.write_trajectory_review(&tx, &id, Some(&review))?;
        self.append_log(&tx, &id, reviewer, &ReviewChange::Trajectory { before, after: review.clone() })?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(review)
    }

    /// Appends a step edit to the audit log (call [`crate::review::edit`], which checks it applies).
    pub fn append_step_edit(&self, id: &str, edit: &StepEdit, reviewer: &str) -> Result<(), StoreError> {
        let id = self.resolve_id(id)?;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        self.append_log(&tx, &id, reviewer, &ReviewChange::Edit { edit: edit.clone() })?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Corrects the transcript of the utterance starting at `t0` (`None` restores the model's).
    /// Returns the correction it replaced.
    pub fn set_transcript(&self, id: &str, t0: Micros, text: Option<&str>, reviewer: &str) -> Result<Option<String>, StoreError> {
        let id = self.resolve_id(id)?;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let before: Option<Option<String>> =
            tx.query_row("SELECT corrected FROM utterances WHERE recording_id = ?1 AND t0_us = ?2", params![id, t0 as i64], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        let Some(before) = before else { return Err(StoreError::NoUtterance { recording: id, t0_us: t0 }) };
        self.write_correction(&tx, &id, t0, text)?;
        self.append_log(&tx, &id, reviewer, &ReviewChange::Transcript { utterance: t0, before: before.clone(), after: text.map(str::to_string) })?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(before)
    }

    /// Undoes the most recent change still in force: a label or review gets its previous value
    /// back, an edit stops being applied. The entry stays in the log, marked undone.
    pub fn undo_review_change(&self, id: &str) -> Result<Option<AuditEntry>, StoreError> {
        self.undo_review_change_as(id, &crate::review::reviewer_name(None))
    }

    /// As [`Self::undo_review_change`], the undo signed as `reviewer`'s.
    pub fn undo_review_change_as(&self, id: &str, reviewer: &str) -> Result<Option<AuditEntry>, StoreError> {
        let undoer = reviewer;
        let id = self.resolve_id(id)?;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let last: Option<(String, i64, String, String, String, Option<String>)> = tx
            .query_row("SELECT id, seq, at, reviewer, change, hash FROM review_log WHERE recording_id = ?1 AND undone = 0 ORDER BY seq DESC LIMIT 1", [&id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((entry_id, seq, at, reviewer, change, hash)) = last else { return Ok(None) };
        let change: ReviewChange = self.decode("audit log entry", &change)?;
        match &change {
            ReviewChange::Label { step, before, .. } => self.write_label(&tx, &id, *step, before.as_ref())?,
            ReviewChange::Trajectory { before, .. } => self.write_trajectory_review(&tx, &id, before.as_ref())?,
            ReviewChange::Edit { .. } => {}
            ReviewChange::Transcript { utterance, before, .. } => self.write_correction(&tx, &id, *utterance, before.as_deref())?,
        }
        // The undo is signed by whoever undoes (this user), over the entry it undoes.
        let undo = match (self.signer(), &hash) {
            (Some(key), Some(hash)) => Some(Self::encode(&provenance::sign_undo(key, hash, &now(), undoer))?),
            _ => None,
        };
        tx.execute("UPDATE review_log SET undone = 1, undo = ?2 WHERE seq = ?1", params![seq, undo]).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Some(AuditEntry { id: entry_id, seq, at, reviewer, change, undone: true }))
    }

    /// Verdicts by recording id, for the library list and export filters.
    pub fn verdicts(&self) -> Result<std::collections::HashMap<String, Verdict>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT recording_id, verdict FROM trajectory_reviews WHERE verdict IS NOT NULL").map_err(|e| self.err(e))?;
        let rows: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(id, v)| match Verdict::parse(&v) {
                Some(verdict) => Ok((id, verdict)),
                None => Err(StoreError::Corrupt { path: self.db_path(), reason: format!("the verdict of recording {id}: unreadable value {v:?}") }),
            })
            .collect()
    }

    fn write_label(&self, conn: &rusqlite::Connection, id: &str, step: Micros, label: Option<&StepLabel>) -> Result<(), StoreError> {
        match label {
            Some(l) => conn.execute("INSERT OR REPLACE INTO step_labels (recording_id, step_t_us, label) VALUES (?1, ?2, ?3)", params![id, step as i64, Self::encode(l)?]),
            None => conn.execute("DELETE FROM step_labels WHERE recording_id = ?1 AND step_t_us = ?2", params![id, step as i64]),
        }
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn write_trajectory_review(&self, conn: &rusqlite::Connection, id: &str, review: Option<&TrajectoryReview>) -> Result<(), StoreError> {
        match review {
            Some(r) => conn.execute("INSERT OR REPLACE INTO trajectory_reviews (recording_id, verdict, review) VALUES (?1, ?2, ?3)", params![id, r.verdict.map(Verdict::as_str), Self::encode(r)?]),
            None => conn.execute("DELETE FROM trajectory_reviews WHERE recording_id = ?1", [id]),
        }
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn write_correction(&self, conn: &rusqlite::Connection, id: &str, t0: Micros, text: Option<&str>) -> Result<(), StoreError> {
        conn.execute("UPDATE utterances SET corrected = ?3 WHERE recording_id = ?1 AND t0_us = ?2", params![id, t0 as i64, text]).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Appends an entry, chained to the recording's last and signed by this user's key.
    fn append_log(&self, conn: &rusqlite::Connection, id: &str, reviewer: &str, change: &ReviewChange) -> Result<(), StoreError> {
        let entry_id = uuid::Uuid::now_v7().to_string();
        let (at, change) = (now(), Self::encode(change)?);
        let last: Option<Option<String>> = conn.query_row("SELECT hash FROM review_log WHERE recording_id = ?1 ORDER BY seq DESC LIMIT 1", [id], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        let prev = match last {
            None => Some(provenance::genesis(id)),
            // After an unsigned (older) entry the chain restarts from its content.
            Some(h) => h.and_then(|h| crate::provenance::unhex(&h)).and_then(|b| <[u8; 32]>::try_from(b).ok()),
        };
        let signed = match (self.signer(), prev) {
            (Some(key), Some(prev)) => Some(provenance::sign_entry(key, &prev, &entry_id, id, &at, reviewer, &change)),
            _ => None,
        };
        let (prev, hash, signer, signature) = match signed {
            Some((p, h, k, s)) => (Some(p), Some(h), Some(k), Some(s)),
            None => (None, None, None, None),
        };
        conn.execute(
            "INSERT INTO review_log (id, recording_id, at, reviewer, change, prev, hash, signer, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![entry_id, id, at, reviewer, change, prev, hash, signer, signature],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The recording's audit log as signed: every entry with its chain, signature and undo.
    pub fn signed_review_log(&self, id: &str) -> Result<Vec<provenance::SignedEntry>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, seq, recording_id, at, reviewer, change, prev, hash, signer, signature, undone, undo FROM review_log WHERE recording_id = ?1 ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                Ok((
                    provenance::SignedEntry {
                        id: r.get(0)?,
                        seq: r.get(1)?,
                        recording_id: r.get(2)?,
                        at: r.get(3)?,
                        reviewer: r.get(4)?,
                        change: r.get(5)?,
                        prev: r.get(6)?,
                        hash: r.get(7)?,
                        signer: r.get(8)?,
                        signature: r.get(9)?,
                        undone: r.get(10)?,
                        undo: None,
                    },
                    r.get::<_, Option<String>>(11)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = vec![];
        for row in rows {
            let (mut entry, undo) = row.map_err(|e| self.err(e))?;
            entry.undo = undo.map(|u| self.decode("the undo of an audit log entry", &u)).transpose()?;
            out.push(entry);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library_with_recording() -> (tempfile::TempDir, Library, String) {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let rec = crate::store::tests::sample_recording("rev");
        lib.create_recording(&rec).unwrap();
        (dir, lib, rec.id)
    }

    #[test]
    fn a_campaign_rubric_is_kept_and_answers_are_checked_against_it() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let mut rec = crate::store::tests::sample_recording("rub");
        rec.task.campaign = Some("tax".into());
        lib.create_recording(&rec).unwrap();
        let rubric: Rubric = serde_json::from_str(
            r#"{"questions": [{"id": "verified_source", "text": "Did the expert verify the source before acting?", "scope": "step", "kind": "yes_no"},
                              {"id": "injection", "text": "Was the injected instruction ignored?", "scope": "trajectory", "kind": "choice", "options": ["ignored", "followed"]}]}"#,
        )
        .unwrap();
        crate::review::rubric::check(&rubric).unwrap();
        lib.set_rubric("tax", &rubric).unwrap();
        assert_eq!(lib.rubric_of(&lib.recording(&rec.id).unwrap()).unwrap(), Some(rubric.clone()));
        assert_eq!(lib.rubric("other").unwrap(), None);
        // The label is stored with its answers; an answer the rubric does not ask is refused.
        let answers: Answers = [("verified_source".to_string(), Answer::Yes(true))].into();
        let label = StepLabel { answers: answers.clone(), ..Default::default() };
        assert!(!label.is_empty(), "a label holding only answers is a label");
        crate::review::set_step_label(&lib, &rec.id, 0, label, "rita").unwrap();
        assert_eq!(lib.review_state(&rec.id).unwrap().labels[&0].answers, answers);
        let stray = StepLabel { answers: [("injection".to_string(), Answer::Text("ignored".into()))].into(), ..Default::default() };
        let err = crate::review::set_step_label(&lib, &rec.id, 0, stray, "rita").unwrap_err();
        assert!(err.to_string().contains("no step question \"injection\""), "{err}");
        let bad = TrajectoryReview { answers: [("injection".to_string(), Answer::Text("perhaps".into()))].into(), ..Default::default() };
        let err = crate::review::set_trajectory_review(&lib, &rec.id, bad, "rita").unwrap_err();
        assert!(err.to_string().contains("one of: ignored, followed"), "{err}");
        // An empty rubric removes the campaign's.
        lib.set_rubric("tax", &Rubric::default()).unwrap();
        assert_eq!(lib.rubric("tax").unwrap(), None);
    }

    #[test]
    fn labels_are_logged_and_undone_in_order() {
        let (_d, lib, id) = library_with_recording();
        lib.set_step_label(&id, 10, StepLabel { correctness: Some(Correctness::Correct), ..Default::default() }, "ann").unwrap();
        lib.set_step_label(&id, 10, StepLabel { correctness: Some(Correctness::Redundant), comment: Some("again".into()), ..Default::default() }, "bob").unwrap();
        let state = lib.review_state(&id).unwrap();
        assert_eq!(state.labels[&10].correctness, Some(Correctness::Redundant));
        assert_eq!(state.labels[&10].reviewer, "bob");
        assert_eq!(state.log.len(), 2);

        lib.undo_review_change(&id).unwrap().unwrap();
        let state = lib.review_state(&id).unwrap();
        assert_eq!(state.labels[&10].correctness, Some(Correctness::Correct), "undo restores the previous label");
        assert!(state.log[1].undone && !state.log[0].undone, "the undone entry stays in the log");
        lib.undo_review_change(&id).unwrap().unwrap();
        assert!(lib.review_state(&id).unwrap().labels.is_empty());
        assert!(lib.undo_review_change(&id).unwrap().is_none(), "nothing left to undo");
    }

    #[test]
    fn audit_entries_have_unique_time_ordered_uuid_v7_ids_and_old_entries_get_ids_when_migrated() {
        let (dir, lib, id) = library_with_recording();
        for n in 0..3 {
            lib.set_step_label(&id, n, StepLabel { is_unsafe: true, ..Default::default() }, "ann").unwrap();
        }
        let log = lib.review_state(&id).unwrap().log;
        let ids: Vec<uuid::Uuid> = log.iter().map(|e| uuid::Uuid::parse_str(&e.id).unwrap()).collect();
        assert!(ids.iter().all(|u| u.get_version_num() == 7), "{ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "v7 ids sort in the order entries were made: {ids:?}");
        assert_eq!(lib.undo_review_change(&id).unwrap().map(|e| e.id), Some(log[2].id.clone()), "undo names the entry it undid");

        // A library from before the ids: its entries get unique ids when it is opened.
        lib.conn
            .execute_batch(
                "DROP TABLE seals; DROP TABLE capture_chain; DROP INDEX review_log_by_id;
                 ALTER TABLE review_log DROP COLUMN id; ALTER TABLE review_log DROP COLUMN prev; ALTER TABLE review_log DROP COLUMN hash;
                 ALTER TABLE review_log DROP COLUMN signer; ALTER TABLE review_log DROP COLUMN signature; ALTER TABLE review_log DROP COLUMN undo;
                 ALTER TABLE input_events DROP COLUMN origin;
                 DROP TABLE upload_queue; ALTER TABLE recordings DROP COLUMN campaign; DROP TABLE rubrics; DROP TABLE comparisons; DROP TABLE a11y_events; ALTER TABLE recordings DROP COLUMN privacy_policy;
                 PRAGMA user_version = 4;",
            )
            .unwrap();
        drop(lib);
        let lib = Library::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let log = lib.review_state(&id).unwrap().log;
        let ids: std::collections::HashSet<&str> = log.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 3);
        assert!(log.iter().all(|e| uuid::Uuid::parse_str(&e.id).is_ok_and(|u| u.get_version_num() == 4)), "{log:?}");
    }

    #[test]
    fn a_state_replayed_from_the_log_equals_the_stored_state() {
        let (_d, lib, id) = library_with_recording();
        let label = |c| StepLabel { correctness: Some(c), ..Default::default() };
        lib.set_step_label(&id, 10, label(Correctness::Correct), "ann").unwrap();
        lib.set_step_label(&id, 20, label(Correctness::Incorrect), "ann").unwrap();
        lib.set_step_label(&id, 10, label(Correctness::Redundant), "bob").unwrap();
        lib.set_step_label(&id, 20, StepLabel::default(), "bob").unwrap();
        lib.set_trajectory_review(&id, TrajectoryReview { verdict: Some(Verdict::Approved), ..Default::default() }, "ann").unwrap();
        lib.set_trajectory_review(&id, TrajectoryReview { verdict: Some(Verdict::Rejected), ..Default::default() }, "bob").unwrap();
        lib.append_step_edit(&id, &StepEdit::Delete { step: 30 }, "ann").unwrap();
        for undo in 0..4 {
            let stored = lib.review_state(&id).unwrap();
            let replayed = ReviewState::from_log(stored.log.clone());
            assert_eq!(replayed, stored, "after {undo} undo(s)");
            lib.undo_review_change(&id).unwrap();
        }
    }

    #[test]
    fn an_empty_label_clears_and_a_verdict_is_listed() {
        let (_d, lib, id) = library_with_recording();
        lib.set_step_label(&id, 5, StepLabel { is_unsafe: true, ..Default::default() }, "ann").unwrap();
        lib.set_step_label(&id, 5, StepLabel::default(), "ann").unwrap();
        assert!(lib.review_state(&id).unwrap().labels.is_empty());
        let review = TrajectoryReview { verdict: Some(Verdict::NeedsEdit), scores: Scores { safety: Some(4), ..Default::default() }, ..Default::default() };
        lib.set_trajectory_review(&id, review, "ann").unwrap();
        assert_eq!(lib.verdicts().unwrap().get(&id), Some(&Verdict::NeedsEdit));
        lib.undo_review_change(&id).unwrap();
        assert!(lib.verdicts().unwrap().is_empty());
    }
}
