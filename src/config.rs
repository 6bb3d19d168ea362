//! `site.yaml`: the site's title, address, language, listing size and menus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::yaml;

pub const CONFIG_FILE: &str = "site.yaml";

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MenuLink {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    base_url: String,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_page_size")]
    page_size: usize,
    #[serde(default)]
    menus: BTreeMap<String, Vec<MenuLink>>,
    #[serde(default = "default_max_file_mb")]
    max_file_mb: u64,
    #[serde(default)]
    html: HtmlConfig,
    #[serde(default)]
    tag_names: BTreeMap<String, String>,
    #[serde(default)]
    cms: Option<CmsConfig>,
    #[serde(default)]
    images: ImagesConfig,
}

/// `cms:`: the content editor published at `/admin/`; without this section none is written.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CmsConfig {
    /// Where the site's files are kept, and so where the editor commits.
    pub backend: CmsBackend,
    /// The repository as `owner/name`.
    pub repo: String,
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Each change becomes a pull request that a maintainer reviews (with a deploy preview)
    /// instead of a commit straight to the branch.
    #[serde(default = "default_pull_requests")]
    pub pull_requests: bool,
    /// The address of the OAuth service that signs editors in to GitHub; Netlify's when left out.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// The application id of a GitLab OAuth application, so editors sign in without any service.
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CmsBackend {
    Github,
    Gitlab,
}

fn default_branch() -> String {
    "main".to_string()
}

fn default_pull_requests() -> bool {
    true
}

/// How raw HTML written in Markdown is treated.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HtmlConfig {
    /// Clean raw HTML with the sanitiser; only a site whose every author is trusted turns it off.
    #[serde(default = "default_sanitize")]
    pub sanitize: bool,
    /// Hosts whose `https://` pages may be embedded with `<iframe>`, e.g. www.youtube-nocookie.com.
    #[serde(default)]
    pub iframe_hosts: Vec<String>,
}

impl Default for HtmlConfig {
    fn default() -> Self {
        HtmlConfig {
            sanitize: true,
            iframe_hosts: Vec::new(),
        }
    }
}

/// How pictures are processed (`images:` in site.yaml).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ImagesConfig {
    /// The widths in pixels each picture is made in, when it is at least that wide.
    #[serde(default = "default_widths")]
    pub widths: Vec<u32>,
    /// Lossy quality of WebP and JPEG files, 1 to 100.
    #[serde(default = "default_quality")]
    pub quality: u8,
    /// The formats offered to browsers that show them, besides the JPEG or PNG every browser shows.
    #[serde(default = "default_formats")]
    pub formats: Vec<ImageFormatName>,
    /// Larger pictures are refused before they are decoded.
    #[serde(default = "default_max_megapixels")]
    pub max_megapixels: u32,
    /// Narrower pictures get a warning that they will look blurred.
    #[serde(default = "default_min_width")]
    pub min_width: u32,
    /// Where processed pictures are kept between builds, relative to the site root.
    #[serde(default = "default_cache")]
    pub cache: std::path::PathBuf,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormatName {
    Webp,
}

impl Default for ImagesConfig {
    fn default() -> Self {
        ImagesConfig {
            widths: default_widths(),
            quality: default_quality(),
            formats: default_formats(),
            max_megapixels: default_max_megapixels(),
            min_width: default_min_width(),
            cache: default_cache(),
        }
    }
}

/// From a phone held upright (480) to the widest the page's own picture is shown on a
/// high-density screen (1600).
fn default_widths() -> Vec<u32> {
    vec![480, 800, 1200, 1600]
}

fn default_quality() -> u8 {
    80
}

fn default_formats() -> Vec<ImageFormatName> {
    vec![ImageFormatName::Webp]
}

/// A 48-megapixel phone photo passes; a decompression bomb does not.
fn default_max_megapixels() -> u32 {
    50
}

/// The text column's width on a computer screen, in pixels (42rem).
fn default_min_width() -> u32 {
    672
}

fn default_cache() -> std::path::PathBuf {
    ".cache".into()
}

/// The widest picture width a site may ask for.
const MAX_IMAGE_WIDTH: u32 = 8000;

fn check_images(images: &ImagesConfig, text: &str) -> Result<(), Diagnostic> {
    let path = Path::new(CONFIG_FILE);
    if images.widths.is_empty() || images.widths.iter().any(|&w| w == 0 || w > MAX_IMAGE_WIDTH) {
        return Err(Diagnostic::error(
            path,
            line_of_text(text, "widths"),
            1,
            format!("`images: widths` must list widths from 1 to {MAX_IMAGE_WIDTH} pixels"),
        )
        .with_hint("e.g. widths: [480, 800, 1200, 1600]"));
    }
    if !(1..=100).contains(&images.quality) {
        return Err(Diagnostic::error(
            path,
            line_of_text(text, "quality"),
            1,
            "`images: quality` must be from 1 to 100",
        )
        .with_hint("80 keeps photos sharp and small"));
    }
    if images.max_megapixels == 0 {
        return Err(Diagnostic::error(
            path,
            line_of_text(text, "max_megapixels"),
            1,
            "`images: max_megapixels` must be at least 1",
        ));
    }
    Ok(())
}

fn default_sanitize() -> bool {
    true
}

fn default_language() -> String {
    "en-GB".to_string()
}

fn default_page_size() -> usize {
    10
}

/// Content files larger than this many megabytes are refused unread.
pub const DEFAULT_MAX_FILE_MB: u64 = 20;

fn default_max_file_mb() -> u64 {
    DEFAULT_MAX_FILE_MB
}

#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    /// Always ends with `/`.
    pub base_url: url::Url,
    pub language: String,
    pub description: String,
    pub page_size: usize,
    pub menus: BTreeMap<String, Vec<MenuLink>>,
    /// The largest content file read, in megabytes.
    pub max_file_mb: u64,
    pub html: HtmlConfig,
    /// The name shown for a tag, keyed by the tag as written (`covid-19: COVID-19`); tags
    /// not named here are shown from their most used spelling.
    pub tag_names: BTreeMap<String, String>,
    pub cms: Option<CmsConfig>,
    pub images: ImagesConfig,
    /// Settings that are allowed but risky, for the build summary.
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    pub fn load(root: &Path, base_url_override: Option<&str>) -> Result<Config, Diagnostic> {
        let path = Path::new(CONFIG_FILE);
        let text = std::fs::read_to_string(root.join(path)).map_err(|e| {
            Diagnostic::file_error(path, format!("cannot read {CONFIG_FILE}: {e}")).with_hint(
                "every site needs a site.yaml at its root with at least `title:` and `base_url:`",
            )
        })?;
        Self::parse(&text, base_url_override)
    }

    pub fn parse(text: &str, base_url_override: Option<&str>) -> Result<Config, Diagnostic> {
        let path = Path::new(CONFIG_FILE);
        let raw: RawConfig = yaml::parse_typed(text, path)?;
        let base = base_url_override.unwrap_or(&raw.base_url);
        let base_url = parse_base_url(base).map_err(|message| {
            let line = if base_url_override.is_some() {
                1
            } else {
                line_of_key(text, "base_url")
            };
            Diagnostic::error(path, line, 1, message).with_hint(
                "write the full address the site is published at, e.g. https://example.org/",
            )
        })?;
        if raw.page_size == 0 {
            return Err(Diagnostic::error(
                path,
                line_of_key(text, "page_size"),
                1,
                "page_size must be at least 1",
            ));
        }
        for host in &raw.html.iframe_hosts {
            if !is_host_name(host) {
                return Err(Diagnostic::error(
                    path,
                    line_of_text(text, host),
                    1,
                    format!("the iframe host {host:?} is not a host name"),
                )
                .with_hint("write the host alone, without https:// or a path, e.g. www.youtube-nocookie.com"));
            }
        }
        // Menus are on every page: a `javascript:` or `data:` address would run on each.
        for link in raw.menus.values().flatten() {
            if !crate::sanitize::url_allowed(&link.url) {
                return Err(Diagnostic::error(
                    path,
                    // As written, an escaped tab or newline is not in the text: find what precedes it.
                    line_of_text(text, link.url.split(char::is_control).next().unwrap_or_default()),
                    1,
                    format!(
                        "the menu link {:?} goes to {:?}, which is not a web address or a path on this site",
                        link.name, link.url
                    ),
                )
                .with_hint("write a path on this site, e.g. /about/, or a full address starting https://"));
            }
        }
        if let Some(cms) = &raw.cms {
            check_cms(cms, text)?;
        }
        check_images(&raw.images, text)?;
        let mut warnings = Vec::new();
        if !raw.html.sanitize {
            warnings.push(
                Diagnostic::warning(
                    path,
                    line_of_text(text, "sanitize"),
                    1,
                    "raw HTML in Markdown is published as written: scripts and event handlers in content will run",
                )
                .with_hint("remove `sanitize: false` unless every author of this site is trusted"),
            );
        }
        Ok(Config {
            title: raw.title,
            base_url,
            language: raw.language,
            description: raw.description,
            page_size: raw.page_size,
            menus: raw.menus,
            max_file_mb: raw.max_file_mb,
            html: raw.html,
            tag_names: raw.tag_names,
            cms: raw.cms,
            images: raw.images,
            warnings,
        })
    }

    /// The path the site lives under, without the trailing slash: "" or "/communities".
    pub fn base_path(&self) -> &str {
        self.base_url.path().trim_end_matches('/')
    }

    /// A site path (`/about/`) as the link to write in a page: with the base path in front.
    pub fn link(&self, site_path: &str) -> String {
        if site_path.starts_with('/') && !site_path.starts_with("//") {
            format!("{}{}", self.base_path(), site_path)
        } else {
            site_path.to_string()
        }
    }

    /// A site path as a full address: `https://example.org/about/`.
    pub fn permalink(&self, site_path: &str) -> String {
        format!("{}{}", self.origin(), self.link(site_path))
    }

    /// The scheme, host and port: `https://example.org`.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}

fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let mut url = url::Url::parse(text)
        .map_err(|e| format!("base_url {text:?} is not a web address ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "base_url {text:?} must start with https:// or http://"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("base_url {text:?} must not have a ? or # part"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn check_cms(cms: &CmsConfig, text: &str) -> Result<(), Diagnostic> {
    let path = Path::new(CONFIG_FILE);
    let parts: Vec<&str> = cms.repo.split('/').collect();
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if parts.len() < 2 || !parts.iter().all(|p| plain(p)) {
        return Err(Diagnostic::error(
            path,
            line_of_text(text, "repo:"),
            1,
            format!("the cms repo {:?} is not a repository name", cms.repo),
        )
        .with_hint("write the owner and the name, e.g. leicestershire/communities"));
    }
    if let Some(auth_url) = &cms.auth_url {
        if !url::Url::parse(auth_url).is_ok_and(|u| u.scheme() == "https") {
            return Err(Diagnostic::error(
                path,
                line_of_text(text, "auth_url:"),
                1,
                format!("the cms auth_url {auth_url:?} is not an https:// address"),
            )
            .with_hint(
                "write the full address of the sign-in service, e.g. https://auth.example.org",
            ));
        }
    }
    Ok(())
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && url::Host::parse(host).is_ok()
}

/// The first line on which `needle` is written; 1 when it is not found.
fn line_of_text(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(key))
        .map_or(1, |i| i + 1)
}

/// The site a command run in `start` works on: the nearest folder at or above it that holds
/// a `site.yaml`, as git finds its repository, so that a command run in `content/case-studies/`
/// works on the whole site. The result is relative to `start` (`.`, `..`, `../..`).
pub fn find_site_root(start: &Path) -> Option<PathBuf> {
    let absolute = start.canonicalize().ok()?;
    let mut relative = PathBuf::from(".");
    for folder in absolute.ancestors() {
        if folder.join(CONFIG_FILE).is_file() {
            return Some(relative);
        }
        relative = if relative == Path::new(".") {
            PathBuf::from("..")
        } else {
            relative.join("..")
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_and_links_follow_the_base_url() {
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/communities\n",
            None,
        )
        .unwrap();
        assert_eq!(c.base_path(), "/communities");
        assert_eq!(c.link("/about/"), "/communities/about/");
        assert_eq!(c.link("https://x.org/"), "https://x.org/");
        assert_eq!(
            c.permalink("/about/"),
            "https://example.org/communities/about/"
        );
        assert_eq!(c.language, "en-GB");
    }

    #[test]
    fn base_url_override_wins() {
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/\n",
            Some("https://preview.example.net/x/"),
        )
        .unwrap();
        assert_eq!(c.link("/"), "/x/");
    }

    #[test]
    fn unknown_config_keys_are_errors_with_a_line() {
        let err = Config::parse("title: T\nbase_url: https://example.org/\ntitel: x\n", None)
            .unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.message.contains("titel"));
    }

    #[test]
    fn html_is_sanitised_unless_switched_off_with_a_warning() {
        let c = Config::parse("title: T\nbase_url: https://example.org/\n", None).unwrap();
        assert!(c.html.sanitize);
        assert!(c.warnings.is_empty());
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/\nhtml:\n  sanitize: false\n",
            None,
        )
        .unwrap();
        assert!(!c.html.sanitize);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].line(), Some(4));
        assert!(!c.warnings[0].is_error());
    }

    #[test]
    fn iframe_hosts_must_be_bare_host_names() {
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/\nhtml:\n  iframe_hosts: [www.youtube-nocookie.com]\n",
            None,
        )
        .unwrap();
        assert_eq!(c.html.iframe_hosts, ["www.youtube-nocookie.com"]);
        let err = Config::parse(
            "title: T\nbase_url: https://example.org/\nhtml:\n  iframe_hosts:\n    - https://player.example/embed\n",
            None,
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(5));
        assert!(err.hint.unwrap().contains("without https://"));
    }

    #[test]
    fn menu_links_that_could_run_script_are_refused_at_their_line() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "java\\tscript:alert(1)",
        ] {
            let text = format!(
                "title: T\nbase_url: https://example.org/\nmenus:\n  main:\n    - {{name: Home, url: /}}\n    - name: Evil\n      url: \"{url}\"\n"
            );
            let err = Config::parse(&text, None).unwrap_err();
            assert_eq!(err.line(), Some(7), "{url}");
            assert!(err.message.contains("\"Evil\""), "{}", err.message);
            assert!(err.hint.unwrap().contains("https://"));
        }
        let fine = "title: T\nbase_url: https://example.org/\nmenus:\n  main:\n    - {name: Home, url: /}\n    - {name: Mail, url: \"mailto:team@example.org\"}\n    - {name: Council, url: \"https://www.leicestershire.gov.uk/\"}\n";
        assert_eq!(Config::parse(fine, None).unwrap().menus["main"].len(), 3);
    }

    #[test]
    fn cms_section_is_optional_and_checked() {
        let c = Config::parse("title: T\nbase_url: https://example.org/\n", None).unwrap();
        assert_eq!(c.cms, None);
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/\ncms:\n  backend: github\n  repo: leics/communities\n",
            None,
        )
        .unwrap();
        let cms = c.cms.unwrap();
        assert_eq!(cms.backend, CmsBackend::Github);
        assert_eq!(cms.branch, "main");
        assert!(cms.pull_requests);
        let err = Config::parse(
            "title: T\nbase_url: https://example.org/\ncms:\n  backend: github\n  repo: communities\n",
            None,
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(5));
        let err = Config::parse(
            "title: T\nbase_url: https://example.org/\ncms:\n  backend: bitbucket\n  repo: a/b\n",
            None,
        )
        .unwrap_err();
        assert!(err.message.contains("bitbucket"), "{}", err.message);
    }

    #[test]
    fn image_settings_have_defaults_and_are_checked() {
        let c = Config::parse("title: T\nbase_url: https://example.org/\n", None).unwrap();
        assert_eq!(c.images, ImagesConfig::default());
        let c = Config::parse(
            "title: T\nbase_url: https://example.org/\nimages:\n  widths: [320, 640]\n  quality: 70\n  formats: []\n",
            None,
        )
        .unwrap();
        assert_eq!(c.images.widths, [320, 640]);
        assert!(c.images.formats.is_empty());
        let err = Config::parse(
            "title: T\nbase_url: https://example.org/\nimages:\n  quality: 0\n",
            None,
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(4));
        let err = Config::parse(
            "title: T\nbase_url: https://example.org/\nimages:\n  formats: [avif]\n",
            None,
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(4));
    }

    #[test]
    fn a_base_url_that_is_not_an_address_is_refused() {
        let err = Config::parse("title: T\nbase_url: example.org\n", None).unwrap_err();
        assert_eq!(err.line(), Some(2));
    }
}
