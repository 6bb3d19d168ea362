//! `serve`'s side of the content editor: `/admin/` against the files on disk, and Decap CMS's
//! proxy backend protocol (a POST of `{action, params}` as JSON to `cms::LOCAL_API`), so that
//! anyone can edit locally without an account. Every save goes through the checks of `check`;
//! one that would add a problem is refused with the messages the terminal would show.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cms::{self, Backend, LOCAL_API, Script};
use crate::config::Config;
use crate::content;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::images::Pictures;
use crate::models::Kind;
use crate::output::NullSink;
use crate::pipeline;
use crate::scaffold::{self, NewPage};
use crate::site::{NoCache, to_the_end};

/// The largest request the editor sends: an entry with its pictures and downloads, which
/// travel base64-encoded (a third larger than the files).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Where `serve` offers the editor's script when it has a copy of the npm package.
const SERVED_BUNDLE: &str = "/admin/decap-cms/";
/// Names the folder of the npm package's `dist/` to serve the editor from, e.g. for work offline.
pub const BUNDLE_VARIABLE: &str = "COMMUNITIES_CMS_DIST";

/// An answer, for the server to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Where a redirect leads.
    pub location: Option<String>,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
            location: None,
        }
    }

    fn json(status: u16, value: &Value) -> Reply {
        Reply::new(status, "application/json; charset=utf-8", value.to_string())
    }
}

/// Whether `handle` answers requests for this path (without its query).
pub fn handles(path: &str) -> bool {
    path == LOCAL_API || path == "/admin" || path.starts_with("/admin/")
}

/// A request, as much of it as the editor's answers depend on.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub method: &'a str,
    /// Without the query.
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    /// Sent from this machine: only then may it change files.
    pub from_loopback: bool,
    pub body: &'a [u8],
}

/// Answers a request for a path that `handles`.
pub fn handle(root: &Path, request: &Incoming) -> Reply {
    let Incoming { method, path, .. } = *request;
    if path == LOCAL_API {
        return api_request(root, request);
    }
    if !matches!(method, "GET" | "HEAD") {
        return Reply::new(
            405,
            "text/plain; charset=utf-8",
            "Only GET and HEAD are served.\n",
        );
    }
    if path == "/admin" {
        return Reply {
            location: Some("/admin/".to_string()),
            ..Reply::new(301, "text/plain; charset=utf-8", "")
        };
    }
    let bundle = bundle_dir(root);
    if let Some(name) = path.strip_prefix(SERVED_BUNDLE) {
        return match bundle.as_deref().and_then(|dir| bundle_file(dir, name)) {
            Some(bytes) => Reply::new(200, &content_type(name), bytes),
            None => not_found(),
        };
    }
    let config = match Config::load(root, None) {
        Ok(config) => config,
        Err(problem) => {
            return Reply::new(500, "text/plain; charset=utf-8", format!("{problem}\n"));
        }
    };
    let script = match bundle {
        Some(_) => Script::Served(format!("{SERVED_BUNDLE}decap-cms.js")),
        None => Script::Cdn,
    };
    let wanted = match path {
        "/admin/" | "/admin/index.html" => "admin/index.html",
        other => other.trim_start_matches('/'),
    };
    cms::files(root, &config, Backend::Local, &script)
        .into_iter()
        .find(|(name, _)| name == wanted)
        .map_or_else(not_found, |(name, bytes)| {
            Reply::new(200, &content_type(&name), bytes)
        })
}

fn not_found() -> Reply {
    Reply::new(404, "text/plain; charset=utf-8", "Not found.\n")
}

fn content_type(name: &str) -> String {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    match mime.type_().as_str() {
        "text" => format!("{mime}; charset=utf-8"),
        _ if name.ends_with(".yml") => "text/yaml; charset=utf-8".to_string(),
        _ => mime.to_string(),
    }
}

/// The npm package's `dist/` folder: `COMMUNITIES_CMS_DIST`, or `node_modules/decap-cms/dist`
/// in the site's folder. Without one the editor comes from the CDN.
fn bundle_dir(root: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os(BUNDLE_VARIABLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("node_modules/decap-cms/dist"));
    dir.join("decap-cms.js").is_file().then_some(dir)
}

/// A file of the bundle's folder by its plain name (its scripts load their parts by name).
fn bundle_file(dir: &Path, name: &str) -> Option<Vec<u8>> {
    let plain = !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    plain.then(|| std::fs::read(dir.join(name)).ok()).flatten()
}

/// A refused request: its status and what to tell the editor.
struct Refusal {
    status: u16,
    message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

#[derive(Deserialize)]
struct Request {
    action: String,
    #[serde(default)]
    params: Value,
}

#[derive(Deserialize)]
struct FolderParams {
    folder: String,
    extension: String,
    depth: usize,
}

#[derive(Deserialize)]
struct FileRef {
    path: String,
    label: Option<String>,
}

#[derive(Deserialize)]
struct FilesParams {
    files: Vec<FileRef>,
}

#[derive(Deserialize)]
struct PathParams {
    path: String,
}

#[derive(Deserialize)]
struct PathsParams {
    paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaFolderParams {
    media_folder: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataFile {
    path: String,
    raw: String,
    new_path: Option<String>,
}

#[derive(Deserialize)]
struct Asset {
    path: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistParams {
    entry: Option<DataFile>,
    data_files: Option<Vec<DataFile>>,
    #[serde(default)]
    assets: Vec<Asset>,
}

#[derive(Deserialize)]
struct PersistMediaParams {
    asset: Asset,
}

/// Only this machine may change files, and only with a JSON request: a page of another site
/// cannot send one without the browser asking first, which is never allowed.
fn api_request(root: &Path, request: &Incoming) -> Reply {
    let text = |status, message: &str| Reply::new(status, "text/plain; charset=utf-8", message);
    if request.method != "POST" {
        return text(405, "Send the editor's requests with POST.\n");
    }
    if !request.from_loopback {
        return text(
            403,
            "The content editor saves only for this computer's own browser.\n",
        );
    }
    let json = request
        .content_type
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return text(415, "The editor's requests are JSON.\n");
    }
    api(root, request.body)
}

fn api(root: &Path, body: &[u8]) -> Reply {
    let answer = serde_json::from_slice::<Request>(body)
        .map_err(|e| refuse(400, format!("this is not a request of the editor: {e}")))
        .and_then(|request| action(root, &request.action, request.params));
    match answer {
        Ok(value) => Reply::json(200, &value),
        Err(refusal) => Reply::json(refusal.status, &json!({"error": refusal.message})),
    }
}

fn params<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, Refusal> {
    serde_json::from_value(params).map_err(|e| refuse(400, format!("unexpected parameters: {e}")))
}

fn action(root: &Path, action: &str, p: Value) -> Result<Value, Refusal> {
    match action {
        "info" => Ok(json!({
            "repo": root.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            "publish_modes": ["simple"],
            "type": "local_fs",
        })),
        "entriesByFolder" => {
            let p: FolderParams = params(p)?;
            let folder = site_path(root, &p.folder)?;
            let entries: Vec<Value> = entry_files(root, &folder, &p.extension, p.depth)
                .iter()
                .map(|path| entry(root, path, None))
                .collect();
            Ok(json!(entries))
        }
        "entriesByFiles" => {
            let p: FilesParams = params(p)?;
            p.files
                .iter()
                .map(|f| Ok(entry(root, &site_path(root, &f.path)?, f.label.as_deref())))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::from)
        }
        "getEntry" => {
            let p: PathParams = params(p)?;
            Ok(entry(root, &site_path(root, &p.path)?, None))
        }
        "persistEntry" => persist(root, params(p)?),
        "getMedia" => {
            let p: MediaFolderParams = params(p)?;
            let folder = site_path(root, &p.media_folder)?;
            let files: Vec<PathBuf> = std::fs::read_dir(root.join(&folder))
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().is_file() && !content::is_ignored(&e.file_name()))
                .map(|e| folder.join(e.file_name()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            files
                .iter()
                .map(|f| media_file(root, f))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::from)
        }
        "getMediaFile" => {
            let p: PathParams = params(p)?;
            media_file(root, &site_path(root, &p.path)?)
        }
        "persistMedia" => {
            let p: PersistMediaParams = params(p)?;
            let path = site_path(root, &p.asset.path)?;
            write_file(root, &path, &decode(&p.asset)?)?;
            media_file(root, &path)
        }
        "deleteFile" => {
            let p: PathParams = params(p)?;
            delete(root, &[site_path(root, &p.path)?])?;
            Ok(json!({"message": format!("deleted {}", p.path)}))
        }
        "deleteFiles" => {
            let p: PathsParams = params(p)?;
            let paths = p
                .paths
                .iter()
                .map(|path| site_path(root, path))
                .collect::<Result<Vec<_>, _>>()?;
            delete(root, &paths)?;
            Ok(json!({"message": format!("deleted {}", p.paths.join(", "))}))
        }
        "getDeployPreview" => Ok(Value::Null),
        other => Err(refuse(
            422,
            format!("the action {other:?} is not offered here"),
        )),
    }
}

/// A path the editor names, relative to the root: plain segments inside `content/` or
/// `static/`, and inside the site folder once symbolic links are followed.
fn site_path(root: &Path, rel: &str) -> Result<PathBuf, Refusal> {
    let path = Path::new(rel.trim_end_matches('/'));
    let mut parts = path.components();
    let first_allowed = matches!(parts.next(), Some(Component::Normal(first)) if first == "content" || first == "static");
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let outside = || {
        refuse(
            403,
            format!("{rel:?} is not a file of the site the editor may change"),
        )
    };
    if !first_allowed || !plain {
        return Err(outside());
    }
    // The nearest part that exists must resolve inside the site.
    let site = root
        .canonicalize()
        .map_err(|e| refuse(500, e.to_string()))?;
    let existing = path
        .ancestors()
        .map(|a| root.join(a))
        .find(|a| a.exists())
        .unwrap_or_else(|| root.to_path_buf());
    match existing.canonicalize() {
        Ok(real) if real.starts_with(&site) => Ok(path.to_path_buf()),
        _ => Err(outside()),
    }
}

/// The entries of a folder collection: its pages directly in the folder (not the section's
/// own `_index.md`), or for bundles (`depth` 2) each folder's `index` file.
fn entry_files(root: &Path, folder: &Path, extension: &str, depth: usize) -> Vec<PathBuf> {
    let ext = format!(".{extension}");
    walkdir::WalkDir::new(root.join(folder))
        .min_depth(depth.max(1))
        .max_depth(depth.max(1))
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && !content::is_ignored(e.file_name()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?;
            let wanted = if depth > 1 {
                name == format!("index{ext}")
            } else {
                name.ends_with(&ext) && name != format!("_index{ext}")
            };
            wanted.then(|| e.path().strip_prefix(root).ok().map(Path::to_path_buf))?
        })
        .collect()
}

fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn entry(root: &Path, path: &Path, label: Option<&str>) -> Value {
    let name = crate::diagnostics::display_path(path);
    match std::fs::read(root.join(path)) {
        Ok(bytes) => json!({
            "data": String::from_utf8_lossy(&bytes),
            "file": {"path": name, "label": label, "id": digest(&bytes)},
        }),
        Err(_) => json!({"data": null, "file": {"path": name, "label": label, "id": null}}),
    }
}

fn media_file(root: &Path, path: &Path) -> Result<Value, Refusal> {
    let bytes = std::fs::read(root.join(path))
        .map_err(|e| refuse(404, format!("{}: {e}", path.display())))?;
    Ok(json!({
        "id": digest(&bytes),
        "content": BASE64.encode(&bytes),
        "encoding": "base64",
        "path": crate::diagnostics::display_path(path),
        "name": path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
    }))
}

fn decode(asset: &Asset) -> Result<Vec<u8>, Refusal> {
    BASE64
        .decode(asset.content.as_bytes())
        .map_err(|e| refuse(400, format!("{} was not sent whole: {e}", asset.path)))
}

fn write_file(root: &Path, path: &Path, bytes: &[u8]) -> Result<(), Refusal> {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| refuse(500, e.to_string()))?;
    }
    std::fs::write(&full, bytes).map_err(|e| refuse(500, format!("{}: {e}", path.display())))
}

/// Deletes files, unless the site would then fail `check` with a problem it does not have now
/// (a page that others link to, a picture a page shows): then they are put back.
fn delete(root: &Path, paths: &[PathBuf]) -> Result<(), Refusal> {
    let before: BTreeSet<Diagnostic> = errors_of_check(root, &[]).into_iter().collect();
    let mut removed = Vec::new();
    for path in paths {
        let bytes = std::fs::read(root.join(path))
            .map_err(|e| refuse(404, format!("{}: {e}", path.display())))?;
        if let Err(e) = std::fs::remove_file(root.join(path)) {
            restore(root, &removed);
            return Err(refuse(500, format!("{}: {e}", path.display())));
        }
        removed.push((path, bytes));
    }
    let added: Vec<String> = errors_of_check(root, &[])
        .into_iter()
        .filter(|d| !before.contains(d))
        .map(|d| d.to_string())
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    restore(root, &removed);
    Err(refuse(422, added.join("\n")))
}

fn restore(root: &Path, removed: &[(&PathBuf, Vec<u8>)]) {
    for (path, bytes) in removed {
        let _ = std::fs::write(root.join(path), bytes);
    }
}

/// Saves an entry and the files uploaded with it, unless the site would then fail `check`
/// with a problem it does not have now.
fn persist(root: &Path, p: PersistParams) -> Result<Value, Refusal> {
    let data_files: Vec<DataFile> = p
        .data_files
        .or(p.entry.map(|e| vec![e]))
        .unwrap_or_default();
    let mut pages = Vec::new();
    for file in &data_files {
        if file.new_path.is_some() {
            return Err(refuse(
                422,
                "moving a page to a new address is not done in the editor: ask a maintainer",
            ));
        }
        let path = site_path(root, &file.path)?;
        if !path.starts_with("content") || path.extension().is_none_or(|e| e != "md") {
            return Err(refuse(
                403,
                format!("{:?} is not a page of the site", file.path),
            ));
        }
        if !root.join(&path).exists() {
            named_as_new_would(root, &path, file.raw.as_bytes())
                .map_err(|problem| refuse(422, problem.to_string()))?;
        }
        pages.push((path, file.raw.as_bytes().to_vec()));
    }
    let mut uploads = Vec::new();
    for asset in &p.assets {
        uploads.push((site_path(root, &asset.path)?, decode(asset)?));
    }
    // Uploads the check needs to find are put in place first, and taken away if refused.
    let mut placed = Vec::new();
    for (path, bytes) in &uploads {
        if !root.join(path).exists() {
            write_file(root, path, bytes)?;
            placed.push(path);
        }
    }
    let added = added_problems(root, &pages);
    if !added.is_empty() {
        for path in placed {
            let _ = std::fs::remove_file(root.join(path));
        }
        let message: Vec<String> = added.iter().map(ToString::to_string).collect();
        return Err(refuse(422, message.join("\n")));
    }
    for (path, bytes) in uploads.iter().chain(&pages) {
        write_file(root, path, bytes)?;
    }
    Ok(json!({"message": "entry persisted"}))
}

/// A new case study, resource or report section must be at the file `new` would make for its
/// title, so that pages made either way are named alike.
fn named_as_new_would(root: &Path, path: &Path, raw: &[u8]) -> Result<(), Diagnostic> {
    let rel = content::content_relative(path);
    let what = match Kind::for_path(&rel) {
        Kind::CaseStudy => NewPage::CaseStudy,
        Kind::Resource => NewPage::Resource {
            bundle: rel.ends_with("/index.md"),
        },
        Kind::ReportSection => NewPage::ReportSection {
            year: rel.split('/').nth(1).unwrap_or_default().to_string(),
        },
        Kind::Page | Kind::ReportYear => return Ok(()),
    };
    // A page whose front matter cannot be read is refused by the check, with its reasons.
    let Some(source) = content::parse_bytes(root, path, raw).0 else {
        return Ok(());
    };
    let expected = scaffold::content_path(root, &what, &source.meta.title)?;
    if expected == rel {
        return Ok(());
    }
    Err(Diagnostic::error(
        path,
        1,
        1,
        format!(
            "a new page titled {:?} belongs at content/{expected}, where `communities new` puts it",
            source.meta.title
        ),
    )
    .with_hint("write the title in plain words, or make the page with `communities new`"))
}

/// The errors `check` would report with these pages saved that it does not report now.
fn added_problems(root: &Path, pages: &[(PathBuf, Vec<u8>)]) -> Vec<Diagnostic> {
    let after = errors_of_check(root, pages);
    if after.is_empty() {
        return after;
    }
    let before: BTreeSet<Diagnostic> = errors_of_check(root, &[]).into_iter().collect();
    after.into_iter().filter(|d| !before.contains(d)).collect()
}

/// The errors of `check` with some pages read from memory instead of disk.
fn errors_of_check(root: &Path, replaced: &[(PathBuf, Vec<u8>)]) -> Vec<Diagnostic> {
    let config = match Config::load(root, None) {
        Ok(config) => config,
        Err(problem) => return vec![problem],
    };
    let (mut files, walk_problems) = content::discover(root);
    for (path, _) in replaced {
        if !files.pages.contains(path) {
            files.pages.push(path.clone());
        }
    }
    let mut problems = Diagnostics::new();
    problems.extend(walk_problems);
    let parsed: Vec<_> = files
        .pages
        .par_iter()
        .map(|path| match replaced.iter().find(|(p, _)| p == path) {
            Some((_, bytes)) => content::parse_bytes(root, path, bytes),
            None => content::parse_file(root, path, config.max_file_mb),
        })
        .collect();
    let mut sources = Vec::new();
    for (source, file_problems) in parsed {
        problems.extend(file_problems);
        sources.extend(source);
    }
    let checked = pipeline::model(
        Pictures::new(root, &config),
        config,
        sources,
        &files.assets,
        false,
        &NoCache::default(),
        problems,
        &to_the_end,
    )
    .and_then(|(mut site, _)| {
        let (statics, tera) = pipeline::prepare(root, &site)?;
        pipeline::write_site(root, &mut site, &tera, &statics, &NullSink)
    });
    match checked {
        Ok(_) => Vec::new(),
        Err(problems) => problems.into_iter().filter(Diagnostic::is_error).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_may_change_only_content_and_static_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(site_path(root, "content/about.md").is_ok());
        assert!(site_path(root, "static/images/new.png").is_ok());
        for bad in [
            "site.yaml",
            "content/../site.yaml",
            "/etc/passwd",
            "src/main.rs",
            "",
            "./content/about.md",
        ] {
            assert!(site_path(root, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundle_files_are_plain_names() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(bundle_file(dir, "Cargo.toml").is_some());
        assert!(bundle_file(dir, "../Cargo.toml").is_none());
        assert!(bundle_file(dir, "src/lib.rs").is_none());
        assert!(bundle_file(dir, ".git").is_none());
    }
}
