//! `communities serve` as authors use it: started on a free port, edited, broken and fixed,
//! asked for paths outside the site, and asked many things at once.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{fixture, read, write};

/// Long enough for a slow machine; polls end as soon as the condition holds.
const DEADLINE: Duration = Duration::from_secs(20);
const CASE_STUDY: &str = "content/case-studies/croft-community-fridge.md";

/// A running `communities serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    /// Lines the server prints after its address.
    output: mpsc::Receiver<String>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_communities"));
        command.args(["serve", "--port", "0", "--root"]).arg(root);
        Server::start_command(command)
    }

    /// Starts `serve` with at most `limit` open files, as a busy machine might allow.
    fn start_with_file_limit(root: &Path, limit: u32) -> Server {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -n {limit} && exec \"$0\" serve --port 0 --root \"$1\""
            ))
            .arg(env!("CARGO_BIN_EXE_communities"))
            .arg(root);
        Server::start_command(command)
    }

    fn start_command(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let (lines, output) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = lines.send(line);
                }
            });
        }
        let started = Instant::now();
        let url = loop {
            let line = output
                .recv_timeout(DEADLINE.saturating_sub(started.elapsed()))
                .expect("serve prints its address");
            if let Some(at) = line.find("http://") {
                let url = line[at..].split_whitespace().next().unwrap();
                break url.trim_end_matches('/').to_string();
            }
        };
        Server { child, url, output }
    }

    fn get(&self, path: &str) -> (u16, String, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut response = agent
            .get(format!("{}{path}", self.url))
            .call()
            .expect("the server answers");
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        (response.status().as_u16(), content_type, body)
    }

    /// Polls `path` until its body satisfies `done`, and returns that body.
    fn wait_for(&self, path: &str, done: impl Fn(u16, &str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let (status, _, body) = self.get(path);
            if done(status, &body) {
                return body;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{path} never changed as expected; last answer {status}:\n{body}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// Waits for a line the server prints that starts with `start`, and returns it.
    fn printed(&self, start: &str) -> String {
        let started = Instant::now();
        loop {
            let line = self
                .output
                .recv_timeout(DEADLINE.saturating_sub(started.elapsed()))
                .unwrap_or_else(|_| panic!("serve never printed {start:?}"));
            if line.starts_with(start) {
                return line;
            }
        }
    }

    /// The generation the page at `path` is served at, and its live-reload events as the
    /// page itself asks for them.
    fn open(&self, path: &str) -> (u64, Events) {
        let (_, _, page) = self.get(path);
        let query = page
            .split_once("/__communities/reload.js?")
            .and_then(|(_, rest)| rest.split_once('"'))
            .expect("the page has the live-reload script")
            .0
            .replace("&amp;", "&");
        let since = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("since="))
            .and_then(|n| n.parse().ok())
            .expect("the script names its generation");
        (since, self.events(&query))
    }

    /// A live-reload event stream asked for with `query`.
    fn events(&self, query: &str) -> Events {
        let mut stream = TcpStream::connect(self.address()).unwrap();
        write!(
            stream,
            "GET /__communities/events?{query} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.address()
        )
        .unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut events = Events(BufReader::new(stream));
        let mut line = String::new();
        events.0.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        events
    }

    /// Sends `request` as written on a new connection and reads the answer until it closes.
    fn raw(&self, request: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address()).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, answer)
    }

    /// Polls the home page until it answers 200, within the deadline.
    fn wait_until_answering(&self) -> Duration {
        let started = Instant::now();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address()
        );
        loop {
            if self.raw(&request).0 == 200 {
                return started.elapsed();
            }
            assert!(started.elapsed() < DEADLINE, "the server stopped answering");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn raw_get(&self, target: &str) -> (u16, String) {
        self.raw_get_method("GET", target)
    }

    /// Sends the request line as written, without a client normalising the path first.
    fn raw_get_method(&self, method: &str, target: &str) -> (u16, String) {
        let address = self.address();
        self.raw(&format!(
            "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Saves as many editors do: write a temporary file beside it, then rename it over the file.
fn save_by_rename(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let temporary = path.with_extension("md.tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
}

#[test]
fn an_edit_saved_by_rename_is_served_with_the_reload_script() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let (status, content_type, body) = server.get("/case-studies/croft-community-fridge/");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(body.contains(r#"<script src="/__communities/reload.js?since="#));

    let text = read(site.path(), CASE_STUDY).replace("## The starting point", "## Where it began");
    save_by_rename(site.path(), CASE_STUDY, &text);
    server.wait_for("/case-studies/croft-community-fridge/", |_, body| {
        body.contains("Where it began")
    });

    let (status, content_type, script) = server.get("/__communities/reload.js");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/javascript; charset=utf-8");
    assert!(script.contains("EventSource"));
}

#[test]
fn files_the_site_ignores_saved_beside_a_page_rebuild_nothing() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    // What editors write beside a page before renaming it over the page, or keep as backups.
    write(
        site.path(),
        "content/case-studies/.croft-community-fridge.md.saving",
        "draft",
    );
    write(
        site.path(),
        "content/case-studies/croft-community-fridge.md~",
        "backup",
    );
    std::thread::sleep(Duration::from_millis(500));
    let text = read(site.path(), CASE_STUDY).replace("## The starting point", "## Where it began");
    write(site.path(), CASE_STUDY, &text);
    let rebuilt = server.printed("Rebuilt in");
    assert!(rebuilt.ends_with(": 1 file changed"), "{rebuilt}");
}

#[test]
fn drafts_are_served_and_the_build_output_has_no_reload_script() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let (status, _, _) = server.get("/case-studies/unfinished-draft/");
    assert_eq!(status, 200);
    let output = site.path().join("public");
    let built = common::run("build", site.path(), &[]);
    assert!(built.status.success(), "{}", common::stderr(&built));
    let home = std::fs::read_to_string(output.join("index.html")).unwrap();
    assert!(!home.contains("__communities"));
}

#[test]
fn broken_front_matter_shows_the_error_until_it_is_fixed() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let good = read(site.path(), CASE_STUDY);
    write(
        site.path(),
        CASE_STUDY,
        "---\ntitle: \"<b>Croft</b>\"\ndate: 2023-13-45\n---\nBody\n",
    );
    let error = server.wait_for("/case-studies/croft-community-fridge/", |status, _| {
        status == 500
    });
    assert!(
        error.contains("content/case-studies/croft-community-fridge.md:3:"),
        "{error}"
    );
    assert!(error.contains("reload.js"));
    assert!(!error.contains("<b>Croft</b>"));
    // The other pages stay as last built, with a banner naming the broken file.
    let (status, _, about) = server.get("/about/");
    assert_eq!(status, 200);
    assert!(about.contains("communities-panel-failed"), "{about}");
    assert!(
        about.contains("<code>content/case-studies/croft-community-fridge.md:3:"),
        "{about}"
    );
    assert!(about.contains(r#"<script src="/__communities/panel.js" defer></script>"#));

    let fixed = good.replace("## What happened", "## What we did");
    write(site.path(), CASE_STUDY, &fixed);
    server.wait_for("/case-studies/croft-community-fridge/", |status, body| {
        status == 200 && body.contains("What we did")
    });
    let (status, _, about) = server.get("/about/");
    assert_eq!(status, 200);
    assert!(!about.contains("communities-panel"), "{about}");
}

#[test]
fn open_pages_show_the_current_warnings_in_a_panel_served_as_files() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let text = read(site.path(), CASE_STUDY).replace(
        "## What happened",
        "<script>alert(\"<i>x</i>\")</script>\n\n## What happened",
    );
    write(site.path(), CASE_STUDY, &text);
    let page = server.wait_for("/about/", |_, body| body.contains("communities-panel"));
    assert!(page.contains("warning to look at"), "{page}");
    assert!(
        page.contains("<code>content/case-studies/croft-community-fridge.md:"),
        "{page}"
    );
    assert!(
        !page.contains("<i>x</i>"),
        "the panel escapes what it shows"
    );
    assert!(page.contains(r#"<link rel="stylesheet" href="/__communities/panel.css">"#));
    let (status, content_type, css) = server.get("/__communities/panel.css");
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/css; charset=utf-8")
    );
    assert!(css.contains(".communities-panel"));
    let (status, _, script) = server.get("/__communities/panel.js");
    assert_eq!(status, 200);
    assert!(script.contains("communities-panel-close"));
}

#[test]
fn new_folders_deleted_pages_and_renamed_folders_are_followed() {
    let site = fixture("serve");
    let root = site.path();
    let server = Server::start(root);
    write(
        root,
        "content/projects/_index.md",
        "---\ntitle: Projects\n---\n\nOur projects.\n",
    );
    write(
        root,
        "content/projects/orchard.md",
        "---\ntitle: Community orchard\n---\n\nApples for everyone.\n",
    );
    server.wait_for("/projects/orchard/", |status, body| {
        status == 200 && body.contains("Apples for everyone")
    });

    std::fs::rename(
        root.join("content/resources/noticeboard"),
        root.join("content/resources/parish-noticeboard"),
    )
    .unwrap();
    server.wait_for(
        "/resources/parish-noticeboard/poster.txt",
        |status, body| status == 200 && body.contains("NOTICES"),
    );
    let (status, _, _) = server.get("/resources/noticeboard/");
    assert_eq!(status, 404);

    std::fs::remove_file(root.join("content/about.md")).unwrap();
    server.wait_for("/about/", |status, _| status == 404);
}

#[test]
fn a_theme_folder_made_while_serving_is_followed_from_its_first_file() {
    let site = fixture("serve");
    let root = site.path();
    assert!(
        !root.join("themes").exists(),
        "the fixture has no theme of its own"
    );
    let server = Server::start(root);
    // Made in one go, before the new folder can be watched.
    write(
        root,
        "themes/default/templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<p>Nothing here, sorry</p>{% endblock content %}",
    );
    server.wait_for("/no-such-page/", |status, body| {
        status == 404 && body.contains("Nothing here, sorry")
    });
}

#[test]
fn paths_outside_the_site_are_never_served() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("site");
    common::copy_dir(&common::fixtures().join("serve"), &root);
    std::fs::write(parent.path().join("secret.txt"), "SECRET-OUTSIDE").unwrap();
    let server = Server::start(&root);
    for target in [
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/images/..%2f..%2fsecret.txt",
        "/images%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/images\\..\\..\\secret.txt",
        "//etc/passwd",
        "/../site.yaml",
        "/site.yaml",
        "/content/about.md",
        "/%00",
    ] {
        let (status, answer) = server.raw_get(target);
        assert!(status == 400 || status == 404, "{target} answered {status}");
        assert!(!answer.contains("SECRET-OUTSIDE"), "{target} leaked a file");
        assert!(!answer.contains("base_url"), "{target} leaked site.yaml");
    }
}

/// The site's stylesheet as the home page links it: its name carries a hash of its content.
fn stylesheet(server: &Server) -> String {
    let (_, _, home) = server.get("/");
    let start = home.find("href=\"/style.").expect("a stylesheet link") + "href=\"".len();
    let end = start + home[start..].find('"').expect("the link's end");
    home[start..end].to_string()
}

#[test]
fn content_types_head_redirects_and_the_sites_404_page() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let stylesheet = stylesheet(&server);
    let (status, content_type, css) = server.get(&stylesheet);
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/css; charset=utf-8")
    );
    assert!(!css.is_empty());
    let (status, content_type, _) = server.get("/images/photo-01.png");
    assert_eq!((status, content_type.as_str()), (200, "image/png"));

    let (status, content_type, body) = server.get("/no/such/page/");
    assert_eq!(
        (status, content_type.as_str()),
        (404, "text/html; charset=utf-8")
    );
    assert!(body.contains("<h1>Page not found</h1>"), "{body}");

    let (status, head) = server.raw_get_method("HEAD", &stylesheet);
    assert_eq!(status, 200);
    assert!(
        head.contains(&format!("Content-Length: {}", css.len())),
        "{head}"
    );
    assert!(head.ends_with("\r\n\r\n"), "HEAD sent a body: {head}");

    let (status, redirect) = server.raw_get("/about");
    assert_eq!(status, 301);
    assert!(redirect.contains("Location: /about/"), "{redirect}");
}

/// Within the server's limit of open connections (128), which
/// `idle_connections_are_bounded_and_serving_resumes_when_they_go` goes past.
#[test]
fn two_hundred_requests_on_a_hundred_concurrent_connections_all_succeed() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let url = server.url.clone();
    let stylesheet = stylesheet(&server);
    let paths = ["/", "/case-studies/", &stylesheet, "/tags/", "/about/"];
    let threads: Vec<_> = (0..100)
        .map(|n| {
            let urls: Vec<String> = [n, n + 100]
                .iter()
                .map(|i| format!("{url}{}", paths[i % paths.len()]))
                .collect();
            std::thread::spawn(move || {
                // One agent keeps its connection open for the second request.
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                urls.iter()
                    .map(|url| {
                        agent
                            .get(url)
                            .call()
                            .map(|r| r.status().as_u16())
                            .unwrap_or(0)
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
}

#[test]
fn open_pages_are_told_to_reload_after_an_edit() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    // Without its page's path, as a page of an older preview asks.
    let mut events = server.events("");

    let text = read(site.path(), CASE_STUDY).replace("## What happened", "## What we did");
    write(site.path(), CASE_STUDY, &text);
    let started = Instant::now();
    while events.next().0 != "reload" {
        assert!(started.elapsed() < DEADLINE, "no reload event");
    }
}

/// An open page's live-reload event stream.
struct Events(BufReader<TcpStream>);

impl Events {
    /// The next event's name and the generation it tells of.
    fn next(&mut self) -> (String, u64) {
        let mut name = None;
        let mut line = String::new();
        loop {
            line.clear();
            self.0.read_line(&mut line).expect("an event arrives");
            assert!(!line.is_empty(), "the event stream ended");
            if let Some(event) = line.trim().strip_prefix("event: ") {
                name = Some(event.to_string());
            } else if let Some(data) = line.trim().strip_prefix("data: ") {
                let name = name.take().expect("an event names itself before its data");
                return (name, data.parse().expect("the data is a generation"));
            }
        }
    }
}

#[test]
fn an_edit_reloads_the_open_pages_it_changed_once_and_leaves_the_others_alone() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let (_, mut case_study) = server.open("/case-studies/croft-community-fridge/");
    let (_, mut about) = server.open("/about/");

    let text = read(site.path(), CASE_STUDY).replace("## What happened", "## What we did");
    write(site.path(), CASE_STUDY, &text);
    assert_eq!(case_study.next().0, "reload");
    server.printed("Rebuilt in");
    // Pages are told of a rebuild before it is printed: a page opened now is served after it.
    let (rebuilt, _) = server.open("/about/");

    let about_file = "content/about.md";
    write(
        site.path(),
        about_file,
        &format!("{}\nOne more line.\n", read(site.path(), about_file)),
    );
    let (event, generation) = about.next();
    assert_eq!(event, "reload");
    assert!(
        generation > rebuilt,
        "the about page was told to reload for the case study's edit (generation {generation})"
    );
    // The case study was shown first and then rebuilt the same: it reloaded once.
    write(
        site.path(),
        CASE_STUDY,
        &text.replace("## What we did", "## What we do"),
    );
    let (event, generation) = case_study.next();
    assert_eq!(event, "reload");
    assert!(
        generation > rebuilt,
        "the case study reloaded twice for one edit"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let site = fixture("serve");
    let mut server = Server::start(site.path());
    let interrupted = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < DEADLINE, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let printed: Vec<String> = server.output.try_iter().collect();
    assert!(printed.iter().any(|l| l == "Stopped"), "{printed:?}");
}

#[test]
fn a_huge_content_length_is_refused_unread_and_serving_goes_on() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let address = server.address();
    let (status, _) = server.raw(&format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Length: 99999999999999\r\n\r\n"
    ));
    assert_eq!(status, 413);
    let (status, _) = server.raw(&format!(
        "GET /{} HTTP/1.1\r\nHost: {address}\r\n\r\n",
        "a".repeat(64 * 1024)
    ));
    assert_eq!(status, 431);
    server.wait_until_answering();
}

#[test]
fn only_local_host_names_are_answered() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let port = server.address().rsplit(':').next().unwrap().to_string();
    for (host, expected) in [
        (format!("localhost:{port}"), 200),
        (format!("127.0.0.1:{port}"), 200),
        (format!("rebind.attacker.example:{port}"), 403),
    ] {
        let (status, answer) = server.raw(&format!(
            "GET /case-studies/unfinished-draft/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(status, expected, "{host}: {answer}");
    }
}

#[test]
fn idle_connections_are_bounded_and_serving_resumes_when_they_go() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let idle: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect(server.address()).ok())
        .collect();
    assert!(idle.len() > 200);
    // Past the limit a new connection is answered at once, not left hanging.
    let started = Instant::now();
    let (status, _) = server.raw(&format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.address()
    ));
    assert!(status == 503 || status == 200, "{status}");
    assert!(started.elapsed() < DEADLINE);
    drop(idle);
    server.wait_until_answering();
}

#[test]
fn running_out_of_file_descriptors_does_not_stop_accepting() {
    let site = fixture("serve");
    let server = Server::start_with_file_limit(site.path(), 96);
    server.wait_until_answering();
    let idle: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect(server.address()).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    drop(idle);
    server.wait_until_answering();
    let printed: Vec<String> = server.output.try_iter().collect();
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("accepting a connection failed, retrying")),
        "the limit was never reached: {printed:?}"
    );
}

#[test]
fn a_client_that_pipelines_and_never_reads_stalls_only_itself() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let address = server.address();
    let mut greedy = TcpStream::connect(&address).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n");
    // Far more answers than the socket buffers hold; the writes stop when they are full.
    for _ in 0..20_000 {
        if greedy.write_all(request.as_bytes()).is_err() {
            break;
        }
    }
    let took = server.wait_until_answering();
    assert!(took < Duration::from_secs(5), "others waited {took:?}");
    drop(greedy);
}

#[test]
fn closed_live_reload_streams_are_freed_promptly() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let address = server.address();
    // As many open pages as the server takes connections, all closed at once.
    let streams: Vec<TcpStream> = (0..128)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).unwrap();
            write!(
                stream,
                "GET /__communities/events HTTP/1.1\r\nHost: {address}\r\n\r\n"
            )
            .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    drop(streams);
    // Well before the 15 s keep-alive message would have noticed.
    let took = server.wait_until_answering();
    assert!(took < Duration::from_secs(5), "freed after {took:?}");
}

#[test]
fn an_idle_connection_is_closed_by_the_server() {
    let site = fixture("serve");
    let server = Server::start(site.path());
    let mut idle = TcpStream::connect(server.address()).unwrap();
    idle.set_read_timeout(Some(DEADLINE)).unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    // Closed without an answer: the read ends, and well before the test's deadline.
    assert_eq!(idle.read(&mut byte).unwrap_or(0), 0);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(19),
        "{waited:?}"
    );
}

#[test]
fn a_body_edit_keeps_the_warnings_of_the_other_pages_in_the_panel() {
    let site = fixture("serve");
    let root = site.path();
    let about =
        read(root, "content/about.md").replace("\n---\n", "\n---\n\n<script>alert(1)</script>\n");
    write(root, "content/about.md", &about);
    let server = Server::start(root);
    server.wait_for("/about/", |_, body| body.contains("communities-panel"));

    let text = read(root, CASE_STUDY).replace("## What happened", "## What we did");
    write(root, CASE_STUDY, &text);
    server.wait_for("/case-studies/croft-community-fridge/", |_, body| {
        body.contains("What we did")
    });
    let (_, _, page) = server.get("/about/");
    assert!(page.contains("communities-panel"), "{page}");
}
