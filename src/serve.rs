//! `communities serve`: builds the site with drafts into memory, serves it on loopback with
//! tiny_http, rebuilds what each edit touches, and reloads open pages. A failed rebuild shows
//! its problems in every open page until it is fixed; the server keeps running.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::cms_backend;
use crate::diagnostics::Diagnostic;
use crate::incremental::{Outcome, Session};
use crate::output::Files;
use crate::watch::Watcher;

/// Requests are answered from memory, so a few workers keep up with many connections.
const WORKERS: usize = 8;
/// How often an idle event stream is written to, to notice pages that were closed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The server's own paths, answered before the site's files (no site page is named so).
const RELOAD_JS: &str = "/__communities/reload.js";
const EVENTS: &str = "/__communities/events";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
}

/// What is being served: the last good build, and the problems of the last rebuild if it failed.
struct Current {
    files: Arc<Files>,
    problems: Option<Vec<Diagnostic>>,
}

/// Open pages wait here for the next build.
#[derive(Default)]
struct Live {
    state: Mutex<LiveState>,
    changed: Condvar,
}

#[derive(Default)]
struct LiveState {
    generation: u64,
    /// The latest build changed only stylesheets.
    css_only: bool,
    stopping: bool,
}

struct State {
    current: RwLock<Current>,
    live: Live,
}

enum Message {
    Changed(Vec<PathBuf>),
    Stop,
}

/// Serves until Ctrl-C. Returns an error only when serving cannot start.
pub fn serve(options: &ServeOptions) -> Result<(), Diagnostic> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(Diagnostic::error(root, 1, 1, "this folder does not exist")
            .with_hint("run serve in the site's folder, or give it with --root"));
    }
    let address = SocketAddr::new(options.bind, options.port);
    let server = Server::http(address).map_err(|e| {
        Diagnostic::error(root, 1, 1, format!("cannot serve on {address}: {e}"))
            .with_hint("choose another port with --port")
    })?;
    let address = server.server_addr().to_ip().unwrap_or(address);
    let url = format!("http://{address}/");

    let started = Instant::now();
    let (mut session, first) = Session::new(root, Some(url.clone()));
    let state = Arc::new(State {
        current: RwLock::new(Current {
            files: Arc::default(),
            problems: None,
        }),
        live: Live::default(),
    });
    publish(&state, first, started);

    let (sender, messages) = mpsc::channel();
    let changes = sender.clone();
    let mut watcher = Watcher::start(root, move |paths| {
        let _ = changes.send(Message::Changed(paths));
    })?;
    ctrlc::set_handler(move || {
        let _ = sender.send(Message::Stop);
    })
    .map_err(|e| Diagnostic::error(root, 1, 1, format!("cannot handle Ctrl-C: {e}")))?;

    let server = Arc::new(server);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = server.clone();
            let state = state.clone();
            let root = root.clone();
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    respond(request, &state, &root);
                }
            })
        })
        .collect();
    println!("Serving the site at {url} (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();

    // A message that arrived while the site-wide outputs were due, handled before waiting.
    let mut carried = None;
    loop {
        let message = match carried.take() {
            Some(message) => message,
            None => match messages.recv() {
                Ok(message) => message,
                Err(_) => break,
            },
        };
        let Message::Changed(mut paths) = message else {
            break;
        };
        // Changes that arrived while the last rebuild ran are one more rebuild, not several.
        let mut stop = false;
        while let Ok(message) = messages.try_recv() {
            match message {
                Message::Changed(more) => paths.extend(more),
                Message::Stop => stop = true,
            }
        }
        if stop {
            break;
        }
        watcher.refresh();
        let started = Instant::now();
        let outcome = session.update(&paths);
        publish(&state, outcome, started);
        // The search index and the like follow once the edited page is served, unless more
        // edits are already waiting: they come first, and the catching up after them.
        if let Ok(message) = messages.try_recv() {
            carried = Some(message);
            continue;
        }
        let started = Instant::now();
        match session.catch_up() {
            Some(Ok(outcome)) => {
                println!(
                    "Updated the search index, feed and sitemap in {} ms",
                    started.elapsed().as_millis()
                );
                state
                    .current
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .files = outcome.files;
            }
            Some(Err(problems)) => publish(&state, Err(problems), started),
            None => {}
        }
    }

    {
        let mut live = lock(&state.live.state);
        live.stopping = true;
        state.live.changed.notify_all();
    }
    for _ in &workers {
        server.unblock();
    }
    for worker in workers {
        let _ = worker.join();
    }
    println!("Stopped");
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Shows a build's result in the terminal and to open pages.
fn publish(state: &State, outcome: Result<Outcome, Vec<Diagnostic>>, started: Instant) {
    let elapsed = started.elapsed().as_millis();
    let css_only;
    {
        let mut current = state.current.write().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(outcome) => {
                for warning in &outcome.warnings {
                    eprintln!("{warning}");
                }
                if outcome.changed.is_empty() && current.problems.is_none() {
                    println!("Rebuilt in {elapsed} ms: nothing changed");
                    return;
                }
                match outcome.changed.len() {
                    1 => println!("Rebuilt in {elapsed} ms: 1 file changed"),
                    n => println!("Rebuilt in {elapsed} ms: {n} files changed"),
                }
                css_only = outcome.css_only && current.problems.is_none();
                current.files = outcome.files;
                current.problems = None;
            }
            Err(problems) => {
                for problem in &problems {
                    eprintln!("{problem}");
                }
                let errors = problems.iter().filter(|p| p.is_error()).count();
                eprintln!(
                    "The site could not be rebuilt ({errors} {}); open pages show why until it is fixed",
                    if errors == 1 { "error" } else { "errors" }
                );
                css_only = false;
                current.problems = Some(problems);
            }
        }
    }
    let mut live = lock(&state.live.state);
    live.generation += 1;
    live.css_only = css_only;
    state.live.changed.notify_all();
}

fn respond(request: Request, state: &Arc<State>, root: &Path) {
    if cms_backend::handles(request.url().split('?').next().unwrap_or_default()) {
        answer_cms(request, root);
        return;
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(text(405, "Only GET and HEAD are served.\n"));
        return;
    }
    let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
    if path == RELOAD_JS {
        let _ = request.respond(
            Response::from_string(include_str!("reload.js"))
                .with_header(header("Content-Type", "text/javascript; charset=utf-8"))
                .with_header(no_store()),
        );
        return;
    }
    if path == EVENTS {
        let since = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("since="))
            .and_then(|n| n.parse().ok());
        stream_events(request, state.clone(), since);
        return;
    }
    let Some(key) = file_key(path) else {
        let _ = request.respond(text(400, "This address is not a path inside the site.\n"));
        return;
    };
    let current = state.current.read().unwrap_or_else(|p| p.into_inner());
    let files = current.files.clone();
    let problems = current.problems.clone();
    drop(current);
    let generation = lock(&state.live.state).generation;

    let (status, key) = if files.contains_key(&key) {
        (200, key)
    } else if files.contains_key(&format!("{key}/index.html")) {
        let to = format!("{path}/");
        let _ = request.respond(
            Response::empty(301)
                .with_header(header("Location", &to))
                .with_header(no_store()),
        );
        return;
    } else {
        (404, "404.html".to_string())
    };
    let content_type = content_type(&key);
    let response = if content_type.starts_with("text/html") {
        let html = match &problems {
            Some(problems) => error_page(problems),
            None => files
                .get(&key)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_else(|| {
                    "<!DOCTYPE html><title>Not found</title><h1>Not found</h1>".to_string()
                }),
        };
        let status = if problems.is_some() { 500 } else { status };
        Response::from_data(with_reload_script(&html, generation)).with_status_code(status)
    } else {
        match files.get(&key) {
            Some(bytes) => Response::from_data(bytes.to_vec()).with_status_code(status),
            None => Response::from_data(Vec::new()).with_status_code(404),
        }
    };
    let _ = request.respond(
        response
            .with_header(header("Content-Type", &content_type))
            .with_header(no_store()),
    );
}

/// The content editor at `/admin/` and the API it saves through, against the files on disk.
fn answer_cms(mut request: Request, root: &Path) {
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut body = Vec::new();
    let limit = cms_backend::MAX_BODY as u64 + 1;
    let read = request.as_reader().take(limit).read_to_end(&mut body);
    if read.is_err() || body.len() > cms_backend::MAX_BODY {
        let _ = request.respond(text(413, "This upload is too large.\n"));
        return;
    }
    let content_type = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Content-Type"))
        .map(|h| h.value.as_str().to_string());
    let incoming = cms_backend::Incoming {
        method: request.method().as_str(),
        path: &path,
        content_type: content_type.as_deref(),
        from_loopback: request.remote_addr().is_some_and(|a| a.ip().is_loopback()),
        body: &body,
    };
    let reply = cms_backend::handle(root, &incoming);
    let mut response = Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_header(header("Content-Type", &reply.content_type))
        .with_header(no_store());
    if let Some(location) = &reply.location {
        response.add_header(header("Location", location));
    }
    let _ = request.respond(response);
}

/// The output path a request path names: `/a/` -> `a/index.html`. `None` for anything that is
/// not a plain path inside the site once decoded: `..` or `.` segments (also as `%2e`), an
/// encoded `/` or `\` inside a segment, empty segments (`//etc`), control characters.
fn file_key(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        let segment = percent_decode_str(raw).decode_utf8().ok()?;
        if segment == "."
            || segment == ".."
            || segment.contains(['/', '\\'])
            || segment.chars().any(char::is_control)
        {
            return None;
        }
        segments.push(segment);
    }
    let (last, folders) = segments.split_last()?;
    if folders.iter().any(|s| s.is_empty()) {
        return None;
    }
    let mut key = folders.join("/");
    if !key.is_empty() {
        key.push('/');
    }
    if last.is_empty() {
        key.push_str("index.html");
    } else {
        key.push_str(last);
    }
    Some(key)
}

fn content_type(key: &str) -> String {
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "javascript" | "json" | "xml");
    if textual {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// Adds the live-reload script, external so that a strict Content-Security-Policy allows it.
fn with_reload_script(html: &str, generation: u64) -> String {
    let tag = format!(r#"<script src="{RELOAD_JS}?since={generation}" defer></script>"#);
    match html.find("</head>") {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]),
        None => format!("{html}{tag}"),
    }
}

/// The page open pages show while the site cannot be built: every problem, escaped.
fn error_page(problems: &[Diagnostic]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>The site could not be rebuilt</title>\n</head>\n<body>\n\
         <h1>The site could not be rebuilt</h1>\n\
         <p>Fix these problems and save: this page reloads by itself.</p>\n<ol>\n",
    );
    for problem in problems {
        html.push_str(&format!(
            "<li><p><code>{}:{}:{}</code> {}</p>\n<pre>{}</pre>\n",
            escape(&problem.display_path()),
            problem.line,
            problem.column,
            problem.severity.as_str(),
            escape(&problem.message),
        ));
        if let Some(hint) = &problem.hint {
            html.push_str(&format!("<p>{}</p>\n", escape(hint)));
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ol>\n</body>\n</html>\n");
    html
}

fn escape(text: &str) -> String {
    let mut escaped = Vec::with_capacity(text.len());
    // Writing into a Vec cannot fail.
    let _ = tera::escape_html(text, &mut escaped);
    String::from_utf8_lossy(&escaped).into_owned()
}

/// Server-sent events to one open page, on a thread of its own. tiny_http buffers a chunked
/// response, so each event goes straight through the connection's raw writer and is flushed.
fn stream_events(request: Request, state: Arc<State>, since: Option<u64>) {
    let mut writer = request.into_writer();
    let mut seen = match since {
        Some(since) => since,
        None => lock(&state.live.state).generation,
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                Cache-Control: no-store\r\nConnection: close\r\n\r\n";
    if writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.flush())
        .is_err()
    {
        return;
    }
    // The worker goes back to answering requests; the stream lives until the page goes away.
    std::thread::spawn(move || {
        loop {
            let event = {
                let live_state = lock(&state.live.state);
                let (live_state, _) = state
                    .live
                    .changed
                    .wait_timeout_while(live_state, KEEP_ALIVE, |s| {
                        s.generation == seen && !s.stopping
                    })
                    .unwrap_or_else(|p| p.into_inner());
                if live_state.stopping {
                    return;
                }
                let generation = live_state.generation;
                let event = if generation == seen {
                    ": still here\n\n".to_string()
                } else if live_state.css_only && generation == seen + 1 {
                    format!("event: css\ndata: {generation}\n\n")
                } else {
                    format!("event: reload\ndata: {generation}\n\n")
                };
                seen = generation;
                event
            };
            if writer
                .write_all(event.as_bytes())
                .and_then(|()| writer.flush())
                .is_err()
            {
                return;
            }
        }
    });
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .expect("header names and values are ASCII")
}

fn no_store() -> Header {
    header("Cache-Control", "no-store")
}

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(body)
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_stay_inside_the_site() {
        assert_eq!(file_key("/").as_deref(), Some("index.html"));
        assert_eq!(file_key("/a/b/").as_deref(), Some("a/b/index.html"));
        assert_eq!(file_key("/style.css").as_deref(), Some("style.css"));
        assert_eq!(file_key("/caf%C3%A9/").as_deref(), Some("café/index.html"));
        for bad in [
            "/../Cargo.toml",
            "/a/../../etc/passwd",
            "/%2e%2e/Cargo.toml",
            "/%2E%2E%2fCargo.toml",
            "/a%2f..%2f..%2fetc/passwd",
            "/..%5c..%5cCargo.toml",
            "/a\\..\\b",
            "//etc/passwd",
            "/a//b",
            "/./a",
            "/a%00b",
            "/%ff",
            "etc/passwd",
        ] {
            assert_eq!(file_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types_name_the_charset_of_text() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("search.json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("plan.pdf"), "application/pdf");
        assert_eq!(content_type("photo.jpg"), "image/jpeg");
    }

    #[test]
    fn the_reload_script_goes_in_the_head() {
        let html = "<html><head><title>x</title></head><body></body></html>";
        let served = with_reload_script(html, 7);
        assert!(
            served.contains(
                r#"<script src="/__communities/reload.js?since=7" defer></script></head>"#
            )
        );
    }

    #[test]
    fn the_error_page_escapes_messages() {
        let problem = Diagnostic::error("content/<a>.md", 3, 1, "bad <b>value</b> & more")
            .with_hint("write \"x\"");
        let page = error_page(&[problem]);
        assert!(page.contains("<code>content/&lt;a&gt;.md:3:1</code> error"));
        assert!(page.contains("bad &lt;b&gt;value&lt;/b&gt; &amp; more"));
        assert!(!page.contains("<b>"));
    }
}
