//! The content editor at `/admin/`: Decap CMS, with its configuration generated from the
//! content models, so its forms ask for exactly what `check` accepts. The build writes it when
//! `site.yaml` has a `cms:` section; `serve` offers it against the files on disk.

use std::path::Path;

use serde_json::{Value, json};

use crate::assets;
use crate::config::{CmsBackend, CmsConfig, Config};
use crate::content::{self, is_report_year};
use crate::diagnostics::Diagnostic;
use crate::models::{FieldDef, FieldType, Kind};
use crate::output::Sink;
use crate::schema;
use crate::site::Site;

/// The pinned editor release. Changing it means changing `CDN_INTEGRITY`, the version in
/// `tests/browser/package.json`, and the script origin in `netlify.toml` if it moves.
pub const DECAP_VERSION: &str = "3.16.3";
/// The editor's script as the live site loads it.
pub const CDN_SCRIPT: &str = "https://unpkg.com/decap-cms@3.16.3/dist/decap-cms.js";
/// Subresource Integrity of `CDN_SCRIPT`: the SHA-384 of `dist/decap-cms.js` in the npm package.
pub const CDN_INTEGRITY: &str =
    "sha384-A/Gdn928CNLufmnGWGs9RM4Q9o8bSNLeJERqBFrBjwzL7FRpoLT3MPF8Tl0+Wd2p";
/// Where `serve`'s editor reads and saves files (Decap's proxy backend protocol).
pub const LOCAL_API: &str = "/__communities/cms";
/// Where the images of pages that are not bundles go, and the site path they get.
const MEDIA_FOLDER: &str = "static/images";
const PUBLIC_FOLDER: &str = "/images";

const PREVIEW_SCRIPT: &str = include_str!("cms_preview.js");

/// Whom the editor saves through.
#[derive(Debug, Clone, Copy)]
pub enum Backend<'a> {
    /// The site's Git host, as `site.yaml`'s `cms:` says.
    Live(&'a CmsConfig),
    /// `serve`, writing the files on disk.
    Local,
}

/// Where the page loads the editor's script from.
#[derive(Debug, Clone)]
pub enum Script {
    /// The pinned release from the CDN, checked against its integrity hash.
    Cdn,
    /// A copy served by the site itself, at this site path.
    Served(String),
}

/// The `/admin/` files: path in the output -> bytes.
pub fn files(
    root: &Path,
    config: &Config,
    backend: Backend,
    script: &Script,
) -> Vec<(String, Vec<u8>)> {
    let preview = preview_path();
    let yaml = format!(
        "# Made by communities from the content models (src/models.rs) and site.yaml's `cms:`.\n{}",
        serde_yaml::to_string(&decap_config(root, config, backend)).unwrap_or_default()
    );
    vec![
        (
            "admin/index.html".to_string(),
            index_html(config, script, &preview).into_bytes(),
        ),
        ("admin/config.yml".to_string(), yaml.into_bytes()),
        (preview, PREVIEW_SCRIPT.as_bytes().to_vec()),
    ]
}

/// Writes `/admin/` into the build when `site.yaml` asks for it.
pub fn write(root: &Path, site: &Site, sink: &dyn Sink) -> Vec<Diagnostic> {
    let config = &site.config;
    let Some(cms) = &config.cms else {
        return Vec::new();
    };
    let taken: Vec<Diagnostic> = site
        .pages
        .iter()
        .filter(|p| p.url() == "/admin/")
        .map(|p| {
            Diagnostic::error(
                &p.source.path,
                1,
                1,
                "this page would be published at /admin/, where the content editor is",
            )
            .with_hint("rename the file or set a different `slug`")
        })
        .collect();
    if !taken.is_empty() {
        return taken;
    }
    files(root, config, Backend::Live(cms), &Script::Cdn)
        .into_iter()
        .filter_map(|(path, bytes)| {
            sink.write(&path, &bytes).err().map(|e| {
                Diagnostic::error(&path, 1, 1, format!("cannot write the output file: {e}"))
            })
        })
        .collect()
}

/// The preview script's output path, named by its content like every other script.
pub fn preview_path() -> String {
    assets::fingerprinted_path("admin/preview.js", PREVIEW_SCRIPT.as_bytes())
}

fn index_html(config: &Config, script: &Script, preview: &str) -> String {
    let editor = match script {
        Script::Cdn => format!(
            r#"<script src="{CDN_SCRIPT}" integrity="{CDN_INTEGRITY}" crossorigin="anonymous"></script>"#
        ),
        Script::Served(path) => format!(r#"<script src="{}"></script>"#, escape(path)),
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Content editor: {title}</title>
<link rel="cms-config-url" type="text/yaml" href="{config_url}">
</head>
<body>
<noscript>The content editor needs JavaScript. You can also edit the files in content/ as the editors' guide explains.</noscript>
{editor}
<script src="{preview_url}"></script>
</body>
</html>
"#,
        language = escape(&config.language),
        title = escape(&config.title),
        config_url = escape(&config.link("/admin/config.yml")),
        preview_url = escape(&config.link(&format!("/{preview}"))),
    )
}

fn escape(text: &str) -> String {
    let mut escaped = Vec::with_capacity(text.len());
    // Writing into a Vec cannot fail.
    let _ = tera::escape_html(text, &mut escaped);
    String::from_utf8_lossy(&escaped).into_owned()
}

/// Decap CMS's configuration. The content files decide the report years and the existing
/// plain pages offered.
pub fn decap_config(root: &Path, config: &Config, backend: Backend) -> Value {
    let (found, _) = content::discover(root);
    let relative: Vec<String> = found
        .pages
        .iter()
        .map(|p| content::content_relative(p))
        .collect();
    let mut collections = vec![
        folder_collection(
            "case-studies",
            "Case studies",
            "Case study",
            Kind::CaseStudy,
            None,
        ),
        folder_collection("resources", "Resources", "Resource", Kind::Resource, None),
    ];
    for year in report_years(&relative) {
        collections.push(folder_collection(
            &format!("annual-report/{year}"),
            &format!("Annual report {year}"),
            "Annual report section",
            Kind::ReportSection,
            Some(&year),
        ));
    }
    collections.push(pages_collection(root, config, &relative));

    let mut decap = json!({
        "media_folder": MEDIA_FOLDER,
        // Front matter names site paths; the base path is added when pages are rendered.
        "public_folder": PUBLIC_FOLDER,
        // As close to `new`'s names as the editor can make them; saving checks they agree.
        "slug": {"encoding": "ascii", "clean_accents": true, "sanitize_replacement": "-"},
        "collections": collections,
    });
    match backend {
        Backend::Local => {
            decap["backend"] = json!({"name": "proxy", "proxy_url": LOCAL_API, "branch": "main"});
        }
        Backend::Live(cms) => {
            // Links to the published page; locally the editor stays on the preview's address.
            decap["site_url"] = json!(config.base_url.as_str());
            decap["display_url"] = json!(config.base_url.as_str());
            let mut settings = json!({
                "name": match cms.backend {
                    CmsBackend::Github => "github",
                    CmsBackend::Gitlab => "gitlab",
                },
                "repo": cms.repo,
                "branch": cms.branch,
            });
            if let Some(auth_url) = &cms.auth_url {
                settings["base_url"] = json!(auth_url);
            }
            if let Some(app_id) = &cms.app_id {
                settings["auth_type"] = json!("pkce");
                settings["app_id"] = json!(app_id);
            }
            decap["backend"] = settings;
            if cms.pull_requests {
                decap["publish_mode"] = json!("editorial_workflow");
            }
        }
    }
    decap
}

/// The report years with a folder under `annual-report/`, oldest first.
fn report_years(relative: &[String]) -> Vec<String> {
    let mut years: Vec<String> = relative
        .iter()
        .filter_map(|p| {
            let mut parts = p.split('/');
            (parts.next() == Some("annual-report"))
                .then(|| parts.next())
                .flatten()
                .filter(|y| is_report_year(y) && parts.next().is_some())
                .map(str::to_string)
        })
        .collect();
    years.sort();
    years.dedup();
    years
}

/// A folder of pages of one kind, where new ones are made; resources as page bundles.
fn folder_collection(
    folder: &str,
    label: &str,
    singular: &str,
    kind: Kind,
    year: Option<&str>,
) -> Value {
    let bundle = kind == Kind::Resource;
    let mut collection = json!({
        "name": folder.replace('/', "-"),
        "label": label,
        "label_singular": singular,
        "folder": format!("content/{folder}"),
        "create": true,
        "slug": "{{slug}}",
        "extension": "md",
        "format": "frontmatter",
        "summary": "{{title}}",
        "preview_path": format!("{folder}/{{{{slug}}}}/"),
        "fields": fields(kind, bundle, year),
    });
    if bundle {
        // A page bundle: the page is `<slug>/index.md`, its files beside it.
        collection["path"] = json!("{{slug}}/index");
        collection["media_folder"] = json!("");
        collection["public_folder"] = json!("");
    }
    collection
}

/// Every existing page that is not a case study, resource or report section: section
/// introductions, each year's report and the plain pages. New ones are made with `new page`.
fn pages_collection(root: &Path, config: &Config, relative: &[String]) -> Value {
    let files: Vec<Value> = relative
        .iter()
        .filter(|p| matches!(Kind::for_path(p), Kind::Page | Kind::ReportYear))
        .map(|p| {
            let path = Path::new("content").join(p);
            let title = content::parse_file(root, &path, config.max_file_mb)
                .0
                .map(|source| source.meta.title)
                .filter(|title| !title.is_empty());
            json!({
                "name": p.trim_end_matches(".md").replace(['/', '.'], "-"),
                "label": title.map_or_else(|| p.clone(), |title| format!("{title} ({p})")),
                "file": format!("content/{p}"),
                "fields": fields(Kind::for_path(p), false, None),
            })
        })
        .collect();
    json!({
        "name": "pages",
        "label": "Other pages",
        "label_singular": "Page",
        "extension": "md",
        "format": "frontmatter",
        "files": files,
    })
}

/// The form of a kind: the title first as `new` writes it, the text of the page last.
pub fn fields(kind: Kind, bundle: bool, year: Option<&str>) -> Vec<Value> {
    let defs = kind.fields();
    let ordered = defs
        .iter()
        .filter(|f| f.name == "title")
        .chain(defs.iter().filter(|f| f.name != "title"));
    let mut form: Vec<Value> = ordered
        .map(|def| {
            let mut widget = field(def, bundle);
            if let (Some(year), "year") = (year, def.name) {
                widget["default"] = json!(year);
            }
            widget
        })
        .collect();
    form.push(json!({
        "label": "Text of the page",
        "name": "body",
        "widget": "markdown",
        "required": false,
        "hint": "Start sections with a heading; the editors' guide shows what else you can write.",
    }));
    form
}

/// One front matter field as a form field: its widget, whether it must be filled in, and
/// for choices every allowed value with its display name.
fn field(def: &FieldDef, bundle: bool) -> Value {
    let mut widget = match def.ty {
        FieldType::Text => json!({"widget": "string"}),
        FieldType::Date => json!({
            "widget": "datetime",
            "format": "YYYY-MM-DD",
            "date_format": "YYYY-MM-DD",
            "time_format": false,
            "picker_utc": true,
        }),
        FieldType::Bool => json!({"widget": "boolean", "default": false}),
        FieldType::Integer => json!({"widget": "number", "value_type": "int"}),
        FieldType::Slug => json!({
            "widget": "string",
            "pattern": [schema::SLUG_PATTERN, "lower-case letters, digits and hyphens only"],
        }),
        FieldType::ReportYear => json!({
            "widget": "string",
            "pattern": [schema::report_year_pattern(), "write the year like 2020-21"],
        }),
        FieldType::TextList => json!({"widget": "list"}),
        FieldType::ImagePath => json!({"widget": "image", "choose_url": false}),
        FieldType::OneOf(choices) | FieldType::ManyOf(choices) => json!({
            "widget": "select",
            "multiple": matches!(def.ty, FieldType::ManyOf(_)),
            "options": choices
                .iter()
                .map(|c| json!({"label": c.name, "value": c.value}))
                .collect::<Vec<_>>(),
        }),
        FieldType::Records { required, optional } => {
            let keys: Vec<Value> = required
                .iter()
                .map(|k| (k, true))
                .chain(optional.iter().map(|k| (k, false)))
                .map(|(key, must)| {
                    // An attachment's file sits beside the page, uploaded with it.
                    let widget = if *key == "file" && bundle {
                        "file"
                    } else {
                        "string"
                    };
                    json!({"label": label(key), "name": key, "widget": widget, "required": must})
                })
                .collect();
            json!({"widget": "list", "fields": keys})
        }
    };
    widget["label"] = json!(label(def.name));
    widget["name"] = json!(def.name);
    widget["required"] = json!(def.required);
    widget["hint"] = json!(hint(def));
    widget
}

fn hint(def: &FieldDef) -> String {
    let help = def.help;
    let mut text = format!("{}{}.", help[..1].to_uppercase(), &help[1..]);
    if def.name == "image_alt" {
        text.push_str(" Required when the page has a picture.");
    }
    text
}

/// `image_alt` -> "Image alt": the field's name as words.
fn label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            "title: T & Co\nbase_url: https://example.org/sub/\ncms:\n  backend: github\n  repo: leics/communities\n",
            None,
        )
        .unwrap()
    }

    #[test]
    fn report_years_come_from_the_folders_that_hold_sections() {
        let relative = [
            "annual-report/_index.md",
            "annual-report/2020-21/_index.md",
            "annual-report/2019-20/grants.md",
            "annual-report/notes/x.md",
        ]
        .map(String::from);
        assert_eq!(report_years(&relative), ["2019-20", "2020-21"]);
    }

    #[test]
    fn the_index_page_escapes_and_follows_the_base_path() {
        let c = config();
        let html = index_html(&c, &Script::Cdn, "admin/preview.1234567890.js");
        assert!(html.contains("<title>Content editor: T &amp; Co</title>"));
        assert!(html.contains(r#"href="/sub/admin/config.yml""#));
        assert!(html.contains(r#"src="/sub/admin/preview.1234567890.js""#));
        assert!(html.contains(CDN_INTEGRITY));
    }

    #[test]
    fn pull_requests_choose_the_editorial_workflow() {
        let mut c = config();
        let root = Path::new("no-such-site");
        let live = decap_config(root, &c, Backend::Live(c.cms.as_ref().unwrap()));
        assert_eq!(live["publish_mode"], "editorial_workflow");
        assert_eq!(live["backend"]["repo"], "leics/communities");
        assert_eq!(live["public_folder"], "/images");
        c.cms.as_mut().unwrap().pull_requests = false;
        let direct = decap_config(root, &c, Backend::Live(c.cms.as_ref().unwrap()));
        assert_eq!(direct.get("publish_mode"), None);
        let local = decap_config(root, &c, Backend::Local);
        assert_eq!(local["backend"]["proxy_url"], LOCAL_API);
    }

    #[test]
    fn labels_are_the_names_in_words() {
        assert_eq!(label("image_alt"), "Image alt");
        assert_eq!(label("title"), "Title");
    }
}
