//! `communities serve`: builds the site with drafts into memory, serves it on loopback,
//! rebuilds what each edit touches, and reloads open pages. Open pages show the current
//! warnings in a small panel; while a rebuild has failed, the pages it did not break stay
//! viewable with a banner naming the problems, and the broken ones show them in full.
//!
//! The server is a `TcpListener` of its own with `httparse` reading request heads, so that
//! every limit holds before anything is read or allocated: heads are capped, requests with a
//! body are refused unread, connections are counted, idle ones closed, and each connection
//! has its own thread with write timeouts, so a client that never reads stalls only itself.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::cms_backend;
use crate::diagnostics::{Diagnostic, SourceLines, display_path};
use crate::incremental::{FirstPages, Outcome, Provisional, Session, SiteWide, SiteWideWork};
use crate::output::Files;
use crate::watch::Watcher;

/// Open connections at once, event streams included; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 128;
/// A request head longer than this is refused: real ones are well under 8 KB.
const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
/// How many of the pages viewed last an edit renders first, beside its own pages.
const VIEWED: usize = 4;
/// A connection with no whole request head for this long is closed.
const IDLE: Duration = Duration::from_secs(10);
/// A client that does not read its answers for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle event stream is written to, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an event stream checks that its page is still open, to free it promptly.
const CLOSED_CHECK: Duration = Duration::from_millis(250);
/// After a failed accept (too many open files, say), a pause before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// A page's panel lists at most this many problems, those of its own file first.
const PANEL_LISTED: usize = 20;
/// The server's own paths, answered before the site's files (no site page is named so).
const OWN_PREFIX: &str = "/__communities/";
const RELOAD_JS: &str = "/__communities/reload.js";
const PANEL_JS: &str = "/__communities/panel.js";
const PANEL_CSS: &str = "/__communities/panel.css";
const EVENTS: &str = "/__communities/events";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Host names answered besides localhost and the loopback and bound addresses.
    pub allowed_hosts: Vec<String>,
}

/// What is being served: the last good build, its warnings, and the problems of the last
/// rebuild if it failed.
#[derive(Default)]
struct Current {
    files: Arc<Files>,
    /// Pages an edit showed first, laid over `files` until its rebuild ends.
    first: Arc<ShownFirst>,
    /// Every edit since the last rebuild changed stylesheets alone.
    first_css_only: bool,
    /// Renders, until the rebuild ends, the pages asked for that no edit showed first.
    provisional: Option<Arc<Provisional>>,
    sources: Arc<HashMap<String, PathBuf>>,
    /// Shared, so that answering a page copies none of them: a big site can have thousands.
    warnings: Arc<[Diagnostic]>,
    problems: Option<Arc<[Diagnostic]>>,
}

/// Pages shown first before their rebuild: their new content, or `None` for a page removed.
type ShownFirst = HashMap<String, Option<Arc<[u8]>>>;

/// What is served at each path: a build's files with the pages shown first laid over them.
#[derive(Clone, Copy)]
struct Served<'a> {
    files: &'a Files,
    first: &'a ShownFirst,
}

impl<'a> Served<'a> {
    fn get(&self, key: &str) -> Option<&'a Arc<[u8]>> {
        match self.first.get(key) {
            Some(shown_first) => shown_first.as_ref(),
            None => self.files.get(key),
        }
    }

    /// The paths among `keys` whose content `after` serves differently.
    fn changed_in<'k>(
        self,
        after: Served,
        keys: impl IntoIterator<Item = &'k String>,
    ) -> HashSet<String> {
        keys.into_iter()
            .filter(|key| self.get(key) != after.get(key))
            .cloned()
            .collect()
    }
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
    /// What the latest generations changed, the newest last (at `generation`).
    changes: VecDeque<Change>,
    stopping: bool,
}

/// How many generations open pages are told apart by; a page further behind reloads.
const CHANGES_KEPT: usize = 64;

/// What one generation changed, as open pages see it.
#[derive(Debug, Clone)]
enum Change {
    /// Every page: the problems or warnings that each page's panel lists changed.
    Everything,
    /// Stylesheets alone, which every page swaps in place.
    Styles,
    /// The content served at these paths. Any other page is as it was, so it stays as it is:
    /// an edit shown first and then rebuilt the same reloads its page once.
    Pages(Arc<HashSet<String>>),
}

/// What an open page is told to do.
#[derive(Debug, PartialEq)]
enum Event {
    Reload,
    SwapStyles,
}

impl LiveState {
    fn advance(&mut self, change: Change) {
        self.generation += 1;
        if self.changes.len() == CHANGES_KEPT {
            self.changes.pop_front();
        }
        self.changes.push_back(change);
    }

    /// What the page served at `page` (any page when not known) must do, having seen the
    /// site as at generation `seen`.
    fn event_for(&self, page: Option<&str>, seen: u64) -> Option<Event> {
        // Served by an earlier run of `serve`, whose generations were others.
        if seen > self.generation {
            return Some(Event::Reload);
        }
        let behind = usize::try_from(self.generation - seen).unwrap_or(usize::MAX);
        if behind == 0 {
            return None;
        }
        if behind > self.changes.len() {
            return Some(Event::Reload);
        }
        let missed = self.changes.iter().skip(self.changes.len() - behind);
        let mut event = None;
        for change in missed {
            match change {
                Change::Everything => return Some(Event::Reload),
                Change::Pages(paths) if page.is_none_or(|page| paths.contains(page)) => {
                    return Some(Event::Reload);
                }
                Change::Pages(_) => {}
                Change::Styles => event = Some(Event::SwapStyles),
            }
        }
        event
    }
}

/// The site as `serve` answers it, shared by every connection.
pub struct Preview {
    current: RwLock<Current>,
    live: Live,
    /// Lower-case host names answered besides loopback addresses.
    hosts: Vec<String>,
    bind: IpAddr,
    /// The site folder: the content editor at `/admin/` saves there, and problems show the
    /// source lines they point at. None in tests that serve files alone.
    site: Option<PathBuf>,
    /// The output paths of the pages viewed last, newest first, which an edit renders first.
    viewed: Mutex<VecDeque<String>>,
}

enum Message {
    Changed(Vec<PathBuf>),
    /// The site-wide outputs, made on their worker.
    SiteWide(SiteWide),
    Stop,
}

/// Makes the site-wide outputs of the newest work waiting, skipping work that newer edits
/// overtook before it began, on threads of its own at a lower priority: rendering an edit
/// never queues behind it, and takes the processors from it while both run.
fn site_wide_worker(work: &mpsc::Receiver<SiteWideWork>, done: impl Fn(SiteWide)) {
    let pool = pool_below_edits(SITE_WIDE_NICENESS);
    while let Ok(mut next) = work.recv() {
        while let Ok(newer) = work.try_recv() {
            next = newer;
        }
        let fresh = match &pool {
            Some(pool) => pool.install(|| next.run()),
            None => next.run(),
        };
        done(fresh);
    }
}

/// How far below serving pages and rendering an edit's own pages first the rebuild runs, so
/// that neither waits for it.
const REBUILD_NICENESS: i32 = 5;
/// The site-wide work runs on what the rebuild leaves.
const SITE_WIDE_NICENESS: i32 = 10;

/// Threads at a lower priority (`niceness`); `None` when none can be started, and the work
/// is done on the calling thread.
fn pool_below_edits(niceness: i32) -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .start_handler(move |_| {
            // SAFETY: setpriority has no memory-safety preconditions; on Linux, process 0 is
            // the calling thread alone. Failing leaves the priority as it was, only slower.
            #[cfg(target_os = "linux")]
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, niceness);
            }
        })
        .build()
        .ok()
}

/// Serves the site-wide outputs the worker made.
fn put_site_wide(session: &mut Session, preview: &Preview, fresh: SiteWide) {
    let started = Instant::now();
    let took = fresh.took;
    match session.put_site_wide(fresh) {
        Some(Ok(outcome)) => {
            println!(
                "Updated the search index, feed and sitemap in {} ms",
                took.as_millis()
            );
            write_lock(&preview.current).files = outcome.files;
        }
        Some(Err(problems)) => preview.publish(Err(problems), started),
        None => {}
    }
}

/// Serves until Ctrl-C. Returns an error only when serving cannot start.
pub fn serve(options: &ServeOptions) -> Result<(), Diagnostic> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(Diagnostic::file_error(root, "this folder does not exist")
            .with_hint("run serve in the site's folder, or give it with --root"));
    }
    let address = SocketAddr::new(options.bind, options.port);
    let listener = TcpListener::bind(address).map_err(|e| {
        Diagnostic::site_error(format!("cannot serve on {address}: {e}"))
            .with_hint("choose another port with --port")
    })?;
    let address = listener.local_addr().unwrap_or(address);
    let url = format!("http://{address}/");

    let started = Instant::now();
    let (mut session, first) = Session::new(root, Some(url.clone()));
    let preview = Arc::new(
        Preview::new(Files::default(), options.bind, &options.allowed_hosts)
            .with_site(root.clone()),
    );
    preview.publish(first, started);

    let (sender, messages) = mpsc::channel();
    let messages_sender = sender.clone();
    let changes = sender.clone();
    // Batches of changes sent, counted before each is sent: more than the loop has taken
    // means a newer edit waits.
    let saves = Arc::new(AtomicU64::new(0));
    let mut watcher = {
        let saves = saves.clone();
        Watcher::start(root, move |paths| {
            saves.fetch_add(1, Ordering::SeqCst);
            let _ = changes.send(Message::Changed(paths));
        })?
    };
    ctrlc::set_handler(move || {
        let _ = sender.send(Message::Stop);
    })
    .map_err(|e| Diagnostic::site_error(format!("cannot handle Ctrl-C: {e}")))?;

    let stopping = Arc::new(AtomicBool::new(false));
    let acceptor = {
        let preview = preview.clone();
        let stopping = stopping.clone();
        std::thread::spawn(move || accept_loop(&listener, &preview, &stopping))
    };
    println!("Serving the site at {url} (Ctrl-C to stop)");
    let _ = io::stdout().flush();

    let (work_sender, work) = mpsc::channel();
    {
        let made = messages_sender.clone();
        std::thread::spawn(move || {
            site_wide_worker(&work, |fresh| {
                let _ = made.send(Message::SiteWide(fresh));
            })
        });
    }
    let rebuild_pool = pool_below_edits(REBUILD_NICENESS);
    let mut taken = 0;
    // When the edits not yet rebuilt began to wait.
    let mut waiting: Option<Instant> = None;
    while let Ok(message) = messages.recv() {
        let mut paths = match message {
            Message::Changed(paths) => {
                taken += 1;
                paths
            }
            Message::SiteWide(fresh) => {
                put_site_wide(&mut session, &preview, fresh);
                continue;
            }
            Message::Stop => break,
        };
        // Changes that arrived while the last rebuild ran are one more rebuild, not several.
        let mut stop = false;
        while let Ok(message) = messages.try_recv() {
            match message {
                Message::Changed(more) => {
                    taken += 1;
                    paths.extend(more);
                }
                Message::SiteWide(fresh) => put_site_wide(&mut session, &preview, fresh),
                Message::Stop => stop = true,
            }
        }
        if stop {
            break;
        }
        paths.extend(watcher.refresh());
        let started = Instant::now();
        session.take(&paths);
        if !session.has_edits() {
            continue;
        }
        // The edited page and the pages open in the browser first; the rest of the rebuild
        // gives way to newer edits, whose own pages come first in turn, and ends once the
        // editor pauses for as long as it takes.
        if let Some(first) = session.first_pages(&preview.viewed()) {
            preview.publish_first(first, started);
        }
        let since = *waiting.get_or_insert(started);
        let overtaken = || saves.load(Ordering::SeqCst) > taken;
        let finished = match &rebuild_pool {
            Some(pool) => pool.install(|| session.finish(&overtaken)),
            None => session.finish(&overtaken),
        };
        let Some(outcome) = finished else {
            continue;
        };
        waiting = None;
        preview.publish(outcome, since);
        // The search index and the like follow on their worker, never holding up an edit.
        if let Some(work) = session.site_wide_work() {
            let _ = work_sender.send(work);
        }
    }

    preview.stop();
    stopping.store(true, Ordering::SeqCst);
    // Wakes the accept loop so that it sees the flag.
    let _ = TcpStream::connect_timeout(&wake_address(address), Duration::from_secs(1));
    let _ = acceptor.join();
    println!("Stopped");
    Ok(())
}

/// Where to connect to reach a listener on `address` (an unspecified address is reached on
/// loopback).
fn wake_address(address: SocketAddr) -> SocketAddr {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, address.port())
}

/// Accepts connections until stopped, each on a thread of its own up to the limit. A failed
/// accept (out of file descriptors, say) is waited out, never the end of serving.
fn accept_loop(listener: &TcpListener, preview: &Arc<Preview>, stopping: &AtomicBool) {
    let open = Arc::new(AtomicUsize::new(0));
    let mut last_error: Option<io::ErrorKind> = None;
    loop {
        let accepted = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                if last_error != Some(error.kind()) {
                    eprintln!("accepting a connection failed, retrying: {error}");
                    last_error = Some(error.kind());
                }
                std::thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        last_error = None;
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            refuse_busy(stream);
            continue;
        }
        let guard = OpenConnection(open.clone());
        let preview = preview.clone();
        let spawned = std::thread::Builder::new()
            .name("serve-connection".into())
            .spawn(move || {
                let _guard = guard;
                connection(stream, &preview);
            });
        if let Err(error) = spawned {
            // The closure, with its guard and stream, is dropped: the count stays right.
            eprintln!("cannot start a thread for a connection: {error}");
            std::thread::sleep(ACCEPT_BACKOFF);
        }
    }
}

/// Counts a connection as open until dropped.
struct OpenConnection(Arc<AtomicUsize>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn refuse_busy(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let reply = Reply::text(503, "Too many open connections; try again.\n");
    let _ = write_reply(&mut stream, &reply, false, true);
    let _ = stream.shutdown(Shutdown::Both);
}

/// Answers one connection's requests in order until it closes, idles, or misbehaves.
fn connection(mut stream: TcpStream, preview: &Preview) {
    if stream.set_read_timeout(Some(IDLE)).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let local = stream.local_addr().ok().map(|a| a.ip());
    let mut buffer = Vec::with_capacity(1024);
    loop {
        let started = Instant::now();
        let (request, used) = loop {
            match parse_head(&buffer) {
                Head::Complete(request, used) => break (request, used),
                Head::Refused(status, why) => {
                    let _ = write_reply(&mut stream, &Reply::text(status, why), false, true);
                    return;
                }
                Head::Partial => {}
            }
            if started.elapsed() > IDLE {
                return;
            }
            // Never more than the head limit is held, whatever the client sends.
            let mut chunk = [0u8; 4096];
            let room = (MAX_HEAD_BYTES + 1 - buffer.len()).min(chunk.len());
            match stream.read(&mut chunk[..room]) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        buffer.drain(..used);
        let mut request = request;
        request.from_loopback = stream.peer_addr().is_ok_and(|a| a.ip().is_loopback());
        if request.body_length > 0 {
            // At most the editor's limit, checked in `parse_head` before any of it is read.
            while buffer.len() < request.body_length {
                let mut chunk = [0u8; 64 * 1024];
                let room = (request.body_length - buffer.len()).min(chunk.len());
                if started.elapsed() > IDLE {
                    return;
                }
                match stream.read(&mut chunk[..room]) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            request.body = buffer.drain(..request.body_length).collect();
        }
        match preview.answer(&request, local) {
            Answer::Reply(reply) => {
                let close = request.close || reply.close;
                if write_reply(&mut stream, &reply, request.head_only(), close).is_err() || close {
                    return;
                }
            }
            Answer::Events { since, page } => {
                preview.stream_events(stream, since, page);
                return;
            }
        }
    }
}

/// A request head, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
    /// The client asked to close after the answer (or speaks HTTP/1.0 without keep-alive).
    pub close: bool,
    pub content_type: Option<String>,
    /// The length of the body that follows the head: only the content editor's saves have one.
    pub body_length: usize,
    pub body: Vec<u8>,
    /// Sent from this machine: only then may the content editor change files.
    pub from_loopback: bool,
}

impl Request {
    fn head_only(&self) -> bool {
        self.method == "HEAD"
    }
}

/// The outcome of reading the start of a connection's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// A whole head, and how many bytes it took.
    Complete(Request, usize),
    /// More bytes are needed.
    Partial,
    /// Answered with this status and closed, nothing more read.
    Refused(u16, &'static str),
}

/// Reads a request head from the start of `buffer`. Requests with a body are refused from
/// their head alone, but for the content editor's saves, whose length is checked against its
/// limit before any of the body is read.
pub fn parse_head(buffer: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let used = match parsed.parse(buffer) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD_BYTES => {
            return Head::Refused(431, "The request head is too long.\n");
        }
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return Head::Refused(431, "The request has too many headers.\n");
        }
        Err(_) => return Head::Refused(400, "This is not an HTTP request.\n"),
    };
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let target = parsed.path.unwrap_or_default();
    let saves =
        parsed.method == Some("POST") && target.split('?').next() == Some(crate::cms::LOCAL_API);
    let body_length = match header("content-length") {
        None => 0,
        Some(length) => match length.parse::<usize>() {
            Ok(n) if n == 0 || (saves && n <= cms_backend::MAX_BODY) => n,
            _ => return Head::Refused(413, "Requests with a body are not served.\n"),
        },
    };
    if header("transfer-encoding").is_some() {
        return Head::Refused(413, "Requests with a body are not served.\n");
    }
    let connection = header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let close = if parsed.version == Some(0) {
        !connection.contains("keep-alive")
    } else {
        connection.contains("close")
    };
    Head::Complete(
        Request {
            method: parsed.method.unwrap_or_default().to_string(),
            target: target.to_string(),
            host: header("host"),
            close,
            content_type: header("content-type"),
            body_length,
            body: Vec::new(),
            from_loopback: false,
        },
        used,
    )
}

/// What to send back.
pub enum Answer {
    Reply(Reply),
    /// A live-reload event stream, from this generation on, to the page served at this path
    /// (any page when not known).
    Events {
        since: Option<u64>,
        page: Option<String>,
    },
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Arc<[u8]>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: Arc<[u8]>) -> Reply {
        Reply {
            status,
            headers: vec![
                ("Content-Type", content_type.to_string()),
                ("Cache-Control", "no-store".to_string()),
            ],
            body,
            close: false,
        }
    }

    fn text(status: u16, text: &str) -> Reply {
        Reply {
            // After a refused request the rest of the connection cannot be trusted.
            close: status >= 400 && status != 404,
            ..Reply::new(
                status,
                "text/plain; charset=utf-8",
                Arc::from(text.as_bytes()),
            )
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_reply(
    out: &mut impl Write,
    reply: &Reply,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len(),
        if close { "close" } else { "keep-alive" }
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if !head_only {
        out.write_all(&reply.body)?;
    }
    out.flush()
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Preview {
    /// A preview of these files, answering to loopback, `bind` and `hosts`.
    pub fn new(files: Files, bind: IpAddr, hosts: &[String]) -> Preview {
        Preview {
            current: RwLock::new(Current {
                files: Arc::new(files),
                ..Current::default()
            }),
            live: Live::default(),
            hosts: hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            bind,
            site: None,
            viewed: Mutex::default(),
        }
    }

    /// The output paths of the pages viewed last, newest first.
    pub fn viewed(&self) -> Vec<String> {
        lock(&self.viewed).iter().cloned().collect()
    }

    fn note_viewed(&self, key: &str) {
        let mut viewed = lock(&self.viewed);
        viewed.retain(|k| k != key);
        viewed.push_front(key.to_string());
        viewed.truncate(VIEWED);
    }

    /// Offers the content editor at `/admin/`, saving into the site at `root`, and quotes
    /// that site's source lines with its problems.
    pub fn with_site(mut self, root: PathBuf) -> Preview {
        self.site = Some(root);
        self
    }

    /// Serves the pages an edit rendered first, leaving the problems and warnings shown as
    /// they are until the rebuild ends. They replace those shown first before: each edit's
    /// cover every edit since the last rebuild, and a page added and removed meanwhile is
    /// among them no longer.
    fn publish_first(&self, first: FirstPages, started: Instant) {
        let pages = first.rendered;
        let css_only = first.css_only;
        let change = {
            let mut current = write_lock(&self.current);
            current.first_css_only = css_only;
            current.provisional = first.provisional;
            let shown: ShownFirst = first
                .files
                .into_iter()
                .map(|(path, bytes)| (path, Some(bytes)))
                .chain(first.removed.into_iter().map(|path| (path, None)))
                .collect();
            let before = Served {
                files: &current.files,
                first: &current.first,
            };
            let after = Served {
                first: &shown,
                ..before
            };
            let change = if css_only {
                Change::Styles
            } else {
                Change::Pages(Arc::new(
                    before.changed_in(after, current.first.keys().chain(shown.keys())),
                ))
            };
            current.first = Arc::new(shown);
            change
        };
        self.advance(change);
        println!(
            "Showed {pages} {} first in {} ms",
            if pages == 1 { "page" } else { "pages" },
            started.elapsed().as_millis()
        );
    }

    /// Tells open pages what changed.
    fn advance(&self, change: Change) {
        lock(&self.live.state).advance(change);
        self.live.changed.notify_all();
    }

    /// Shows a build's result in the terminal and to open pages.
    fn publish(&self, outcome: Result<Outcome, Vec<Diagnostic>>, started: Instant) {
        let elapsed = started.elapsed().as_millis();
        let change;
        // Printed once the lock is let go, so that printing never holds up a page.
        let mut printed = String::new();
        let mut problems_printed = String::new();
        let mut warnings_before = None;
        {
            let mut current = write_lock(&self.current);
            // The rebuild's pages replace those shown first, even where they are as before.
            let first = std::mem::take(&mut current.first);
            current.provisional = None;
            let shown_first = !first.is_empty();
            let first_css_only = std::mem::take(&mut current.first_css_only);
            match outcome {
                Ok(outcome) => {
                    let warnings = outcome.warnings;
                    let warnings_changed = warnings != current.warnings;
                    warnings_before = Some((
                        std::mem::replace(&mut current.warnings, warnings.clone()),
                        warnings,
                    ));
                    if outcome.changed.is_empty()
                        && current.problems.is_none()
                        && !warnings_changed
                        && !shown_first
                    {
                        printed = format!("Rebuilt in {elapsed} ms: nothing changed\n");
                        change = None;
                    } else {
                        printed = match outcome.changed.len() {
                            1 => format!("Rebuilt in {elapsed} ms: 1 file changed\n"),
                            n => format!("Rebuilt in {elapsed} ms: {n} files changed\n"),
                        };
                        // Pages shown first with new stylesheet names take the same names again.
                        let only_styles = if shown_first {
                            first_css_only && (outcome.css_only || outcome.changed.is_empty())
                        } else {
                            outcome.css_only
                        };
                        change = Some(if current.problems.is_some() || warnings_changed {
                            Change::Everything
                        } else if only_styles {
                            Change::Styles
                        } else {
                            let before = Served {
                                files: &current.files,
                                first: &first,
                            };
                            let after = Served {
                                files: &outcome.files,
                                first: &ShownFirst::new(),
                            };
                            Change::Pages(Arc::new(
                                before.changed_in(after, first.keys().chain(&outcome.changed)),
                            ))
                        });
                        current.files = outcome.files;
                        current.sources = outcome.sources;
                        current.problems = None;
                    }
                }
                Err(problems) => {
                    let errors = problems.iter().filter(|p| p.is_error()).count();
                    for problem in &problems {
                        problems_printed.push_str(&format!("{problem}\n"));
                    }
                    problems_printed.push_str(&format!(
                        "The site could not be rebuilt ({errors} {}); open pages show why until it is fixed\n",
                        if errors == 1 { "error" } else { "errors" }
                    ));
                    change = Some(Change::Everything);
                    current.problems = Some(problems.into());
                }
            }
        }
        // Open pages are told first, so that a rebuild printed is one they know of.
        if let Some(change) = change {
            self.advance(change);
        }
        if let Some((before, now)) = warnings_before {
            let _ = write_new_warnings(&mut io::BufWriter::new(io::stderr().lock()), &before, &now);
        }
        eprint!("{problems_printed}");
        print!("{printed}");
        let _ = io::stdout().flush();
    }

    fn stop(&self) {
        let mut live = lock(&self.live.state);
        live.stopping = true;
        self.live.changed.notify_all();
    }

    /// Whether a request names this preview: `localhost`, a loopback address, the address it
    /// is bound to or was reached at, or a name given with `--allow-host`. Anything else may
    /// be a rebinding domain in the editor's browser, reading drafts from another site.
    fn allows_host(&self, host: &str, local: Option<IpAddr>) -> bool {
        let is_port = |text: &str| text.chars().all(|c| c.is_ascii_digit());
        let name = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((inside, after))
                    if after.is_empty() || after.strip_prefix(':').is_some_and(is_port) =>
                {
                    inside
                }
                _ => return false,
            },
            None => match host.rsplit_once(':') {
                Some((name, port)) if is_port(port) => name,
                _ => host,
            },
        };
        // An IPv6 address is written in brackets; a bare one is not a host name.
        if name.contains(':') && !host.starts_with('[') {
            return false;
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || self.hosts.contains(&name) {
            return true;
        }
        name.parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip == self.bind || Some(ip) == local)
    }

    /// The answer to one request; `local` is the address the connection came in on.
    pub fn answer(&self, request: &Request, local: Option<IpAddr>) -> Answer {
        let allowed = request
            .host
            .as_deref()
            .is_some_and(|host| self.allows_host(host, local));
        if !allowed {
            return Answer::Reply(Reply::text(
                403,
                "This preview answers only to localhost, loopback addresses, the address it serves on, and names given with --allow-host.\n",
            ));
        }
        let (path, query) = request
            .target
            .split_once('?')
            .unwrap_or((&request.target, ""));
        if let Some(root) = &self.site
            && cms_backend::handles(path)
        {
            return Answer::Reply(editor_reply(root, request, path));
        }
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return Answer::Reply(Reply::text(405, "Only GET and HEAD are served.\n"));
        }
        if path.starts_with(OWN_PREFIX) {
            return self.own_file(path, query);
        }
        let Some(key) = file_key(path) else {
            return Answer::Reply(Reply::text(
                400,
                "This address is not a path inside the site.\n",
            ));
        };
        Answer::Reply(self.site_file(path, key))
    }

    fn own_file(&self, path: &str, query: &str) -> Answer {
        let script = "text/javascript; charset=utf-8";
        let (content_type, text) = match path {
            RELOAD_JS => (script, include_str!("reload.js")),
            PANEL_JS => (script, include_str!("panel.js")),
            PANEL_CSS => ("text/css; charset=utf-8", include_str!("panel.css")),
            EVENTS => {
                let parameter = |name: &str| {
                    query.split('&').find_map(|pair| {
                        let (key, value) = pair.split_once('=')?;
                        let value = percent_decode_str(value).decode_utf8().ok()?;
                        (key == name).then(|| value.into_owned())
                    })
                };
                return Answer::Events {
                    since: parameter("since").and_then(|n| n.parse().ok()),
                    page: parameter("page"),
                };
            }
            _ => return Answer::Reply(Reply::text(404, "Not found.\n")),
        };
        Answer::Reply(Reply::new(200, content_type, Arc::from(text.as_bytes())))
    }

    fn site_file(&self, path: &str, key: String) -> Reply {
        // Read before the files: a page served as the next generation makes it names the
        // generation before, so it reloads once more rather than never.
        let generation = lock(&self.live.state).generation;
        let current = read_lock(&self.current);
        let files = current.files.clone();
        let first = current.first.clone();
        let provisional = current.provisional.clone();
        let problems = current.problems.clone();
        let warnings = current.warnings.clone();
        // The page's own file, whose problems its panel lists first.
        let own = current.sources.get(&key).map(|source| display_path(source));
        let broken_here = own
            .as_ref()
            .zip(problems.as_ref())
            .is_some_and(|(own, problems)| {
                problems
                    .iter()
                    .any(|p| p.is_error() && p.display_path() == *own)
            });
        drop(current);
        let served = Served {
            files: &files,
            first: &first,
        };
        // A page no edit showed first is rendered as the edits leave it, not served as it
        // was, while their rebuild runs.
        let file = |key: &str| {
            let edited = provisional
                .as_ref()
                .filter(|_| !first.contains_key(key))
                .and_then(|p| p.page(key));
            edited.or_else(|| served.get(key).cloned())
        };

        let (status, key) = if file(&key).is_some() {
            if key.ends_with(".html") {
                self.note_viewed(&key);
            }
            (200, key)
        } else if file(&format!("{key}/index.html")).is_some() {
            let mut reply = Reply::new(301, "text/plain; charset=utf-8", Arc::from(&b""[..]));
            reply.headers.push(("Location", format!("{path}/")));
            return reply;
        } else {
            (404, "404.html".to_string())
        };
        let content_type = content_type(&key);
        if !content_type.starts_with("text/html") {
            return match file(&key) {
                Some(bytes) => Reply::new(status, &content_type, bytes),
                None => Reply::text(404, "Not found.\n"),
            };
        }
        // Before any build succeeded, or on a page the failed rebuild broke, the problems
        // are the page; elsewhere the last good page shows with them in a banner.
        let own = own.as_deref();
        let (status, html, shown) = match &problems {
            Some(problems) if broken_here || files.is_empty() => (
                500,
                error_page(problems, own, self.site.as_deref()),
                &[][..],
            ),
            Some(problems) => (status, page_html(file(&key)), &problems[..]),
            None => (status, page_html(file(&key)), &warnings[..]),
        };
        // A missing page may be added: its answer reloads on any change.
        let page = (status == 200).then_some(key.as_str());
        let html = with_preview_tags(
            &html,
            generation,
            page,
            Problems { all: shown, own },
            problems.is_some(),
            self.site.as_deref(),
        );
        Reply::new(status, &content_type, Arc::from(html.into_bytes()))
    }

    /// Server-sent events to one open page, on its connection's thread, until the page goes
    /// away (noticed within `CLOSED_CHECK`) or the server stops.
    fn stream_events(&self, mut stream: TcpStream, since: Option<u64>, page: Option<String>) {
        let mut seen = since.unwrap_or_else(|| lock(&self.live.state).generation);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                    Cache-Control: no-store\r\nConnection: close\r\n\r\n";
        if stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        let mut quiet_since = Instant::now();
        loop {
            let event = {
                let live_state = lock(&self.live.state);
                let (live_state, _) = self
                    .live
                    .changed
                    .wait_timeout_while(live_state, CLOSED_CHECK, |s| {
                        s.generation == seen && !s.stopping
                    })
                    .unwrap_or_else(|p| p.into_inner());
                if live_state.stopping {
                    return;
                }
                let generation = live_state.generation;
                let event = live_state
                    .event_for(page.as_deref(), seen)
                    .map(|event| match event {
                        Event::Reload => format!("event: reload\ndata: {generation}\n\n"),
                        Event::SwapStyles => format!("event: css\ndata: {generation}\n\n"),
                    });
                seen = generation;
                event
            };
            let event = match event {
                Some(event) => event,
                None if peer_closed(&stream) => return,
                None if quiet_since.elapsed() >= KEEP_ALIVE => ": still here\n\n".to_string(),
                None => continue,
            };
            quiet_since = Instant::now();
            if stream
                .write_all(event.as_bytes())
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
        }
    }

    /// Answers every request in `bytes` as a connection would, writing the answers into one
    /// buffer (an event stream as its head alone): the request path without a socket, for
    /// fuzzing and tests.
    pub fn respond_to_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = bytes;
        let local = Some(IpAddr::from([127, 0, 0, 1]));
        loop {
            let (request, used) = match parse_head(rest) {
                Head::Complete(request, used) => (request, used),
                Head::Refused(status, why) => {
                    let _ = write_reply(&mut out, &Reply::text(status, why), false, true);
                    return out;
                }
                Head::Partial => return out,
            };
            rest = &rest[used..];
            let mut request = request;
            request.from_loopback = true;
            if rest.len() < request.body_length {
                return out;
            }
            request.body = rest[..request.body_length].to_vec();
            rest = &rest[request.body_length..];
            match self.answer(&request, local) {
                Answer::Reply(reply) => {
                    let close = request.close || reply.close;
                    let _ = write_reply(&mut out, &reply, request.head_only(), close);
                    if close {
                        return out;
                    }
                }
                Answer::Events { .. } => {
                    out.extend_from_slice(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
                    );
                    return out;
                }
            }
        }
    }
}

/// The content editor's answer: its page and script, or a save checked as `check` would.
fn editor_reply(root: &Path, request: &Request, path: &str) -> Reply {
    let incoming = cms_backend::Incoming {
        method: &request.method,
        path,
        content_type: request.content_type.as_deref(),
        from_loopback: request.from_loopback,
        body: &request.body,
    };
    let answer = cms_backend::handle(root, &incoming);
    let mut reply = Reply::new(answer.status, &answer.content_type, Arc::from(answer.body));
    if let Some(location) = answer.location {
        reply.headers.push(("Location", location));
    }
    reply
}

/// Whether the other end has closed the connection (or it failed), without waiting.
fn peer_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let closed = match stream.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).is_err() || closed
}

/// Writes the warnings that `before` did not have, and how many it had: a big site can have
/// thousands, and an editor wants to see what the last save brought.
fn write_new_warnings(
    out: &mut impl Write,
    before: &[Diagnostic],
    now: &[Diagnostic],
) -> io::Result<()> {
    let known: HashSet<&Diagnostic> = before.iter().collect();
    let mut repeated = 0;
    for warning in now {
        if known.contains(warning) {
            repeated += 1;
        } else {
            writeln!(out, "{warning}")?;
        }
    }
    if repeated > 0 {
        writeln!(
            out,
            "{repeated} {} as before (`communities check` prints every one)",
            if repeated == 1 { "warning" } else { "warnings" }
        )?;
    }
    out.flush()
}

fn page_html(page: Option<Arc<[u8]>>) -> String {
    page.map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|| "<!DOCTYPE html><title>Not found</title><h1>Not found</h1>".to_string())
}

/// The output path a request path names: `/a/` -> `a/index.html`. `None` for anything that is
/// not a plain path inside the site once decoded: `..` or `.` segments (also as `%2e`), an
/// encoded `/` or `\` inside a segment, empty segments (`//etc`), control characters.
pub fn file_key(path: &str) -> Option<String> {
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

/// Adds the live-reload script, telling it the generation served and the page's path, and the panel of problems when there are any: external files,
/// so that a strict Content-Security-Policy allows them.
fn with_preview_tags(
    html: &str,
    generation: u64,
    page: Option<&str>,
    shown: Problems,
    failed: bool,
    site: Option<&Path>,
) -> String {
    let page = page
        .map(|page| format!("&amp;page={}", utf8_percent_encode(page, NON_ALPHANUMERIC)))
        .unwrap_or_default();
    let mut head = format!(r#"<script src="{RELOAD_JS}?since={generation}{page}" defer></script>"#);
    let mut body = String::new();
    if !shown.all.is_empty() {
        head.push_str(&format!(
            r#"<link rel="stylesheet" href="{PANEL_CSS}"><script src="{PANEL_JS}" defer></script>"#
        ));
        body = panel(shown, failed, site);
    }
    let html = match html.find("</head>") {
        Some(at) => format!("{}{head}{}", &html[..at], &html[at..]),
        None => format!("{head}{html}"),
    };
    match html.rfind("</body>") {
        Some(at) => format!("{}{body}{}", &html[..at], &html[at..]),
        None => format!("{html}{body}"),
    }
}

/// Problems to show on a page: all of the site's, and the page's own file.
#[derive(Clone, Copy)]
struct Problems<'a> {
    all: &'a [Diagnostic],
    own: Option<&'a str>,
}

impl<'a> Problems<'a> {
    /// The problems a page lists, its own file's first, at most `PANEL_LISTED` of them.
    fn listed(self) -> Vec<&'a Diagnostic> {
        let (own, others): (Vec<&Diagnostic>, Vec<&Diagnostic>) = self
            .all
            .iter()
            .partition(|p| self.own.is_some_and(|own| p.display_path() == own));
        own.into_iter().chain(others).take(PANEL_LISTED).collect()
    }
}

/// The dismissable panel of the current problems: after a failed rebuild, a banner saying
/// that this page is as last built and which files are broken; otherwise the warnings.
fn panel(problems: Problems, failed: bool, site: Option<&Path>) -> String {
    let errors = problems.all.iter().filter(|p| p.is_error()).count();
    let warnings = problems.all.len() - errors;
    let count = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let title = if failed {
        format!(
            "The site could not be rebuilt ({}): this page is as it was last built",
            count(errors, "error")
        )
    } else {
        format!("{} to look at", count(warnings, "warning"))
    };
    format!(
        "<aside class=\"communities-panel{}\" role=\"status\" aria-label=\"Problems in the site\">\n\
         <h2>{}</h2>\n<ol>\n{}</ol>\n\
         <button type=\"button\" class=\"communities-panel-close\">Hide</button>\n</aside>\n",
        if failed {
            " communities-panel-failed"
        } else {
            ""
        },
        escape(&title),
        problem_items(problems, site)
    )
}

/// The page open pages show while the site cannot be built: the problems, escaped.
fn error_page(problems: &[Diagnostic], own: Option<&str>, site: Option<&Path>) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>The site could not be rebuilt</title>\n</head>\n<body>\n\
         <h1>The site could not be rebuilt</h1>\n\
         <p>Fix these problems and save: this page reloads by itself.</p>\n<ol>\n{}</ol>\n\
         </body>\n</html>\n",
        problem_items(Problems { all: problems, own }, site)
    )
}

/// One list item per problem listed: where, how bad, what, the source line with a caret under
/// the column (as `check` prints it), and the hint; then how many more there are.
fn problem_items(problems: Problems, site: Option<&Path>) -> String {
    let mut sources = site.map(SourceLines::new);
    let mut html = String::new();
    let listed = problems.listed();
    for problem in &listed {
        html.push_str(&format!(
            "<li><p><code>{}</code> {}</p>\n<pre>{}</pre>\n",
            escape(&problem.place()),
            problem.severity.as_str(),
            escape(&problem.message),
        ));
        if let Some(excerpt) = sources.as_mut().and_then(|s| s.excerpt(problem)) {
            html.push_str(&format!(
                "<pre class=\"communities-excerpt\">{}</pre>\n",
                escape(&excerpt.to_string())
            ));
        }
        if let Some(hint) = &problem.hint {
            html.push_str(&format!("<p>{}</p>\n", escape(hint)));
        }
        html.push_str("</li>\n");
    }
    let more = problems.all.len() - listed.len();
    if more > 0 {
        html.push_str(&format!(
            "<li><p>{more} more: <code>communities check</code> lists every one.</p></li>\n"
        ));
    }
    html
}

fn escape(text: &str) -> String {
    let mut escaped = Vec::with_capacity(text.len());
    // Writing into a Vec cannot fail.
    let _ = tera::escape_html(text, &mut escaped);
    String::from_utf8_lossy(&escaped).into_owned()
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
    fn the_reload_script_goes_in_the_head_and_the_panel_only_with_problems() {
        let html = "<html><head><title>x</title></head><body><p>x</p></body></html>";
        let none = Problems {
            all: &[],
            own: None,
        };
        let served = with_preview_tags(html, 7, Some("a/index.html"), none, false, None);
        assert!(
            served.contains(
                r#"<script src="/__communities/reload.js?since=7&amp;page=a%2Findex%2Ehtml" defer></script></head>"#
            )
        );
        assert!(!served.contains("communities-panel"));
        let warning = Diagnostic::warning("content/a.md", 4, 2, "link text <i>here</i>");
        let shown = Problems {
            all: &[warning],
            own: None,
        };
        let served = with_preview_tags(html, 7, None, shown, false, None);
        assert!(served.contains(r#"<link rel="stylesheet" href="/__communities/panel.css">"#));
        assert!(served.contains(r#"<script src="/__communities/panel.js" defer></script></head>"#));
        assert!(served.contains("<code>content/a.md:4:2</code> warning"));
        assert!(
            served.contains("link text &lt;i&gt;here&lt;&#x2F;i&gt;")
                || served.contains("link text &lt;i&gt;here&lt;/i&gt;")
        );
        assert!(served.ends_with("</aside>\n</body></html>"), "{served}");
        assert!(
            !served.contains("style=") && !served.contains("<style") && !served.contains("onclick")
        );
    }

    #[test]
    fn a_panel_lists_its_own_pages_problems_first_and_counts_what_it_leaves_out() {
        let mut all: Vec<Diagnostic> = (1..=PANEL_LISTED + 5)
            .map(|line| Diagnostic::warning("content/other.md", line, 1, "elsewhere"))
            .collect();
        all.push(Diagnostic::warning("content/a.md", 9, 1, "on this page"));
        let shown = Problems {
            all: &all,
            own: Some("content/a.md"),
        };
        let html = panel(shown, false, None);
        assert!(html.contains(&format!("{} warnings to look at", PANEL_LISTED + 6)));
        let own = html
            .find("<code>content/a.md:9:1</code>")
            .expect("own problem listed");
        assert!(own < html.find("content/other.md").unwrap(), "{html}");
        assert_eq!(html.matches("<li><p><code>").count(), PANEL_LISTED);
        assert!(html.contains("6 more: <code>communities check</code> lists every one."));
        let few = Problems {
            all: &all[..2],
            own: None,
        };
        assert!(!panel(few, false, None).contains("more:"));
    }

    #[test]
    fn a_rebuild_prints_only_the_warnings_it_brought_and_counts_the_rest() {
        let old = Diagnostic::warning("content/a.md", 1, 1, "old");
        let new = Diagnostic::warning("content/b.md", 2, 1, "new");
        let mut out = Vec::new();
        write_new_warnings(&mut out, &[], std::slice::from_ref(&old)).unwrap();
        assert_eq!(String::from_utf8_lossy(&out), format!("{old}\n"));
        let mut out = Vec::new();
        write_new_warnings(
            &mut out,
            std::slice::from_ref(&old),
            &[old.clone(), new.clone()],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("{new}\n1 warning as before (`communities check` prints every one)\n")
        );
    }

    #[test]
    fn the_error_page_escapes_messages() {
        let problem = Diagnostic::error("content/<a>.md", 3, 1, "bad <b>value</b> & more")
            .with_hint("write \"x\"");
        let page = error_page(&[problem], None, None);
        assert!(page.contains("<code>content/&lt;a&gt;.md:3:1</code> error"));
        assert!(page.contains("bad &lt;b&gt;value&lt;"));
        assert!(page.contains("&amp; more"));
        assert!(!page.contains("<b>"));
    }

    #[test]
    fn the_error_page_quotes_the_source_line_with_a_caret_as_check_does() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("content")).unwrap();
        std::fs::write(
            site.path().join("content/a.md"),
            "---\ntitle: A\narea:charnwood <b>\n---\n",
        )
        .unwrap();
        let problem = Diagnostic::error("content/a.md", 3, 6, "a colon needs a space after it");
        let page = error_page(std::slice::from_ref(&problem), None, Some(site.path()));
        let expected = SourceLines::new(site.path())
            .excerpt(&problem)
            .unwrap()
            .to_string();
        assert!(expected.contains("area:charnwood <b>"), "{expected}");
        assert!(page.contains(&format!(
            "<pre class=\"communities-excerpt\">{}</pre>",
            escape(&expected)
        )));
        assert!(!page.contains("<b>"), "{page}");
    }

    fn preview() -> Preview {
        let mut files = Files::default();
        files.insert(
            "index.html".into(),
            Arc::from(&b"<html><head></head><body>home</body></html>"[..]),
        );
        files.insert(
            "a/index.html".into(),
            Arc::from(&b"<html><head></head><body>a</body></html>"[..]),
        );
        files.insert(
            "404.html".into(),
            Arc::from(&b"<html><head></head><body>lost</body></html>"[..]),
        );
        Preview::new(
            files,
            IpAddr::from([127, 0, 0, 1]),
            &["preview.lan".to_string()],
        )
    }

    fn status_of(answer: &[u8]) -> u16 {
        String::from_utf8_lossy(answer)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn only_local_and_named_hosts_are_answered() {
        let preview = preview();
        for (host, status) in [
            ("localhost:1111", 200),
            ("LOCALHOST", 200),
            ("127.0.0.1:1111", 200),
            ("127.1.2.3", 200),
            ("[::1]:1111", 200),
            ("preview.lan:1111", 200),
            ("evil.example", 403),
            ("evil.example:1111", 403),
            ("localhost.evil.example", 403),
            ("10.0.0.5:1111", 403),
            ("[::1]@evil.example", 403),
            ("0:0:0:0:0:0:0:1", 403),
        ] {
            let answer = preview
                .respond_to_bytes(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
            assert_eq!(status_of(&answer), status, "{host}");
        }
        let answer = preview.respond_to_bytes(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(status_of(&answer), 403, "no Host header");
    }

    #[test]
    fn bodies_and_oversized_heads_are_refused_unread() {
        let preview = preview();
        let answer = preview.respond_to_bytes(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999\r\n\r\n",
        );
        assert_eq!(status_of(&answer), 413);
        let answer = preview.respond_to_bytes(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert_eq!(status_of(&answer), 413);
        let long = format!(
            "GET /{} HTTP/1.1\r\nHost: localhost\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(
            parse_head(long.as_bytes()),
            Head::Refused(431, "The request head is too long.\n")
        );
        assert_eq!(parse_head(&long.as_bytes()[..1000]), Head::Partial);
        let many: String = (0..100).map(|i| format!("X-{i}: y\r\n")).collect();
        let answer = preview.respond_to_bytes(
            format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}\r\n").as_bytes(),
        );
        assert_eq!(status_of(&answer), 431);
    }

    #[test]
    fn only_the_editors_saves_may_have_a_body_and_only_up_to_its_limit() {
        let save = |length: usize| {
            format!(
                "POST /__communities/cms HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n"
            )
        };
        match parse_head(save(12).as_bytes()) {
            Head::Complete(request, _) => assert_eq!(request.body_length, 12),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_head(save(cms_backend::MAX_BODY + 1).as_bytes()),
            Head::Refused(413, "Requests with a body are not served.\n")
        );
        assert_eq!(
            parse_head(b"POST /admin/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n"),
            Head::Refused(413, "Requests with a body are not served.\n")
        );
        // Without an editor, a save is not served, and the body after it is not taken for a
        // request of its own.
        let mut bytes = save(2).into_bytes();
        bytes.extend_from_slice(b"{}");
        let answer = preview().respond_to_bytes(&bytes);
        assert_eq!(status_of(&answer), 405);
        assert_eq!(
            String::from_utf8_lossy(&answer).matches("HTTP/1.1").count(),
            1
        );
    }

    #[test]
    fn pipelined_requests_are_answered_in_order() {
        let preview = preview();
        let answer = preview.respond_to_bytes(
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\nHEAD /a/ HTTP/1.1\r\nHost: localhost\r\n\r\nGET /nowhere/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&answer);
        let statuses: Vec<&str> = text
            .match_indices("HTTP/1.1 ")
            .map(|(at, _)| &text[at + 9..at + 12])
            .collect();
        assert_eq!(statuses, ["200", "200", "404"], "{text}");
        assert!(text.contains("home") && text.contains("lost") && !text.contains(">a<"));
    }

    #[test]
    fn pages_shown_first_are_served_until_the_rebuild_ends_and_remember_what_was_viewed() {
        let preview = preview();
        let get = |path: &str| {
            String::from_utf8_lossy(&preview.respond_to_bytes(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
            ))
            .into_owned()
        };
        assert!(get("/a/").contains("<body>a</body>"));
        get("/");
        assert_eq!(preview.viewed(), ["index.html", "a/index.html"]);
        let first = FirstPages {
            files: Files::from([(
                "a/index.html".to_string(),
                Arc::from(&b"<html><head></head><body>a, edited</body></html>"[..]),
            )]),
            removed: vec!["index.html".to_string()],
            rendered: 1,
            css_only: false,
            provisional: None,
        };
        let generation = lock(&preview.live.state).generation;
        preview.publish_first(first, Instant::now());
        assert_eq!(lock(&preview.live.state).generation, generation + 1);
        assert!(get("/a/").contains("a, edited"));
        assert_eq!(status_of(get("/").as_bytes()), 404);
        // A rebuild that changes nothing still puts its pages back in their place.
        let unchanged = Outcome {
            files: read_lock(&preview.current).files.clone(),
            changed: Vec::new(),
            rendered: 0,
            css_only: false,
            warnings: Arc::from([]),
            sources: Arc::default(),
        };
        preview.publish(Ok(unchanged), Instant::now());
        assert_eq!(lock(&preview.live.state).generation, generation + 2);
        assert!(get("/a/").contains("<body>a</body>"));
        assert!(get("/").contains("home"));
    }

    #[test]
    fn an_edit_shown_first_and_rebuilt_the_same_reloads_its_page_once_and_no_other() {
        let preview = preview();
        let edited: Arc<[u8]> = Arc::from(&b"<html><head></head><body>a, edited</body></html>"[..]);
        let seen = lock(&preview.live.state).generation;
        let event = |page: Option<&str>, seen: u64| lock(&preview.live.state).event_for(page, seen);
        preview.publish_first(
            FirstPages {
                files: Files::from([("a/index.html".to_string(), edited.clone())]),
                removed: Vec::new(),
                rendered: 1,
                css_only: false,
                provisional: None,
            },
            Instant::now(),
        );
        let reloaded = lock(&preview.live.state).generation;
        assert_eq!(event(Some("a/index.html"), seen), Some(Event::Reload));
        assert_eq!(event(Some("index.html"), seen), None);
        // A page whose path is not known (a missing page's answer) reloads on any change.
        assert_eq!(event(None, seen), Some(Event::Reload));

        let mut files = (*read_lock(&preview.current).files).clone();
        files.insert("a/index.html".to_string(), edited);
        files.insert("feed.xml".to_string(), Arc::from(&b"<feed/>"[..]));
        let rebuilt = Outcome {
            files: Arc::new(files),
            changed: vec!["a/index.html".to_string(), "feed.xml".to_string()],
            rendered: 1,
            css_only: false,
            warnings: Arc::from([]),
            sources: Arc::default(),
        };
        preview.publish(Ok(rebuilt), Instant::now());
        assert_eq!(event(Some("a/index.html"), reloaded), None);
        assert_eq!(event(Some("feed.xml"), reloaded), Some(Event::Reload));
        // A page that missed the first reload still gets one.
        assert_eq!(event(Some("a/index.html"), seen), Some(Event::Reload));
        assert_eq!(event(Some("index.html"), seen), None);

        // Warnings show on every page.
        let warned = Outcome {
            files: read_lock(&preview.current).files.clone(),
            changed: Vec::new(),
            rendered: 0,
            css_only: false,
            warnings: Arc::from([Diagnostic::warning("content/a.md", 1, 1, "a warning")]),
            sources: Arc::default(),
        };
        let before = lock(&preview.live.state).generation;
        preview.publish(Ok(warned), Instant::now());
        assert_eq!(event(Some("index.html"), before), Some(Event::Reload));
    }

    #[test]
    fn open_pages_swap_stylesheets_unless_their_content_changed_or_they_are_far_behind_or_older_than_the_server()
     {
        let mut live = LiveState::default();
        assert_eq!(live.event_for(Some("a.html"), 0), None);
        assert_eq!(
            live.event_for(Some("a.html"), 9),
            Some(Event::Reload),
            "a page served by an earlier run"
        );
        live.advance(Change::Styles);
        assert_eq!(live.event_for(Some("a.html"), 0), Some(Event::SwapStyles));
        assert_eq!(live.event_for(Some("a.html"), 1), None);
        live.advance(Change::Pages(Arc::new(HashSet::from([
            "b.html".to_string()
        ]))));
        assert_eq!(live.event_for(Some("a.html"), 0), Some(Event::SwapStyles));
        assert_eq!(live.event_for(Some("b.html"), 0), Some(Event::Reload));
        assert_eq!(live.event_for(Some("a.html"), 1), None);
        live.advance(Change::Everything);
        assert_eq!(live.event_for(Some("a.html"), 2), Some(Event::Reload));
        for _ in 0..CHANGES_KEPT {
            live.advance(Change::Pages(Arc::default()));
        }
        assert_eq!(live.event_for(Some("a.html"), 3), None);
        assert_eq!(live.event_for(Some("a.html"), 2), Some(Event::Reload));
    }

    #[test]
    fn a_page_added_and_removed_before_the_rebuild_ends_is_no_longer_served() {
        let preview = preview();
        let get = |path: &str| {
            preview.respond_to_bytes(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
            )
        };
        let shown_first = |files: Files| FirstPages {
            rendered: files.len(),
            files,
            removed: Vec::new(),
            css_only: false,
            provisional: None,
        };
        let added = Files::from([(
            "new/index.html".to_string(),
            Arc::from(&b"<html><head></head><body>new</body></html>"[..]),
        )]);
        preview.publish_first(shown_first(added), Instant::now());
        assert_eq!(status_of(&get("/new/")), 200);
        // The next edit removed it: what it shows first no longer has the page.
        preview.publish_first(shown_first(Files::new()), Instant::now());
        assert_eq!(status_of(&get("/new/")), 404);
    }

    #[test]
    fn a_failed_rebuild_breaks_only_its_own_pages() {
        let preview = preview();
        {
            let mut current = write_lock(&preview.current);
            current.sources = Arc::new(HashMap::from([
                ("index.html".to_string(), PathBuf::from("content/_index.md")),
                ("a/index.html".to_string(), PathBuf::from("content/a.md")),
            ]));
            current.problems =
                Some(vec![Diagnostic::error("content/a.md", 2, 1, "bad date")].into());
        }
        let get = |path: &str| {
            String::from_utf8_lossy(&preview.respond_to_bytes(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
            ))
            .into_owned()
        };
        let broken = get("/a/");
        assert_eq!(status_of(broken.as_bytes()), 500);
        assert!(broken.contains("<code>content/a.md:2:1</code> error"));
        let other = get("/");
        assert_eq!(status_of(other.as_bytes()), 200);
        assert!(other.contains("home"));
        assert!(other.contains("communities-panel-failed"));
        assert!(other.contains("<code>content/a.md:2:1</code> error"));
    }
}
