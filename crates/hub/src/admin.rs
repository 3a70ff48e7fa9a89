//! The admin's pages, served by the hub at `/admin`: campaigns with each task's progress,
//! experts' hours, stations (last seen, version, queue depth) and recordings. Static files
//! compiled in; the page asks for an admin token and reads everything from the same HTTP API the
//! CLI uses, so the pages hold no data and no privilege of their own. Not its job: the API.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("admin/index.html");
const SCRIPT: &str = include_str!("admin/admin.js");
const STYLE: &str = include_str!("admin/admin.css");

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            // Only the hub's own script and style, nothing inline, no framing.
            (CONTENT_SECURITY_POLICY, "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/admin", get(|| async { page("text/html; charset=utf-8", INDEX) }))
        .route("/admin/admin.js", get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/admin/admin.css", get(|| async { page("text/css; charset=utf-8", STYLE) }))
}
