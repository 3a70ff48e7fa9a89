-- 0013: what a recording does with secrets and personal data found in its text
-- (model::PrivacyPolicy): mask at export (the default), flag only, or drop at capture.
ALTER TABLE recordings ADD COLUMN privacy_policy TEXT NOT NULL DEFAULT 'mask';
