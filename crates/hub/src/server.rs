//! `apprentice-hub serve` and `init`: connect, migrate, check the store, then serve the API until SIGINT or
//! SIGTERM, finishing the requests in flight (graceful shutdown). Not its job: the routes
//! (api.rs).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::checkout::Checkouts;
use crate::storage::Store;
use crate::uploads::Uploads;

use crate::api::{self, AppState};
use crate::auth::{Role, VerifiedCache};
use crate::{accounts, db};

/// How `serve` runs, beside the database and the store.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Local scratch space for files being received and checked.
    pub scratch: std::path::PathBuf,
    pub max_file_bytes: u64,
    /// The key that signs review entries.
    pub key: std::path::PathBuf,
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
pub async fn serve(db_url: &str, store: Store, options: ServeOptions) -> Result<()> {
    let pool = db::pool(db_url)?;
    let version = db::migrate(&pool).await?;
    store.check().await?;
    let signer = apprentice_core::provenance::keys::StationKey::load_or_create(&options.key).with_context(|| format!("the hub's signing key {}", options.key.display()))?;
    tracing::info!(key = %signer.fingerprint(), "review entries are signed");
    std::fs::create_dir_all(&options.scratch).with_context(|| format!("cannot create the scratch directory {}", options.scratch.display()))?;
    let listen = options.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, schema = version, ?store, "hub serving");
    eprintln!("listening on {addr}");
    // Recordings fetched for review live in a cache under scratch: a copy of the store.
    let checkouts = Checkouts::new(store.clone(), options.scratch.join("checkouts"));
    let uploads = Uploads { store, scratch: options.scratch, max_file_bytes: options.max_file_bytes };
    let state = AppState { db: pool, verified: Arc::new(VerifiedCache::default()), uploads, checkouts, signer: Arc::new(signer) };
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
