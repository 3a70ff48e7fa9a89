-- 0011: what stations do with secrets found in a campaign's recordings' text: mask at export
-- (the default), flag only, or drop at capture (model::PrivacyPolicy), sent with its tasks.
ALTER TABLE campaigns ADD COLUMN privacy_policy TEXT NOT NULL DEFAULT 'mask';
