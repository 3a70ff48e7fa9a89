//! The review UI in the browser, served at `/review`: the same `ui/` screens as the desktop app
//! (`ui/review.html`, `ui/src/hub-review.ts`), and the QA dashboard at `/qa` (`ui/qa.html`,
//! `ui/src/qa/dashboard.ts`), built by Vite and compiled into the hub (build.rs),
//! talking to the hub's HTTP API through the UI's `Api` interface (`ui/src/http-api.ts`). The
//! page holds no data and no privilege: a reviewer signs in with their token, kept in an HttpOnly
//! session cookie. Not its job: the API the page calls.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));

/// Only the hub's own scripts, styles, frames and audio; nothing inline, no framing.
const CSP: &str = "default-src 'self'; img-src 'self' blob:; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn file(path: &str) -> Response {
    let Some((_, bytes)) = UI_FILES.iter().find(|(p, _)| *p == path) else {
        let message = if UI_FILES.is_empty() { "the review UI was not built into this hub: run `npm run build --prefix ui`, then build the hub" } else { "no such file" };
        return (StatusCode::NOT_FOUND, message).into_response();
    };
    // Built assets are named by their content: cached for good. The page itself is not.
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    ([(CONTENT_TYPE, content_type(path)), (CONTENT_SECURITY_POLICY, CSP), (X_CONTENT_TYPE_OPTIONS, "nosniff"), (CACHE_CONTROL, cache)], *bytes).into_response()
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/review", get(|| async { file("review.html") }))
        .route("/qa", get(|| async { file("qa.html") }))
        .route("/assets/{name}", get(|Path(name): Path<String>| async move { file(&format!("assets/{name}")) }))
}
