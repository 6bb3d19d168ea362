//! `site.yaml`: the site's title, address, language, listing size and menus.

use std::collections::BTreeMap;
use std::path::Path;

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
}

impl Config {
    pub fn load(root: &Path, base_url_override: Option<&str>) -> Result<Config, Diagnostic> {
        let path = Path::new(CONFIG_FILE);
        let text = std::fs::read_to_string(root.join(path)).map_err(|e| {
            Diagnostic::error(path, 1, 1, format!("cannot read {CONFIG_FILE}: {e}")).with_hint(
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
        Ok(Config {
            title: raw.title,
            base_url,
            language: raw.language,
            description: raw.description,
            page_size: raw.page_size,
            menus: raw.menus,
            max_file_mb: raw.max_file_mb,
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
        let origin = self.base_url.origin().ascii_serialization();
        format!("{origin}{}", self.link(site_path))
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

fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(key))
        .map_or(1, |i| i + 1)
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
        assert_eq!(err.line, 3);
        assert!(err.message.contains("titel"));
    }

    #[test]
    fn a_base_url_that_is_not_an_address_is_refused() {
        let err = Config::parse("title: T\nbase_url: example.org\n", None).unwrap_err();
        assert_eq!(err.line, 2);
    }
}
