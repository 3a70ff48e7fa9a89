//! `apprentice-hub serve` and `init`: connect, migrate, then serve the API until SIGINT or
//! SIGTERM, finishing the requests in flight (graceful shutdown). Not its job: the routes
//! (api.rs).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::api::{self, AppState};
use crate::auth::{Role, VerifiedCache};
use crate::{accounts, db};

/// Where recordings' media and sealed bundles go: a local directory for now (`file:///srv/hub`).
#[derive(Debug, Clone)]
pub enum Store {
    Dir(std::path::PathBuf),
}

impl Store {
    pub fn parse(url: &str) -> Result<Store> {
        if let Some(path) = url.strip_prefix("file://") {
            let dir = std::path::PathBuf::from(path);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the store directory {}", dir.display()))?;
            let probe = dir.join(".apprentice-hub-probe");
            std::fs::write(&probe, b"").with_context(|| format!("the store directory {} is not writable", dir.display()))?;
            let _ = std::fs::remove_file(probe);
            return Ok(Store::Dir(dir));
        }
        if url.starts_with("s3://") {
            bail!("s3:// stores are not supported by this hub yet: use a file:// directory");
        }
        bail!("{url:?} is not a store URL: give file:///path/to/dir")
    }
}

/// Migrates the database and adds the first admin; returns their token (shown once).
pub async fn init(db_url: &str, admin: &str) -> Result<apprentice_hub_api::Created> {
    let pool = db::pool(db_url)?;
    db::migrate(&pool).await?;
    let mut client = pool.get().await.map_err(db::DbError::from)?;
    if accounts::has_admin(&client).await.map_err(|e| anyhow::anyhow!(e.message))? {
        bail!("this hub has an admin already: ask them for a token (`apprentice-hub user add NAME --role admin`)");
    }
    accounts::create_user(&mut client, admin, Role::Admin).await.map_err(|e| anyhow::anyhow!(e.message))
}

/// Serves until a signal. Prints `listening on ADDR` on stderr once bound (ADDR with the real
/// port when `listen` asked for port 0).
pub async fn serve(db_url: &str, store: Store, listen: SocketAddr) -> Result<()> {
    let pool = db::pool(db_url)?;
    let version = db::migrate(&pool).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, schema = version, ?store, "hub serving");
    eprintln!("listening on {addr}");
    let state = AppState { db: pool, verified: Arc::new(VerifiedCache::default()) };
    axum::serve(listener, api::router(state)).with_graceful_shutdown(shutdown()).await.context("the server failed")?;
    tracing::info!("hub stopped");
    Ok(())
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
