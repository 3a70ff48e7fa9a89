-- 0003: stations (a machine and user's Ed25519 key, registered by its owner with proof that
-- the station holds it) and consent decisions (append-only: each accept or withdraw as signed
-- by the expert's station, over the consent text's version and sha256; the latest counts).
CREATE TABLE stations (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    public_key  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    joined_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stations_by_user ON stations (user_id);

CREATE TABLE consents (
    id           BIGSERIAL PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('accept', 'withdraw')),
    signed_at    TEXT NOT NULL,
    station_key  TEXT NOT NULL,
    signature    TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX consents_by_campaign_user ON consents (campaign_id, user_id, id);
