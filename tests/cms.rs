//! The content editor: the `/admin/` files a build writes, their agreement with the content
//! models and the JSON Schemas, and `serve`'s local backend that saves entries only when they
//! pass `check`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{fixture, read, run, stderr, write};
use communities::cms::{self, CDN_INTEGRITY, CDN_SCRIPT, DECAP_VERSION, LOCAL_API};
use communities::cms_backend::{self, Incoming, Reply};
use communities::models::{Kind, display_name};
use communities::pipeline::{self, Options};
use communities::schema;
use serde_json::{Value, json};

const CMS_SECTION: &str =
    "cms:\n  backend: github\n  repo: leicestershire/communities\n  branch: main\n";

/// A copy of the `kinds` fixture with a `cms:` section.
fn with_cms() -> tempfile::TempDir {
    let site = fixture("kinds");
    let config = read(site.path(), "site.yaml");
    write(site.path(), "site.yaml", &format!("{config}{CMS_SECTION}"));
    site
}

/// `with_cms()`, built into `public/`.
fn built_with_cms() -> tempfile::TempDir {
    let site = with_cms();
    build(site.path());
    site
}

fn build(root: &Path) {
    let options = Options {
        root: root.to_path_buf(),
        ..Options::default()
    };
    if let Err(problems) = pipeline::build(&options) {
        panic!("the build failed: {problems:#?}");
    }
}

fn config_yml(root: &Path) -> Value {
    serde_yaml::from_str(&read(root, "public/admin/config.yml")).expect("config.yml is YAML")
}

/// The kind of page each collection (or file of the pages collection) edits, with its form.
fn forms(config: &Value) -> Vec<(String, Kind, Vec<Value>)> {
    let mut forms = Vec::new();
    for collection in config["collections"].as_array().unwrap() {
        let fields = |c: &Value| c["fields"].as_array().unwrap().clone();
        if let Some(files) = collection["files"].as_array() {
            for file in files {
                let path = file["file"].as_str().unwrap();
                let kind = Kind::for_path(path.strip_prefix("content/").unwrap());
                forms.push((path.to_string(), kind, fields(file)));
            }
            continue;
        }
        let folder = collection["folder"].as_str().unwrap();
        let sample = match collection["path"].as_str() {
            Some(path) => format!("{folder}/{}.md", path.replace("{{slug}}", "x")),
            None => format!("{folder}/x.md"),
        };
        let kind = Kind::for_path(sample.strip_prefix("content/").unwrap());
        forms.push((folder.to_string(), kind, fields(collection)));
    }
    forms
}

/// The schema's values of an `enum`, without the `null` an optional field allows.
fn enum_values(property: &Value) -> Vec<Value> {
    let values = property
        .get("enum")
        .or_else(|| property["items"].get("enum"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    values.into_iter().filter(|v| !v.is_null()).collect()
}

fn types(property: &Value) -> BTreeSet<String> {
    match &property["type"] {
        Value::String(t) => [t.clone()].into(),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(String::from)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// Form fields and a schema's object agree: the same names, and the same ones required.
fn same_fields(fields: &[&Value], object: &Value, what: &str) {
    let names = |required_only: bool| -> BTreeSet<&str> {
        fields
            .iter()
            .filter(|f| !required_only || f["required"] == true)
            .map(|f| f["name"].as_str().unwrap())
            .collect()
    };
    let properties: BTreeSet<&str> = object["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let required: BTreeSet<&str> = object["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names(false), properties, "{what}: the fields");
    assert_eq!(names(true), required, "{what}: the required fields");
}

#[test]
fn generated_config_agrees_with_the_schemas_in_every_field_required_flag_and_choice() {
    let site = built_with_cms();
    let config = config_yml(site.path());
    let forms = forms(&config);
    let kinds: BTreeSet<Kind> = forms.iter().map(|(_, kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            Kind::Page,
            Kind::CaseStudy,
            Kind::Resource,
            Kind::ReportYear,
            Kind::ReportSection
        ]),
        "every kind can be edited"
    );
    for (place, kind, fields) in &forms {
        let schema = schema::schema(*kind);
        let properties = schema["properties"].as_object().unwrap();
        let (body, front_matter): (Vec<&Value>, Vec<&Value>) =
            fields.iter().partition(|f| f["name"] == "body");
        assert_eq!(body.len(), 1, "{place}: the Markdown body");
        assert_eq!(body[0]["widget"], "markdown");

        same_fields(
            &front_matter,
            &schema,
            &format!("{place}, a {}", kind.name()),
        );

        for field in &front_matter {
            let name = field["name"].as_str().unwrap();
            let property = &properties[name];
            let kinds = types(property);
            let what = format!("{place}: {name}");
            match field["widget"].as_str().unwrap() {
                "select" => {
                    let values: Vec<Value> = field["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o["value"].clone())
                        .collect();
                    assert_eq!(values, enum_values(property), "{what}: options");
                    assert_eq!(
                        field["multiple"] == true,
                        kinds.contains("array"),
                        "{what}: single or multiple"
                    );
                    let taxonomy = communities::models::TAXONOMIES
                        .iter()
                        .find(|t| t.field == name);
                    for option in field["options"].as_array().unwrap() {
                        let value = option["value"].as_str().unwrap();
                        assert_ne!(option["label"], option["value"], "{what}: a display name");
                        if let Some(taxonomy) = taxonomy {
                            assert_eq!(option["label"], display_name(taxonomy.choices, value));
                        }
                    }
                }
                "datetime" => {
                    assert_eq!(property["format"], "date", "{what}");
                    assert_eq!(field["format"], "YYYY-MM-DD", "{what}");
                    assert_eq!(field["time_format"], false, "{what}");
                }
                "boolean" => assert!(kinds.contains("boolean"), "{what}"),
                "number" => {
                    assert_eq!(kinds, BTreeSet::from(["integer".to_string()]), "{what}");
                    assert_eq!(field["value_type"], "int", "{what}");
                }
                "image" => assert_eq!(name, "image", "{what}"),
                "list" if field.get("fields").is_some() => {
                    let keys: Vec<&Value> = field["fields"].as_array().unwrap().iter().collect();
                    same_fields(&keys, &property["items"], &format!("{what}, each record"));
                }
                "list" => {
                    assert!(kinds.contains("array"), "{what}");
                    assert!(property["items"].get("properties").is_none(), "{what}");
                }
                "string" => {
                    assert!(
                        kinds.contains("string") && !kinds.contains("array"),
                        "{what}"
                    );
                    assert!(property.get("enum").is_none(), "{what}");
                    if let Some(pattern) = property.get("pattern").filter(|p| *p != "\\S") {
                        assert_eq!(&field["pattern"][0], pattern, "{what}: the same pattern");
                    }
                }
                other => panic!("{what}: unexpected widget {other}"),
            }
        }
    }
}

/// The item of a list whose `key` is `value`.
fn item<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i[key] == value)
        .unwrap_or_else(|| panic!("no item with {key} {value}"))
}

#[test]
fn collections_name_new_pages_as_new_does_and_keep_resources_as_bundles() {
    let site = built_with_cms();
    let config = config_yml(site.path());
    let collection = |name: &str| item(&config["collections"], "name", name).clone();
    let case_studies = collection("case-studies");
    assert_eq!(case_studies["folder"], "content/case-studies");
    assert_eq!(case_studies["slug"], "{{slug}}");
    assert_eq!(case_studies["fields"][0]["name"], "title");
    let resources = collection("resources");
    assert_eq!(resources["path"], "{{slug}}/index");
    assert_eq!(resources["media_folder"], "");
    let attachments = item(&resources["fields"], "name", "attachments");
    assert_eq!(attachments["fields"][0]["widget"], "file");
    let report = collection("annual-report-2020-21");
    assert_eq!(report["folder"], "content/annual-report/2020-21");
    assert_eq!(
        item(&report["fields"], "name", "year")["default"],
        "2020-21"
    );
    let pages = collection("pages");
    let about = item(&pages["files"], "file", "content/about.md");
    assert_eq!(about["label"], "About us (about.md)");
    let pages: Vec<&str> = pages["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(pages.contains(&"content/about.md"));
    assert!(pages.contains(&"content/annual-report/2020-21/_index.md"));
    assert!(
        !pages
            .iter()
            .any(|p| p.starts_with("content/case-studies/b"))
    );
    assert_eq!(config["backend"]["name"], "github");
    assert_eq!(config["backend"]["repo"], "leicestershire/communities");
    assert_eq!(config["publish_mode"], "editorial_workflow");
}

#[test]
fn a_page_at_the_editors_address_is_an_error_when_the_editor_is_on() {
    let site = with_cms();
    write(
        site.path(),
        "content/admin.md",
        "---\ntitle: Admin\n---\nText.\n",
    );
    let output = run("build", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "content/admin.md:1:1: error: this page would be published at /admin/, where the content editor is"
        ),
        "{}",
        stderr(&output)
    );
    assert!(!site.path().join("public").exists());
}

#[test]
fn without_a_cms_section_the_build_writes_no_admin_folder() {
    let site = fixture("kinds");
    build(site.path());
    assert!(site.path().join("public/index.html").exists());
    assert!(!site.path().join("public/admin").exists());
}

#[test]
fn the_admin_page_loads_the_pinned_editor_that_the_tests_install_and_netlify_allows() {
    let site = built_with_cms();
    let html = read(site.path(), "public/admin/index.html");
    assert!(html.contains(&format!(
        r#"<script src="{CDN_SCRIPT}" integrity="{CDN_INTEGRITY}" crossorigin="anonymous">"#
    )));
    assert!(CDN_SCRIPT.contains(&format!("@{DECAP_VERSION}/")));
    let preview = cms::preview_path();
    assert!(html.contains(&format!("/{preview}")));
    assert!(site.path().join("public").join(&preview).exists());

    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let package: Value = serde_json::from_str(&read(repo, "tests/browser/package.json")).unwrap();
    assert_eq!(package["devDependencies"]["decap-cms"], DECAP_VERSION);

    let netlify: toml::Table = read(repo, "netlify.toml").parse().unwrap();
    let policy_of = |path: &str| {
        netlify["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["for"].as_str() == Some(path))
            .and_then(|h| h["values"].get("Content-Security-Policy"))
            .and_then(|p| p.as_str())
            .unwrap_or_else(|| panic!("netlify.toml sets a policy for {path}"))
            .to_string()
    };
    let admin = policy_of("/admin/*");
    let origin = url::Url::parse(CDN_SCRIPT)
        .unwrap()
        .origin()
        .ascii_serialization();
    let script_src = admin
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .expect("a script-src for /admin/*");
    assert!(script_src.contains(&origin), "{script_src}");
    let site_wide = policy_of("/*");
    assert!(
        !site_wide.contains(&origin),
        "the rest of the site stays strict"
    );
    assert!(
        !site_wide.contains("unsafe"),
        "the rest of the site stays strict"
    );
}

fn call(root: &Path, action: &str, params: Value) -> Reply {
    let body = json!({"action": action, "params": params}).to_string();
    cms_backend::handle(root, &api_request(body.as_bytes()))
}

/// A request to the local backend as the editor in this machine's browser sends it.
fn api_request(body: &[u8]) -> Incoming<'_> {
    Incoming {
        method: "POST",
        path: LOCAL_API,
        content_type: Some("application/json; charset=utf-8"),
        from_loopback: true,
        body,
    }
}

fn get(root: &Path, path: &str) -> Reply {
    let request = Incoming {
        method: "GET",
        path,
        content_type: None,
        from_loopback: true,
        body: b"",
    };
    cms_backend::handle(root, &request)
}

fn answer(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).expect("the backend answers JSON")
}

fn case_study(title: &str, summary: Option<&str>) -> String {
    let summary = summary.map_or(String::new(), |s| format!("summary: {s}\n"));
    format!(
        "---\ntitle: \"{title}\"\n{summary}date: 2026-11-20\narea: charnwood\nprinciples:\n  - participation\n---\nPeople fix things together.\n"
    )
}

fn persist(root: &Path, path: &str, raw: &str) -> Reply {
    call(
        root,
        "persistEntry",
        json!({
            "dataFiles": [{"path": path, "slug": "x", "raw": raw}],
            "assets": [],
            "options": {"commitMessage": "Create", "useWorkflow": false, "status": ""},
        }),
    )
}

#[test]
fn the_local_backend_lists_entries_of_a_folder_without_its_section_page() {
    let site = fixture("kinds");
    let reply = call(site.path(), "info", json!({}));
    assert_eq!(answer(&reply)["publish_modes"], json!(["simple"]));
    let reply = call(
        site.path(),
        "entriesByFolder",
        json!({"folder": "content/case-studies", "extension": "md", "depth": 1}),
    );
    assert_eq!(reply.status, 200);
    let paths: Vec<String> = answer(&reply)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"]["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "content/case-studies/botcheston.md",
            "content/case-studies/melton-cafe.md",
            "content/case-studies/wigston-walks.md"
        ]
    );
    let bundles = call(
        site.path(),
        "entriesByFolder",
        json!({"folder": "content/resources", "extension": "md", "depth": 2}),
    );
    let first = &answer(&bundles)[0];
    assert_eq!(
        first["file"]["path"],
        "content/resources/village-hall-toolkit/index.md"
    );
    assert!(first["data"].as_str().unwrap().starts_with("---"));
}

#[test]
fn the_local_backend_saves_a_valid_case_study_where_new_would_put_it() {
    let site = fixture("kinds");
    let path = "content/case-studies/cafe-a-new-start.md";
    let raw = case_study("Café: a new start", Some("A repair café opened."));
    let reply = persist(site.path(), path, &raw);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(read(site.path(), path), raw);
    let output = run("check", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn the_local_backend_refuses_an_invalid_entry_with_the_message_check_prints() {
    let site = fixture("kinds");
    let path = "content/case-studies/no-summary.md";
    let raw = case_study("No summary", None);
    let reply = persist(site.path(), path, &raw);
    assert_eq!(reply.status, 422);
    assert!(!site.path().join(path).exists(), "nothing is written");
    let refused = answer(&reply)["error"].as_str().unwrap().to_string();

    // The same file written by hand: `check` in the terminal says the same.
    write(site.path(), path, &raw);
    let output = run("check", site.path(), &[]);
    assert!(!output.status.success());
    let printed = stderr(&output);
    assert!(refused.contains("summary"), "{refused}");
    for line in refused.lines() {
        assert!(printed.contains(line), "{line:?} is not in:\n{printed}");
    }
}

fn resource_with_plan(root: &Path, uploads: Value) -> Reply {
    let raw = "---\ntitle: Hall hire plan\nsummary: How to hire the hall.\nattachments:\n  - file: plan.txt\n    title: The plan\n---\nRead the plan.\n";
    call(
        root,
        "persistEntry",
        json!({
            "dataFiles": [{"path": "content/resources/hall-hire-plan/index.md", "raw": raw}],
            "assets": uploads,
        }),
    )
}

#[test]
fn the_local_backend_saves_a_resource_bundle_with_its_attachment_beside_it() {
    let site = fixture("kinds");
    // Without its file the attachment is a mistake: nothing is kept.
    let reply = resource_with_plan(site.path(), json!([]));
    assert_eq!(reply.status, 422);
    assert!(
        answer(&reply)["error"]
            .as_str()
            .unwrap()
            .contains("plan.txt")
    );
    assert!(
        !site
            .path()
            .join("content/resources/hall-hire-plan")
            .exists()
    );

    let plan = "content/resources/hall-hire-plan/plan.txt";
    let upload = json!([{"path": plan, "content": "VGhlIHBsYW4K", "encoding": "base64"}]);
    let reply = resource_with_plan(site.path(), upload);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(read(site.path(), plan), "The plan\n");
    let output = run("build", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        site.path()
            .join("public/resources/hall-hire-plan/plan.txt")
            .exists()
    );
}

#[test]
fn the_local_backend_refuses_a_new_file_named_otherwise_than_new_would() {
    let site = fixture("kinds");
    let reply = persist(
        site.path(),
        "content/case-studies/my-page.md",
        &case_study("Café: a new start", Some("A repair café opened.")),
    );
    assert_eq!(reply.status, 422);
    let refused = answer(&reply)["error"].as_str().unwrap().to_string();
    assert!(
        refused.contains("content/case-studies/cafe-a-new-start.md"),
        "{refused}"
    );
    assert!(!site.path().join("content/case-studies/my-page.md").exists());
}

#[test]
fn the_local_backend_changes_nothing_outside_content_and_static() {
    let site = fixture("kinds");
    let before = read(site.path(), "site.yaml");
    for path in ["site.yaml", "content/../site.yaml", "../outside.md"] {
        let reply = persist(site.path(), path, "---\ntitle: x\n---\n");
        assert_eq!(reply.status, 403, "{path}");
    }
    let reply = call(site.path(), "deleteFile", json!({"path": "site.yaml"}));
    assert_eq!(reply.status, 403);
    assert_eq!(read(site.path(), "site.yaml"), before);
    let reply = call(site.path(), "getEntry", json!({"path": "site.yaml"}));
    assert_eq!(reply.status, 403);
}

#[test]
fn the_local_backend_refuses_a_deletion_that_would_break_a_link_and_puts_the_file_back() {
    let site = fixture("kinds");
    let linked = "content/resources/village-hall-toolkit/index.md";
    let before = read(site.path(), linked);
    let reply = call(site.path(), "deleteFile", json!({"path": linked}));
    assert_eq!(reply.status, 422);
    let refused = answer(&reply)["error"].as_str().unwrap().to_string();
    assert!(refused.starts_with("content/about.md:"), "{refused}");
    assert_eq!(read(site.path(), linked), before);

    let unlinked = "content/case-studies/wigston-walks.md";
    let reply = call(site.path(), "deleteFile", json!({"path": unlinked}));
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(!site.path().join(unlinked).exists());
}

#[test]
fn the_local_backend_changes_files_only_for_json_requests_from_this_machine() {
    let site = fixture("kinds");
    let path = "content/case-studies/cafe-a-new-start.md";
    let raw = case_study("Café: a new start", Some("Opened."));
    let body = json!({
        "action": "persistEntry",
        "params": {"dataFiles": [{"path": path, "raw": raw}], "assets": []},
    })
    .to_string();
    let from_elsewhere = Incoming {
        from_loopback: false,
        ..api_request(body.as_bytes())
    };
    assert_eq!(
        cms_backend::handle(site.path(), &from_elsewhere).status,
        403
    );
    // Any page can send a form or plain text without asking first; JSON it cannot.
    let as_text = Incoming {
        content_type: Some("text/plain"),
        ..api_request(body.as_bytes())
    };
    assert_eq!(cms_backend::handle(site.path(), &as_text).status, 415);
    assert!(!site.path().join(path).exists());
    let reply = cms_backend::handle(site.path(), &api_request(body.as_bytes()));
    assert_eq!(reply.status, 200);
    assert!(site.path().join(path).exists());
}

#[test]
fn the_local_admin_page_uses_the_local_backend_and_a_served_copy_of_the_editor() {
    let site = fixture("kinds");
    let reply = get(site.path(), "/admin/config.yml");
    assert_eq!(reply.status, 200);
    let config: Value = serde_yaml::from_slice(&reply.body).unwrap();
    assert_eq!(config["backend"]["name"], "proxy");
    assert_eq!(config["backend"]["proxy_url"], LOCAL_API);
    let reply = get(site.path(), "/admin");
    assert_eq!(reply.status, 301);
    assert_eq!(reply.location.as_deref(), Some("/admin/"));
    let reply = get(site.path(), "/admin/");
    let html = String::from_utf8(reply.body).unwrap();
    // Without a copy of the npm package in the site folder, the pinned release from the CDN.
    assert!(html.contains(CDN_INTEGRITY));
    write(
        site.path(),
        "node_modules/decap-cms/dist/decap-cms.js",
        "// the editor\n",
    );
    let reply = get(site.path(), "/admin/");
    let html = String::from_utf8(reply.body).unwrap();
    assert!(html.contains(r#"<script src="/admin/decap-cms/decap-cms.js"></script>"#));
    let reply = get(site.path(), "/admin/decap-cms/decap-cms.js");
    assert_eq!(reply.body, b"// the editor\n");
    assert!(reply.content_type.starts_with("text/javascript"));
}

/// `communities serve` on a free port, stopped when dropped.
struct Serving {
    child: std::process::Child,
    url: String,
}

impl Serving {
    fn start(root: &Path) -> Serving {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_communities"))
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let at = line.find("http://")?;
                line[at..].split_whitespace().next().map(str::to_string)
            })
            .expect("serve prints its address");
        // serve goes on printing a line per rebuild; it must have a reader.
        std::thread::spawn(move || lines.for_each(drop));
        Serving { child, url }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn serve_saves_what_its_editor_posts_and_publishes_it() {
    let site = fixture("kinds");
    let serving = Serving::start(site.path());
    let api = format!("{}{}", serving.url.trim_end_matches('/'), LOCAL_API);
    let raw = case_study("Café: a new start", Some("A repair café opened."));
    let body = json!({
        "action": "persistEntry",
        "params": {"dataFiles": [{"path": "content/case-studies/cafe-a-new-start.md", "raw": raw}], "assets": []},
    })
    .to_string();
    let response = agent()
        .post(&api)
        .header("Content-Type", "text/plain")
        .send(body.as_str())
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let mut response = agent()
        .post(&api)
        .header("Content-Type", "application/json; charset=utf-8")
        .send(body.as_str())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(answer["message"], "entry persisted");

    let page = format!("{}case-studies/cafe-a-new-start/", serving.url);
    let started = std::time::Instant::now();
    loop {
        let mut response = agent().get(&page).call().unwrap();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        if response.status().as_u16() == 200 && text.contains("Café: a new start") {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "the saved page was never published"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut admin = agent()
        .get(format!("{}admin/config.yml", serving.url))
        .call()
        .unwrap();
    let config: Value = serde_yaml::from_str(&admin.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(config["backend"]["proxy_url"], LOCAL_API);
}
