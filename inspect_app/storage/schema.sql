-- The schema as the migrations in storage/migrations.py leave it (generated; do not edit).
-- Refresh: .venv/bin/python -m inspect_app.storage.schema

CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);

CREATE TABLE "access_links" (
   "token_hash" TEXT PRIMARY KEY,
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "created_by" INTEGER REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL,
   "expires_at" TEXT NOT NULL,
   "revoked_at" TEXT
);

CREATE TABLE "assignments" (
   "id" INTEGER PRIMARY KEY,
   "inspector_id" INTEGER NOT NULL REFERENCES "users"("id"),
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "period_start" TEXT NOT NULL,
   "period_end" TEXT NOT NULL,
   "planned_visits" INTEGER DEFAULT 2,
   "created_by" INTEGER,
   "created_at" TEXT
);

CREATE TABLE "audit_log" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT NOT NULL,
   "user_id" INTEGER,
   "username" TEXT,
   "action" TEXT NOT NULL,
   "target" TEXT,
   "detail" TEXT,
   "ip" TEXT
);

CREATE TABLE "bulletins" (
   "report_id" TEXT PRIMARY KEY REFERENCES "reports"("id"),
   "period_kind" TEXT NOT NULL,
   "period_key" TEXT NOT NULL,
   "checklist_id" TEXT NOT NULL,
   "checklist_title" TEXT NOT NULL,
   "commentary" TEXT DEFAULT '',
   "inspected" INTEGER,
   "issued_by" INTEGER REFERENCES "users"("id")
);

CREATE TABLE bureau_data_version (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, n INTEGER NOT NULL);

CREATE TABLE "checklist_library" (
   "checklist_id" TEXT PRIMARY KEY,
   "current_hash" TEXT NOT NULL REFERENCES "checklist_versions"("hash"),
   "retired_at" TEXT,
   "file_hash" TEXT,
   "updated_at" TEXT NOT NULL
);

CREATE TABLE "checklist_publications" (
   "id" INTEGER PRIMARY KEY,
   "checklist_id" TEXT NOT NULL,
   "hash" TEXT NOT NULL REFERENCES "checklist_versions"("hash"),
   "published_at" TEXT NOT NULL,
   "published_by" INTEGER REFERENCES "users"("id"),
   "origin" TEXT NOT NULL
);

CREATE TABLE "checklist_sources" (
   "hash" TEXT PRIMARY KEY REFERENCES "checklist_versions"("hash"),
   "yaml" TEXT NOT NULL,
   "stored_at" TEXT NOT NULL
);

CREATE TABLE "checklist_uploads" (
   "id" INTEGER PRIMARY KEY,
   "checklist_id" TEXT,
   "file_name" TEXT NOT NULL,
   "format" TEXT NOT NULL,
   "original" BLOB,
   "yaml" TEXT,
   "compiled" TEXT,
   "hash" TEXT,
   "errors" TEXT NOT NULL,
   "uploaded_by" INTEGER REFERENCES "users"("id"),
   "uploaded_at" TEXT NOT NULL,
   "published_at" TEXT,
   "published_by" INTEGER REFERENCES "users"("id")
);

CREATE TABLE "checklist_versions" (
   "hash" TEXT PRIMARY KEY,
   "checklist_id" TEXT NOT NULL,
   "version" TEXT,
   "title" TEXT,
   "compiled" TEXT NOT NULL,
   "stored_at" TEXT NOT NULL
);

CREATE TABLE "document_jobs" (
   "id" INTEGER PRIMARY KEY,
   "inspection_id" TEXT NOT NULL REFERENCES "inspections"("id"),
   "status" TEXT NOT NULL DEFAULT 'queued',
   "attempts" INTEGER NOT NULL DEFAULT 0,
   "run_after" TEXT NOT NULL,
   "lease_until" TEXT,
   "claim" TEXT,
   "claimed_by" TEXT,
   "last_error" TEXT,
   "created_at" TEXT NOT NULL,
   "updated_at" TEXT NOT NULL,
   "finished_at" TEXT
);

CREATE TABLE "document_numbers" (
   "kind" TEXT NOT NULL,
   "year" INTEGER NOT NULL,
   "seq" INTEGER NOT NULL,
   "report_id" TEXT,
   "reserved_at" TEXT NOT NULL,
   PRIMARY KEY ("kind", "year", "seq")
);

CREATE TABLE "draw_conflicts" (
   "id" INTEGER PRIMARY KEY,
   "inspector_id" INTEGER NOT NULL REFERENCES "users"("id"),
   "school_id" INTEGER REFERENCES "schools"("id"),
   "township_id" INTEGER REFERENCES "regions"("id"),
   "reason" TEXT NOT NULL,
   "created_by" INTEGER REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL
);

CREATE TABLE "draws" (
   "id" INTEGER PRIMARY KEY,
   "period_kind" TEXT NOT NULL,
   "period_key" TEXT NOT NULL,
   "seed" TEXT NOT NULL,
   "inputs" TEXT NOT NULL,
   "result" TEXT NOT NULL,
   "digest" TEXT NOT NULL,
   "report_id" TEXT REFERENCES "reports"("id"),
   "created_by" INTEGER REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL
);

CREATE TABLE "evidence_files" (
   "sha256" TEXT PRIMARY KEY,
   "path" TEXT NOT NULL,
   "mime" TEXT NOT NULL,
   "size" INTEGER,
   "original_name" TEXT,
   "uploaded_by" INTEGER,
   "uploaded_at" TEXT NOT NULL
);

CREATE TABLE export_fragments (
             inspection_id TEXT NOT NULL,
             sheet TEXT NOT NULL,  -- items | findings | rectifications
             fingerprint TEXT NOT NULL,
             token TEXT NOT NULL,
             rows INTEGER NOT NULL,
             crc INTEGER NOT NULL,
             size INTEGER NOT NULL,
             data BLOB, slots BLOB,
             PRIMARY KEY (inspection_id, sheet)
           );

CREATE TABLE "export_jobs" (
   "id" INTEGER PRIMARY KEY,
   "format" TEXT NOT NULL,
   "args" TEXT NOT NULL,
   "label" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'queued',
   "done" INTEGER NOT NULL DEFAULT 0,
   "total" INTEGER NOT NULL DEFAULT 0,
   "stage" TEXT,
   "attempts" INTEGER NOT NULL DEFAULT 0,
   "run_after" TEXT NOT NULL,
   "lease_until" TEXT,
   "claim" TEXT,
   "claimed_by" TEXT,
   "last_error" TEXT,
   "path" TEXT,
   "filename" TEXT,
   "size" INTEGER,
   "rows" TEXT,
   "requested_by" INTEGER REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL,
   "updated_at" TEXT NOT NULL,
   "finished_at" TEXT
);

CREATE TABLE export_strings (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);

CREATE TABLE figure_orders (
             set_id INTEGER NOT NULL REFERENCES figure_sets(id) ON DELETE CASCADE,
             sort TEXT NOT NULL,  -- e.g. total:desc
             positions BLOB NOT NULL,  -- 32-bit little-endian positions in figure_rows
             PRIMARY KEY (set_id, sort)
           ) WITHOUT ROWID;

CREATE TABLE figure_rows (
             set_id INTEGER NOT NULL REFERENCES figure_sets(id) ON DELETE CASCADE,
             position INTEGER NOT NULL,
             row TEXT NOT NULL,
             PRIMARY KEY (set_id, position)
           ) WITHOUT ROWID;

CREATE TABLE figure_sets (
             id INTEGER PRIMARY KEY,
             key TEXT NOT NULL UNIQUE,
             version TEXT NOT NULL,
             computed_at TEXT NOT NULL,
             seconds REAL NOT NULL,
             viewed_at TEXT,
             head BLOB NOT NULL);

CREATE TABLE "followup_photos" (
   "visit_id" TEXT REFERENCES "followup_visits"("id"),
   "position" INTEGER,
   "rectification_id" INTEGER NOT NULL REFERENCES "rectifications"("id"),
   "photo_sha256" TEXT NOT NULL REFERENCES "photos"("sha256"),
   "evidence_sha256" TEXT NOT NULL,
   "caption" TEXT,
   "stamp" TEXT, stamp_warnings TEXT NOT NULL DEFAULT '[]',
   PRIMARY KEY ("visit_id", "position")
);

CREATE TABLE "followup_results" (
   "visit_id" TEXT REFERENCES "followup_visits"("id"),
   "rectification_id" INTEGER REFERENCES "rectifications"("id"),
   "position" INTEGER NOT NULL,
   "result" TEXT NOT NULL,
   "note" TEXT NOT NULL,
   "status_before" TEXT NOT NULL,
   "status_after" TEXT NOT NULL,
   "outcome" TEXT,
   PRIMARY KEY ("visit_id", "rectification_id")
);

CREATE TABLE "followup_signatures" (
   "visit_id" TEXT REFERENCES "followup_visits"("id"),
   "role" TEXT,
   "name" TEXT NOT NULL,
   "title" TEXT,
   "signed_at" TEXT,
   "png" BLOB NOT NULL,
   PRIMARY KEY ("visit_id", "role")
);

CREATE TABLE "followup_visits" (
   "id" TEXT PRIMARY KEY,
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "inspector_id" INTEGER NOT NULL REFERENCES "users"("id"),
   "date" TEXT NOT NULL,
   "started_at" TEXT,
   "phone_time" TEXT,
   "received_at" TEXT NOT NULL,
   "location" TEXT,
   "location_note" TEXT,
   "school_rep_name" TEXT,
   "school_rep_title" TEXT,
   "school_absent_reason" TEXT,
   "fixed" INTEGER NOT NULL,
   "partial" INTEGER NOT NULL,
   "not_fixed" INTEGER NOT NULL,
   "payload" TEXT NOT NULL,
   "payload_sha256" TEXT NOT NULL
, record_report_id TEXT REFERENCES reports(id));

CREATE TABLE "inspection_answers" (
   "inspection_id" TEXT REFERENCES "inspections"("id"),
   "item_id" TEXT,
   "section_id" TEXT,
   "value" TEXT,
   "outcome" TEXT,
   "earned" REAL,
   "possible" REAL,
   "note" TEXT,
   "prefilled" INTEGER, bulk INTEGER NOT NULL DEFAULT 0,
   PRIMARY KEY ("inspection_id", "item_id")
);

CREATE TABLE inspection_outcomes (
             inspection_id TEXT PRIMARY KEY,
             failed TEXT NOT NULL DEFAULT '',
             assessed TEXT NOT NULL DEFAULT '');

CREATE TABLE "inspection_photos" (
   "inspection_id" TEXT REFERENCES "inspections"("id"),
   "photo_sha256" TEXT REFERENCES "photos"("sha256"),
   "item_id" TEXT,
   "caption" TEXT,
   "position" INTEGER, stamp TEXT, stamp_warnings TEXT NOT NULL DEFAULT '[]',
   PRIMARY KEY ("inspection_id", "position")
);

CREATE TABLE "inspection_sections" (
   "inspection_id" TEXT REFERENCES "inspections"("id"),
   "section_id" TEXT,
   "earned" REAL,
   "possible" REAL,
   "failed" INTEGER,
   PRIMARY KEY ("inspection_id", "section_id")
);

CREATE TABLE "inspections" (
   "id" TEXT PRIMARY KEY,
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "checklist_hash" TEXT NOT NULL REFERENCES "checklist_versions"("hash"),
   "checklist_id" TEXT NOT NULL,
   "type" TEXT NOT NULL,
   "date" TEXT NOT NULL,
   "inspector_id" INTEGER REFERENCES "users"("id"),
   "school_rep_name" TEXT,
   "school_rep_title" TEXT,
   "location" TEXT,
   "location_note" TEXT,
   "total" REAL,
   "grade" TEXT,
   "vetoed" INTEGER,
   "findings" INTEGER,
   "complete" INTEGER,
   "result" TEXT,
   "client_mismatch" TEXT,
   "payload" TEXT NOT NULL,
   "payload_sha256" TEXT,
   "started_at" TEXT,
   "phone_time" TEXT,
   "received_at" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'valid',
   "supersedes" TEXT REFERENCES "inspections"("id")
);

CREATE TABLE "login_failures" (
   "id" INTEGER PRIMARY KEY,
   "key" TEXT NOT NULL,
   "at" TEXT NOT NULL
);

CREATE TABLE notification_channels (
             user_id INTEGER NOT NULL REFERENCES users(id),
             channel TEXT NOT NULL,
             address TEXT NOT NULL,
             events TEXT NOT NULL DEFAULT '[]',
             digest INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (user_id, channel)
           );

CREATE TABLE "notification_deliveries" (
             id INTEGER PRIMARY KEY,
             user_id INTEGER REFERENCES users(id),
             unit_id INTEGER REFERENCES units(id),
             channel TEXT NOT NULL,
             address TEXT NOT NULL,
             kind TEXT NOT NULL,
             text TEXT NOT NULL,
             link TEXT NOT NULL DEFAULT '',
             status TEXT NOT NULL,  -- queued | digest | sending | digest_sending | sent | failed
             attempts INTEGER NOT NULL DEFAULT 0,
             next_attempt_at TEXT NOT NULL,
             last_error TEXT,
             created_at TEXT NOT NULL,
             delivered_at TEXT,
             dedupe_key TEXT,
             claim TEXT,
             lease_until TEXT,
             CHECK (user_id IS NOT NULL OR unit_id IS NOT NULL)
           );

CREATE TABLE "notifications" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER REFERENCES "users"("id"),
   "school_id" INTEGER REFERENCES "schools"("id"),
   "kind" TEXT NOT NULL,
   "text" TEXT NOT NULL,
   "link" TEXT,
   "dedupe_key" TEXT,
   "created_at" TEXT NOT NULL,
   "read_at" TEXT
);

CREATE TABLE "photo_uploads" (
   "sha256" TEXT REFERENCES "photos"("sha256"),
   "user_id" INTEGER REFERENCES "users"("id"),
   "at" TEXT NOT NULL,
   PRIMARY KEY ("sha256", "user_id")
);

CREATE TABLE "photos" (
   "sha256" TEXT PRIMARY KEY,
   "path" TEXT NOT NULL,
   "mime" TEXT NOT NULL,
   "width" INTEGER,
   "height" INTEGER,
   "size" INTEGER,
   "uploaded_by" INTEGER,
   "uploaded_at" TEXT NOT NULL
);

CREATE TABLE rectification_escalations (
             id INTEGER PRIMARY KEY,
             rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
             key TEXT NOT NULL,
             reason TEXT NOT NULL,  -- overdue 逾期未整改 | repeat 逾期后再次发现
             deadline TEXT NOT NULL,
             days_overdue INTEGER NOT NULL,
             school_id INTEGER NOT NULL REFERENCES schools(id),
             unit_id INTEGER REFERENCES units(id),  -- NULL: the school's own item
             day TEXT NOT NULL,  -- the Beijing date it was escalated on (what periods count)
             at TEXT NOT NULL,
             UNIQUE (rectification_id, key)
           );

CREATE TABLE "rectification_events" (
   "id" INTEGER PRIMARY KEY,
   "rectification_id" INTEGER NOT NULL REFERENCES "rectifications"("id"),
   "at" TEXT NOT NULL,
   "user_id" INTEGER REFERENCES "users"("id"),
   "actor" TEXT,
   "kind" TEXT NOT NULL,
   "text" TEXT,
   "data" TEXT,
   "evidence" TEXT
);

CREATE TABLE rectification_findings (
             inspection_id TEXT NOT NULL REFERENCES inspections(id),
             item_id TEXT NOT NULL,
             rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
             seq INTEGER NOT NULL,
             problem TEXT NOT NULL,
             found_on TEXT NOT NULL,
             PRIMARY KEY (inspection_id, item_id)
           );

CREATE TABLE "rectification_reports" (
             id INTEGER PRIMARY KEY,
             inspection_id TEXT NOT NULL REFERENCES inspections(id),
             school_id INTEGER NOT NULL REFERENCES schools(id),
             version INTEGER NOT NULL DEFAULT 1,
             reason TEXT NOT NULL DEFAULT '',  -- why this version replaces the previous one
             summary TEXT NOT NULL,
             items TEXT NOT NULL,
             evidence TEXT NOT NULL DEFAULT '[]',
             submitted_by INTEGER REFERENCES users(id),
             submitted_by_name TEXT NOT NULL,
             submitted_at TEXT NOT NULL,
             UNIQUE (inspection_id, version)
           );

CREATE TABLE rectification_tally (
             inspection_id TEXT NOT NULL,
             school_id INTEGER NOT NULL,
             unit_id INTEGER NOT NULL,  -- 0: the school's own items
             closed INTEGER NOT NULL,
             deadline NOT NULL,
             n INTEGER NOT NULL,
             PRIMARY KEY (inspection_id, school_id, unit_id, closed, deadline)
           ) WITHOUT ROWID;

CREATE TABLE "rectifications" (
   "id" INTEGER PRIMARY KEY,
   "inspection_id" TEXT NOT NULL REFERENCES "inspections"("id"),
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "item_id" TEXT NOT NULL,
   "section_id" TEXT,
   "seq" INTEGER,
   "problem" TEXT NOT NULL,
   "basis" TEXT,
   "action" TEXT,
   "owner" TEXT,
   "deadline" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'pending',
   "extension_until" TEXT,
   "reviewer_id" INTEGER REFERENCES "users"("id"),
   "version" INTEGER DEFAULT 1,
   "created_at" TEXT NOT NULL,
   "updated_at" TEXT,
   "closed_at" TEXT,
   "closed_by" INTEGER REFERENCES "users"("id")
, unit_id INTEGER REFERENCES units(id), number TEXT, repeats INTEGER NOT NULL DEFAULT 0, evidence_required INTEGER NOT NULL DEFAULT 1);

CREATE TABLE "regions" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "parent_id" INTEGER REFERENCES "regions"("id")
);

CREATE TABLE "reports" (
   "id" TEXT PRIMARY KEY,
   "kind" TEXT NOT NULL,
   "subject_id" TEXT NOT NULL,
   "school_id" INTEGER REFERENCES "schools"("id"),
   "version" INTEGER NOT NULL,
   "sha256" TEXT NOT NULL,
   "path" TEXT NOT NULL,
   "size" INTEGER,
   "created_at" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'valid',
   "superseded_by" TEXT REFERENCES "reports"("id"),
   "revoked_reason" TEXT
, "doc_number" TEXT);

CREATE TABLE "schools" (
   "id" INTEGER PRIMARY KEY,
   "code" TEXT NOT NULL,
   "name" TEXT NOT NULL,
   "township_id" INTEGER NOT NULL REFERENCES "regions"("id"),
   "stage" TEXT NOT NULL,
   "boarding" INTEGER DEFAULT 0,
   "township_central" INTEGER DEFAULT 0,
   "poverty_village" INTEGER DEFAULT 0,
   "enrolment" INTEGER DEFAULT 0,
   "principal" TEXT,
   "phone" TEXT,
   "address" TEXT,
   "latitude" REAL,
   "longitude" REAL,
   "created_at" TEXT,
   "updated_at" TEXT
);

CREATE TABLE "sessions" (
   "id" INTEGER PRIMARY KEY,
   "token_sha256" TEXT NOT NULL,
   "user_id" INTEGER NOT NULL REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL,
   "last_seen_at" TEXT NOT NULL,
   "remember" INTEGER DEFAULT 0,
   "user_agent" TEXT DEFAULT '',
   "ip" TEXT DEFAULT ''
);

CREATE TABLE "signatures" (
   "inspection_id" TEXT REFERENCES "inspections"("id"),
   "role" TEXT,
   "name" TEXT,
   "title" TEXT,
   "signed_at" TEXT,
   "png" BLOB,
   PRIMARY KEY ("inspection_id", "role")
);

CREATE TABLE "survey_library" (
   "survey_id" TEXT PRIMARY KEY,
   "current_hash" TEXT NOT NULL REFERENCES "survey_versions"("hash"),
   "retired_at" TEXT,
   "file_hash" TEXT,
   "updated_at" TEXT NOT NULL
);

CREATE TABLE "survey_publications" (
   "id" INTEGER PRIMARY KEY,
   "survey_id" TEXT NOT NULL,
   "hash" TEXT NOT NULL REFERENCES "survey_versions"("hash"),
   "published_at" TEXT NOT NULL,
   "published_by" INTEGER REFERENCES "users"("id"),
   "origin" TEXT NOT NULL
);

CREATE TABLE "survey_responses" (
   "id" TEXT PRIMARY KEY,
   "round_id" INTEGER NOT NULL REFERENCES "survey_rounds"("id"),
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "respondent_group" TEXT NOT NULL,
   "device_hash" TEXT NOT NULL,
   "answers" TEXT NOT NULL,
   "received_on" TEXT NOT NULL
);

CREATE TABLE "survey_round_schools" (
   "id" INTEGER PRIMARY KEY,
   "round_id" INTEGER NOT NULL REFERENCES "survey_rounds"("id"),
   "school_id" INTEGER NOT NULL REFERENCES "schools"("id"),
   "code" TEXT NOT NULL
);

CREATE TABLE "survey_rounds" (
   "id" INTEGER PRIMARY KEY,
   "survey_id" TEXT NOT NULL,
   "survey_hash" TEXT NOT NULL REFERENCES "survey_versions"("hash"),
   "title" TEXT NOT NULL,
   "period_key" TEXT,
   "period_label" TEXT,
   "inspection_id" TEXT REFERENCES "inspections"("id"),
   "status" TEXT NOT NULL DEFAULT 'open',
   "closes_on" TEXT,
   "created_by" INTEGER NOT NULL REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL,
   "closed_at" TEXT
, report_id TEXT REFERENCES reports(id));

CREATE TABLE "survey_sources" (
   "hash" TEXT PRIMARY KEY REFERENCES "survey_versions"("hash"),
   "yaml" TEXT NOT NULL,
   "stored_at" TEXT NOT NULL
);

CREATE TABLE "survey_throttle" (
   "id" INTEGER PRIMARY KEY,
   "address_hash" TEXT NOT NULL,
   "at" TEXT NOT NULL
);

CREATE TABLE "survey_versions" (
   "hash" TEXT PRIMARY KEY,
   "survey_id" TEXT NOT NULL,
   "version" TEXT,
   "title" TEXT NOT NULL,
   "compiled" TEXT NOT NULL,
   "stored_at" TEXT NOT NULL
);

CREATE TABLE "units" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "head" TEXT,
   "active" INTEGER DEFAULT 1,
   "created_at" TEXT NOT NULL
, head_email TEXT NOT NULL DEFAULT '', head_phone TEXT NOT NULL DEFAULT '');

CREATE TABLE "users" (
   "id" INTEGER PRIMARY KEY,
   "username" TEXT NOT NULL,
   "display_name" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "school_id" INTEGER REFERENCES "schools"("id"),
   "password_hash" TEXT NOT NULL,
   "active" INTEGER DEFAULT 1,
   "created_at" TEXT,
   "last_login_at" TEXT
, "must_change_password" INTEGER NOT NULL DEFAULT 0, unit_id INTEGER REFERENCES units(id));

CREATE TABLE "worker_heartbeats" (
   "worker_id" TEXT PRIMARY KEY,
   "pid" INTEGER NOT NULL,
   "started_at" TEXT NOT NULL,
   "beat_at" TEXT NOT NULL,
   "job_id" INTEGER,
   "issued" INTEGER DEFAULT 0,
   "failed" INTEGER DEFAULT 0
);

CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");

CREATE INDEX "idx_assignments_inspector_id_period_start"
    ON "assignments" ("inspector_id", "period_start");

CREATE INDEX "idx_assignments_school_id"
    ON "assignments" ("school_id");

CREATE INDEX "idx_audit_log_at"
    ON "audit_log" ("at");

CREATE INDEX "idx_checklist_publications_checklist_id_published_at"
    ON "checklist_publications" ("checklist_id", "published_at");

CREATE INDEX "idx_checklist_uploads_checklist_id_uploaded_at"
    ON "checklist_uploads" ("checklist_id", "uploaded_at");

CREATE INDEX "idx_checklist_versions_checklist_id"
    ON "checklist_versions" ("checklist_id");

CREATE UNIQUE INDEX "idx_document_jobs_inspection_id"
    ON "document_jobs" ("inspection_id");

CREATE INDEX "idx_document_jobs_status_run_after"
    ON "document_jobs" ("status", "run_after");

CREATE UNIQUE INDEX "idx_document_numbers_report_id"
    ON "document_numbers" ("report_id");

CREATE INDEX "idx_draw_conflicts_inspector_id"
    ON "draw_conflicts" ("inspector_id");

CREATE INDEX export_fragments_kept ON export_fragments (sheet, inspection_id, fingerprint) WHERE data IS NOT NULL;

CREATE INDEX "idx_export_jobs_status_run_after"
    ON "export_jobs" ("status", "run_after");

CREATE INDEX figure_sets_viewed ON figure_sets (viewed_at);

CREATE INDEX "idx_followup_results_rectification_id"
    ON "followup_results" ("rectification_id");

CREATE INDEX followup_visits_unrecorded ON followup_visits (received_at) WHERE record_report_id IS NULL;

CREATE INDEX "idx_followup_visits_school_id_date"
    ON "followup_visits" ("school_id", "date");

CREATE INDEX "idx_inspection_answers_item_id_outcome"
    ON "inspection_answers" ("item_id", "outcome");

CREATE INDEX inspection_answers_export ON inspection_answers
           (inspection_id, item_id, outcome, earned, possible, value, note);

CREATE INDEX inspection_answers_failed ON inspection_answers (inspection_id, item_id) WHERE outcome = 'fail';

CREATE INDEX inspection_sections_sums ON inspection_sections (inspection_id, section_id, earned, possible);

CREATE INDEX "idx_inspections_date"
    ON "inspections" ("date");

CREATE INDEX "idx_inspections_inspector_id"
    ON "inspections" ("inspector_id");

CREATE INDEX "idx_inspections_school_id_date"
    ON "inspections" ("school_id", "date");

CREATE INDEX inspections_period ON inspections
           (status, date, school_id, received_at, checklist_id, type, id, checklist_hash, total,
            grade, vetoed, findings, inspector_id);

CREATE INDEX inspections_previous ON inspections (school_id, checklist_id, status, date, received_at, id, total, grade);

CREATE INDEX inspections_school_latest ON inspections
           (school_id, status, date, received_at, checklist_id, type, id, checklist_hash, total,
            grade, vetoed, findings, inspector_id);

CREATE INDEX "idx_login_failures_key_at"
    ON "login_failures" ("key", "at");

CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);

CREATE UNIQUE INDEX notification_deliveries_once ON notification_deliveries (dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE UNIQUE INDEX "idx_notifications_dedupe_key"
    ON "notifications" ("dedupe_key");

CREATE INDEX "idx_notifications_school_id_read_at"
    ON "notifications" ("school_id", "read_at");

CREATE INDEX "idx_notifications_user_id_read_at"
    ON "notifications" ("user_id", "read_at");

CREATE INDEX rectification_escalations_counted ON rectification_escalations (day, unit_id, reason, school_id, rectification_id);

CREATE INDEX rectification_escalations_day ON rectification_escalations (day);

CREATE INDEX "idx_rectification_events_rectification_id_at"
    ON "rectification_events" ("rectification_id", "at");

CREATE INDEX rectification_findings_by_item ON rectification_findings (rectification_id);

CREATE INDEX rectification_reports_by_school ON rectification_reports (school_id);

CREATE UNIQUE INDEX "idx_rectifications_inspection_id_item_id"
    ON "rectifications" ("inspection_id", "item_id");

CREATE INDEX "idx_rectifications_school_id_status"
    ON "rectifications" ("school_id", "status");

CREATE INDEX "idx_rectifications_status_deadline"
    ON "rectifications" ("status", "deadline");

CREATE INDEX "idx_rectifications_unit_id_status"
    ON "rectifications" ("unit_id", "status");

CREATE INDEX rectifications_by_inspection ON rectifications (inspection_id, status, deadline, extension_until, school_id, seq);

CREATE INDEX rectifications_by_reviewer ON rectifications (reviewer_id, status);

CREATE INDEX rectifications_extension ON rectifications (status) WHERE extension_until IS NOT NULL;

CREATE UNIQUE INDEX rectifications_number ON rectifications (school_id, number);

CREATE UNIQUE INDEX "idx_regions_parent_id_name"
    ON "regions" ("parent_id", "name");

CREATE UNIQUE INDEX idx_reports_doc_number ON reports (doc_number) WHERE doc_number IS NOT NULL;

CREATE INDEX "idx_reports_sha256"
    ON "reports" ("sha256");

CREATE UNIQUE INDEX "idx_reports_subject_id_kind_version"
    ON "reports" ("subject_id", "kind", "version");

CREATE UNIQUE INDEX "idx_schools_code"
    ON "schools" ("code");

CREATE INDEX "idx_schools_township_id"
    ON "schools" ("township_id");

CREATE UNIQUE INDEX "idx_sessions_token_sha256"
    ON "sessions" ("token_sha256");

CREATE INDEX "idx_sessions_user_id"
    ON "sessions" ("user_id");

CREATE INDEX "idx_survey_publications_survey_id_published_at"
    ON "survey_publications" ("survey_id", "published_at");

CREATE UNIQUE INDEX "idx_survey_responses_round_id_device_hash"
    ON "survey_responses" ("round_id", "device_hash");

CREATE INDEX "idx_survey_responses_round_id_school_id_respondent_group"
    ON "survey_responses" ("round_id", "school_id", "respondent_group");

CREATE UNIQUE INDEX "idx_survey_round_schools_code"
    ON "survey_round_schools" ("code");

CREATE UNIQUE INDEX "idx_survey_round_schools_round_id_school_id"
    ON "survey_round_schools" ("round_id", "school_id");

CREATE INDEX "idx_survey_round_schools_school_id"
    ON "survey_round_schools" ("school_id");

CREATE INDEX "idx_survey_rounds_inspection_id"
    ON "survey_rounds" ("inspection_id");

CREATE INDEX "idx_survey_throttle_address_hash_at"
    ON "survey_throttle" ("address_hash", "at");

CREATE INDEX "idx_survey_throttle_at"
    ON "survey_throttle" ("at");

CREATE UNIQUE INDEX "idx_units_name"
    ON "units" ("name");

CREATE UNIQUE INDEX "idx_users_username"
    ON "users" ("username");

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER checklist_versions_bump_version_delete AFTER DELETE ON checklist_versions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER checklist_versions_bump_version_insert AFTER INSERT ON checklist_versions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER checklist_versions_bump_version_update AFTER UPDATE ON checklist_versions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER export_fragments_answers_delete AFTER DELETE
                ON inspection_answers BEGIN
                DELETE FROM export_fragments WHERE inspection_id = OLD.inspection_id; END;

CREATE TRIGGER export_fragments_answers_insert AFTER INSERT
                ON inspection_answers BEGIN
                DELETE FROM export_fragments WHERE inspection_id = NEW.inspection_id; END;

CREATE TRIGGER export_fragments_answers_update AFTER UPDATE
                ON inspection_answers BEGIN
                DELETE FROM export_fragments WHERE inspection_id = OLD.inspection_id; END;

CREATE TRIGGER inspection_answers_bump_version_delete AFTER DELETE ON inspection_answers BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER inspection_answers_bump_version_insert AFTER INSERT ON inspection_answers BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER inspection_answers_bump_version_update AFTER UPDATE ON inspection_answers BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER inspection_answers_outcomes_delete AFTER DELETE ON inspection_answers BEGIN 
    INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
    SELECT OLD.inspection_id,
           COALESCE(group_concat(CASE WHEN outcome = 'fail' AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), ''),
           COALESCE(group_concat(CASE WHEN outcome IN ('pass', 'fail') AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), '')
    FROM inspection_answers WHERE inspection_id = OLD.inspection_id
    ON CONFLICT (inspection_id) DO UPDATE SET failed = excluded.failed, assessed = excluded.assessed;
    DELETE FROM inspection_outcomes WHERE inspection_id = OLD.inspection_id
      AND NOT EXISTS (SELECT 1 FROM inspection_answers WHERE inspection_id = OLD.inspection_id); END;

CREATE TRIGGER inspection_answers_outcomes_insert AFTER INSERT ON inspection_answers
           BEGIN
             INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
             VALUES (NEW.inspection_id,
                     CASE WHEN NEW.outcome = 'fail' AND NEW.item_id IS NOT NULL
                          THEN char(31) || NEW.item_id ELSE '' END,
                     CASE WHEN NEW.outcome IN ('pass', 'fail') AND NEW.item_id IS NOT NULL
                          THEN char(31) || NEW.item_id ELSE '' END)
             ON CONFLICT (inspection_id) DO UPDATE SET
               failed = failed || excluded.failed, assessed = assessed || excluded.assessed;
           END;

CREATE TRIGGER inspection_answers_outcomes_update AFTER UPDATE OF inspection_id, item_id, outcome ON inspection_answers BEGIN 
    INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
    SELECT OLD.inspection_id,
           COALESCE(group_concat(CASE WHEN outcome = 'fail' AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), ''),
           COALESCE(group_concat(CASE WHEN outcome IN ('pass', 'fail') AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), '')
    FROM inspection_answers WHERE inspection_id = OLD.inspection_id
    ON CONFLICT (inspection_id) DO UPDATE SET failed = excluded.failed, assessed = excluded.assessed;
    DELETE FROM inspection_outcomes WHERE inspection_id = OLD.inspection_id
      AND NOT EXISTS (SELECT 1 FROM inspection_answers WHERE inspection_id = OLD.inspection_id); 
    INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
    SELECT NEW.inspection_id,
           COALESCE(group_concat(CASE WHEN outcome = 'fail' AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), ''),
           COALESCE(group_concat(CASE WHEN outcome IN ('pass', 'fail') AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), '')
    FROM inspection_answers WHERE inspection_id = NEW.inspection_id
    ON CONFLICT (inspection_id) DO UPDATE SET failed = excluded.failed, assessed = excluded.assessed;
    DELETE FROM inspection_outcomes WHERE inspection_id = NEW.inspection_id
      AND NOT EXISTS (SELECT 1 FROM inspection_answers WHERE inspection_id = NEW.inspection_id); END;

CREATE TRIGGER inspection_answers_sum_sections AFTER INSERT ON inspection_answers
           BEGIN
             INSERT INTO inspection_sections (inspection_id, section_id, earned, possible, failed)
             VALUES (NEW.inspection_id, NEW.section_id, COALESCE(NEW.earned, 0),
                     COALESCE(NEW.possible, 0), NEW.outcome = 'fail')
             ON CONFLICT (inspection_id, section_id) DO UPDATE SET
               earned = earned + excluded.earned,
               possible = possible + excluded.possible,
               failed = failed + excluded.failed;
           END;

CREATE TRIGGER inspection_answers_unsum_sections AFTER DELETE ON inspection_answers
           BEGIN
             UPDATE inspection_sections SET
               earned = earned - COALESCE(OLD.earned, 0),
               possible = possible - COALESCE(OLD.possible, 0),
               failed = failed - (OLD.outcome = 'fail')
             WHERE inspection_id = OLD.inspection_id AND section_id = OLD.section_id;
           END;

CREATE TRIGGER export_fragments_inspections_delete AFTER DELETE ON inspections BEGIN
             DELETE FROM export_fragments WHERE inspection_id = OLD.id; END;

CREATE TRIGGER export_fragments_inspections_invalid AFTER UPDATE OF status
             ON inspections WHEN NEW.status != 'valid' BEGIN
             DELETE FROM export_fragments WHERE inspection_id = OLD.id; END;

CREATE TRIGGER inspections_bump_version_delete AFTER DELETE ON inspections BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER inspections_bump_version_insert AFTER INSERT ON inspections BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER inspections_bump_version_update AFTER UPDATE ON inspections BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER rectification_events_no_delete BEFORE DELETE ON rectification_events BEGIN SELECT RAISE(ABORT, 'rectification_events is append-only'); END;

CREATE TRIGGER rectification_events_no_update BEFORE UPDATE ON rectification_events BEGIN SELECT RAISE(ABORT, 'rectification_events is append-only'); END;

CREATE TRIGGER export_fragments_findings_delete AFTER DELETE
                ON rectification_findings BEGIN
                DELETE FROM export_fragments
                WHERE inspection_id = OLD.inspection_id AND sheet IN ('findings', 'rectifications'); END;

CREATE TRIGGER export_fragments_findings_insert AFTER INSERT
                ON rectification_findings BEGIN
                DELETE FROM export_fragments
                WHERE inspection_id = NEW.inspection_id AND sheet IN ('findings', 'rectifications'); END;

CREATE TRIGGER export_fragments_findings_update AFTER UPDATE
                ON rectification_findings BEGIN
                DELETE FROM export_fragments
                WHERE inspection_id = OLD.inspection_id AND sheet IN ('findings', 'rectifications'); END;

CREATE TRIGGER export_fragments_rectifications_delete AFTER DELETE
                ON rectifications BEGIN
                DELETE FROM export_fragments WHERE sheet IN ('findings', 'rectifications') AND inspection_id IN
                  (SELECT inspection_id FROM rectification_findings
                   WHERE rectification_id = OLD.id); END;

CREATE TRIGGER export_fragments_rectifications_update AFTER UPDATE
                ON rectifications BEGIN
                DELETE FROM export_fragments WHERE sheet IN ('findings', 'rectifications') AND inspection_id IN
                  (SELECT inspection_id FROM rectification_findings
                   WHERE rectification_id = OLD.id); END;

CREATE TRIGGER rectifications_bump_version_delete AFTER DELETE ON rectifications BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER rectifications_bump_version_insert AFTER INSERT ON rectifications BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER rectifications_bump_version_update AFTER UPDATE ON rectifications BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER rectifications_tally_delete AFTER DELETE ON rectifications BEGIN 
    UPDATE rectification_tally SET n = n - 1 WHERE inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND unit_id = COALESCE(OLD.unit_id, 0) AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END;
    DELETE FROM rectification_tally WHERE inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND unit_id = COALESCE(OLD.unit_id, 0) AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END AND n <= 0; END;

CREATE TRIGGER rectifications_tally_insert AFTER INSERT ON rectifications BEGIN 
    INSERT INTO rectification_tally (inspection_id, school_id, unit_id, closed, deadline, n)
    VALUES (NEW.inspection_id, NEW.school_id, COALESCE(NEW.unit_id, 0),
    NEW.status = 'closed', CASE WHEN NEW.status = 'closed' THEN '' ELSE NEW.deadline END, 1)
    ON CONFLICT (inspection_id, school_id, unit_id, closed, deadline) DO UPDATE SET n = n + 1; END;

CREATE TRIGGER rectifications_tally_update AFTER UPDATE OF inspection_id, school_id, unit_id, status, deadline ON rectifications BEGIN 
    UPDATE rectification_tally SET n = n - 1 WHERE inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND unit_id = COALESCE(OLD.unit_id, 0) AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END;
    DELETE FROM rectification_tally WHERE inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND unit_id = COALESCE(OLD.unit_id, 0) AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END AND n <= 0; 
    INSERT INTO rectification_tally (inspection_id, school_id, unit_id, closed, deadline, n)
    VALUES (NEW.inspection_id, NEW.school_id, COALESCE(NEW.unit_id, 0),
    NEW.status = 'closed', CASE WHEN NEW.status = 'closed' THEN '' ELSE NEW.deadline END, 1)
    ON CONFLICT (inspection_id, school_id, unit_id, closed, deadline) DO UPDATE SET n = n + 1; END;

CREATE TRIGGER regions_bump_version_delete AFTER DELETE ON regions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER regions_bump_version_insert AFTER INSERT ON regions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER regions_bump_version_update AFTER UPDATE ON regions BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER schools_bump_version_delete AFTER DELETE ON schools BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER schools_bump_version_insert AFTER INSERT ON schools BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER schools_bump_version_update AFTER UPDATE ON schools BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER export_fragments_units_update AFTER UPDATE OF name ON units BEGIN
            DELETE FROM export_fragments WHERE sheet IN ('findings', 'rectifications') AND inspection_id IN
              (SELECT f.inspection_id FROM rectification_findings f
               JOIN rectifications r ON r.id = f.rectification_id WHERE r.unit_id = OLD.id); END;

CREATE TRIGGER users_bump_version_delete AFTER DELETE ON users BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER users_bump_version_insert AFTER INSERT ON users BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER users_bump_version_update AFTER UPDATE OF display_name ON users BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END;
