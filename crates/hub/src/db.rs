//! The hub's database: a PostgreSQL connection pool and the numbered migrations. Migrations run
//! in one transaction under an advisory lock, so several hub processes starting together over
//! one database apply each exactly once. Not its job: what the tables mean (the modules that
//! query them).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// Numbered migrations, applied in order; `schema_migrations` records which ran.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_accounts.sql")),
    (2, include_str!("../migrations/0002_campaigns.sql")),
    (3, include_str!("../migrations/0003_stations_consent.sql")),
    (4, include_str!("../migrations/0004_uploads_recordings.sql")),
    (5, include_str!("../migrations/0005_campaign_exclusions.sql")),
    (6, include_str!("../migrations/0006_review.sql")),
    (7, include_str!("../migrations/0007_gold_adjudication.sql")),
    (8, include_str!("../migrations/0008_rubric.sql")),
    (9, include_str!("../migrations/0009_comparisons.sql")),
    (10, include_str!("../migrations/0010_review_signatures.sql")),
    (11, include_str!("../migrations/0011_privacy_policy.sql")),
];

/// An arbitrary constant naming the hub's migration lock.
const MIGRATION_LOCK: i64 = 0x61707072_656e7469;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL is not one PostgreSQL understands ({0}); e.g. postgres://user@host/db or postgres:///db?host=/run/postgresql")]
    BadUrl(String),
    #[error("cannot reach the database: {0}")]
    Unreachable(String),
    #[error("database: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("the database is at schema version {found}; this hub knows {known}: upgrade the hub")]
    TooNew { found: i32, known: i32 },
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Unreachable(e.to_string())
    }
}

/// A pool over `url` (connections are made on first use).
pub fn pool(url: &str) -> Result<Pool, DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| DbError::BadUrl(e.to_string()))?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager).max_size(16).build().map_err(|e| DbError::BadUrl(e.to_string()))
}

/// Applies the migrations not yet applied; returns the schema version.
pub async fn migrate(pool: &Pool) -> Result<i32, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").await?;
    let found: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.get(0);
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if found > known {
        return Err(DbError::TooNew { found, known });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version]).await?;
        tracing::info!(version, "applied migration");
    }
    tx.commit().await?;
    Ok(known)
}
