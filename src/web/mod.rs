//! `debrief web`: the approval page, served on the user's own machine (issue 13).
//!
//! Server-rendered HTML over the same store and the same functions as the command line
//! (`cli::drafts::approve_in`, `reject_in`, `save_edit`, `resolve_in`, `ingest::confirm`,
//! `cli::inbox::dismiss_in`): the page decides nothing the CLI does not. Every action is
//! a real form (POST, with a CSRF token) that works without JavaScript; `static/app.js`
//! only adds keyboard shortcuts and the hold's countdown. No asset comes from elsewhere.
//!
//! This module knows HTTP and who may use the page ([`security`]); `pages` turns the
//! store into views; the templates under `web/templates/` are auto-escaped (minijinja,
//! `.html`). It reads the clock only through [`crate::clock`].

mod pages;
pub mod security;

use crate::cli::common::Session;
use crate::cli::usage;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// `debrief web`'s options.
#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// Address and port to listen on [default: web.listen, else 127.0.0.1:8750]; port 0
    /// picks a free one. Only loopback addresses unless --allow-remote.
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub listen: Option<SocketAddr>,
    /// Allow a non-loopback --listen address. The page has no TLS: prefer an SSH tunnel
    /// (`ssh -L 8750:127.0.0.1:8750 host`).
    #[arg(long)]
    pub allow_remote: bool,
}

/// What every request handler shares.
pub struct Web {
    session: Mutex<Session>,
    pages: minijinja::Environment<'static>,
    token: String,
    csrf: String,
    cookie_name: String,
    /// The non-loopback address the user allowed, accepted as a Host too.
    remote_ip: Option<IpAddr>,
    /// What an approval changed on the way (`Approved::notes`: late, rewritten, a
    /// thank-you cancelled), by draft, kept from the POST for the page it redirects to.
    approval_notes: Mutex<std::collections::HashMap<i64, Vec<String>>>,
}

/// The most a form may carry: a draft is plain text, far below this.
const FORM_LIMIT: usize = 1024 * 1024;

/// Runs `debrief web` until SIGINT or SIGTERM.
pub fn run(config: Option<&Path>, args: &WebArgs) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let listen = args.listen.unwrap_or(session.config.web.listen);
    let allow_remote = args.allow_remote || session.config.web.allow_remote;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = bind(&listen, allow_remote).await?;
        let (web, url) = prepare(session, &listener, allow_remote)?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "debrief web: open {url} (Ctrl-C stops it)");
        let _ = out.flush();
        tracing::info!("The approval page listens on {}.", listener.local_addr()?);
        serve(listener, web, shutdown()).await
    })
}

/// Listens on `listen`, refusing a non-loopback address unless `allow_remote`.
pub async fn bind(listen: &SocketAddr, allow_remote: bool) -> anyhow::Result<tokio::net::TcpListener> {
    if !listen.ip().is_loopback() && !allow_remote {
        return Err(usage(format!(
            "--listen {listen} is not a loopback address: the page has no TLS, so reach it over an SSH tunnel \
             (ssh -L 8750:127.0.0.1:8750 host), or add --allow-remote if you really mean it"
        )));
    }
    tokio::net::TcpListener::bind(listen).await.map_err(|err| anyhow::anyhow!("could not listen on {listen}: {err}"))
}

/// The page's state for `session` on `listener`, and the address to open (with its token).
pub fn prepare(
    session: Session,
    listener: &tokio::net::TcpListener,
    allow_remote: bool,
) -> anyhow::Result<(Arc<Web>, String)> {
    let address = listener.local_addr()?;
    let web = Arc::new(Web::new(session, address, allow_remote)?);
    let host = if address.ip().is_loopback() && address.is_ipv4() {
        format!("127.0.0.1:{}", address.port())
    } else {
        address.to_string()
    };
    let url = format!("http://{host}/?token={}", web.token);
    Ok((web, url))
}

/// Serves the page on `listener` until `stop` completes (`debrief web`, and the benchmark
/// in `examples/web_bench.rs`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router(web)).with_graceful_shutdown(stop).await?;
    Ok(())
}

async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

impl Web {
    /// The cookie a browser holds after opening the printed address.
    pub fn cookie(&self) -> String {
        format!("{}={}", self.cookie_name, self.token)
    }

    pub fn new(session: Session, address: SocketAddr, allow_remote: bool) -> anyhow::Result<Web> {
        Ok(Web {
            session: Mutex::new(session),
            pages: pages::environment()?,
            token: security::random_token()?,
            csrf: security::random_token()?,
            cookie_name: format!("debrief_{}", address.port()),
            remote_ip: (allow_remote && !address.ip().is_loopback()).then_some(address.ip()),
            approval_notes: Mutex::new(std::collections::HashMap::new()),
        })
    }

    fn keep_approval_notes(&self, id: i64, notes: Vec<String>) {
        let mut kept = self.approval_notes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if notes.is_empty() {
            kept.remove(&id);
        } else {
            kept.insert(id, notes);
        }
    }

    /// The notes of draft `id`'s approval, once: a reload shows the plain notice.
    fn take_approval_notes(&self, id: i64) -> Vec<String> {
        self.approval_notes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id).unwrap_or_default()
    }
}

fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/queue", get(pages::queue))
        .route("/drafts/{id}", get(pages::draft))
        .route("/drafts/{id}/edit", get(pages::edit_form).post(pages::edit))
        .route("/drafts/{id}/approve", post(pages::approve))
        .route("/drafts/{id}/reject", post(pages::reject))
        .route("/drafts/{id}/undo", post(pages::undo))
        .route("/drafts/{id}/send-now", post(pages::send_now))
        .route("/drafts/{id}/resolve", post(pages::resolve))
        .route("/pipeline", get(pages::pipeline))
        .route("/applications/{id}", get(pages::application))
        .route("/inbox", get(pages::inbox))
        .route("/inbox/{id}/confirm", post(pages::confirm))
        .route("/inbox/{id}/dismiss", post(pages::dismiss))
        .route("/outcomes", get(pages::outcomes))
        .route("/static/app.js", get(pages::script))
        .route("/static/style.css", get(pages::style))
        .layer(axum::middleware::from_fn_with_state(web.clone(), guard))
        .with_state(web)
}

/// A refusal, as a short plain page.
fn refuse(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n")).into_response()
}

/// Every request passes here first: the Host, the token, and for a POST the CSRF token
/// and the Origin (see [`security`]). Then headers that keep the page to itself.
async fn guard(State(web): State<Arc<Web>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
    if !security::host_allowed(host, web.remote_ip) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This page answers only to a loopback host name (localhost, 127.0.0.1, [::1]).",
        );
    }
    let query_token = request.uri().query().and_then(|query| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()?
            .into_iter()
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value)
    });
    if let Some(token) = query_token {
        if !security::same_secret(&token, &web.token) || request.method() != Method::GET {
            return refuse(StatusCode::UNAUTHORIZED, "This token is not the one `debrief web` printed.");
        }
        // The token moves into a cookie, and out of the address bar and history.
        let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", web.cookie_name, web.token);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SEE_OTHER;
        let path = request.uri().path();
        let location = if path == "/" { "/queue" } else { path };
        if let (Ok(location), Ok(cookie)) = (HeaderValue::from_str(location), HeaderValue::from_str(&cookie)) {
            response.headers_mut().insert(header::LOCATION, location);
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return protect(response);
    }
    let cookie_token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| security::cookie(value, &web.cookie_name));
    if !cookie_token.is_some_and(|token| security::same_secret(token, &web.token)) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Open the address `debrief web` printed (with its ?token=); this page needs it.",
        );
    }
    let request = if request.method() == Method::POST {
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok())
            && !origin_host_allowed(origin, web.remote_ip)
        {
            return refuse(StatusCode::FORBIDDEN, "A form from another site cannot act here.");
        }
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "This form is too large.");
        };
        let csrf = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(key, _)| key == "csrf").map(|(_, value)| value));
        if !csrf.is_some_and(|csrf| security::same_secret(&csrf, &web.csrf)) {
            return refuse(StatusCode::FORBIDDEN, "This form has no valid CSRF token: reload the page and try again.");
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    protect(next.run(request).await)
}

fn origin_host_allowed(origin: &str, remote_ip: Option<IpAddr>) -> bool {
    security::origin_host(origin).is_some_and(|host| security::host_allowed(host, remote_ip))
}

/// Headers on every answer: nothing from elsewhere runs or loads, the page is not framed,
/// not cached, and its address goes to no other site.
fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on
        // the page's own form posts, which the guard refuses (tests/web_browser.rs).
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
