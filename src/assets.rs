//! Stylesheets and scripts are published under names that carry a hash of their content, so a
//! host can let browsers keep them for a year: a changed file gets a new name. Templates ask
//! for them by their plain name through one function, `asset(path='/style.css')`. They are
//! minified first (comments and spacing removed), so the hash names what is published.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tera::{Kwargs, State, Tera};

/// Hex digits of the hash kept in a name: plenty to tell versions of one file apart.
const HASH_LENGTH: usize = 10;

/// Whether files of this path are published under a hashed name.
pub fn is_fingerprinted(path: &str) -> bool {
    matches!(
        std::path::Path::new(path)
            .extension()
            .and_then(|e| e.to_str()),
        Some("css" | "js" | "mjs")
    )
}

/// A stylesheet or script without its comments and spacing, by the `minifier` crate (light:
/// no dependencies of its own). A file it cannot read as CSS or JavaScript is published as
/// written: minifying only saves bytes, and the browser is the judge of the file.
pub fn minified(path: &str, bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bytes;
    };
    let extension = std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str());
    let smaller = match extension {
        Some("css") => minifier::css::minify(text).map(|m| m.to_string()),
        Some("js" | "mjs") => minifier::js::minify(text).map(|m| m.to_string()),
        _ => return bytes,
    };
    match smaller {
        Ok(smaller) => smaller.into_bytes(),
        Err(_) => bytes,
    }
}

/// `style.css` with these bytes -> `style.1a2b3c4d5e.css`, in the same folder so that
/// relative references inside a stylesheet keep working.
pub fn fingerprinted_path(path: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .take(HASH_LENGTH)
        .collect();
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let (stem, extension) = file.rsplit_once('.').unwrap_or((file, ""));
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    format!("{dir}{stem}.{hash}.{extension}")
}

/// Plain site path (`/style.css`) -> published site path (`/style.1a2b3c4d5e.css`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprints(BTreeMap<String, String>);

impl Fingerprints {
    /// Records a file given as a path in the output (`style.css`) and returns the path it is
    /// published at.
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> String {
        let published = fingerprinted_path(path, bytes);
        self.0.insert(format!("/{path}"), format!("/{published}"));
        published
    }

    pub fn get(&self, site_path: &str) -> Option<&str> {
        self.0.get(site_path).map(String::as_str)
    }

    /// The path in the output (`style.css`) of the file published at `published`
    /// (`style.1a2b3c4d5e.css`).
    pub fn plain_path(&self, published: &str) -> Option<String> {
        let published = format!("/{published}");
        self.0
            .iter()
            .find(|(_, p)| **p == published)
            .map(|(plain, _)| plain.trim_start_matches('/').to_string())
    }
}

/// Registers `asset(path='/style.css')`: the hashed file's link, with the base path in front.
pub fn register(tera: &mut Tera, fingerprints: &Fingerprints, base_path: &str) {
    let fingerprints = Arc::new(fingerprints.clone());
    let base = base_path.to_string();
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: &str = kwargs.must_get("path")?;
            match fingerprints.get(path) {
                Some(published) => Ok(format!("{base}{published}")),
                None => Err(tera::Error::message(format!(
                    "asset(path={path:?}) names no stylesheet or script; asset() is for the .css and .js files of the theme's or the site's static/ folder, e.g. asset(path='/style.css')"
                ))),
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_folder_and_extension_and_follow_the_content() {
        let a = fingerprinted_path("js/search.js", b"one");
        let b = fingerprinted_path("js/search.js", b"two");
        assert!(a.starts_with("js/search.") && a.ends_with(".js"), "{a}");
        assert_eq!(a.len(), "js/search..js".len() + HASH_LENGTH);
        assert_ne!(a, b);
        assert_eq!(a, fingerprinted_path("js/search.js", b"one"));
    }

    #[test]
    fn stylesheets_and_scripts_lose_comments_and_spacing_but_keep_their_rules() {
        let css =
            b"/* Why. */\n:root {\n  --ink: #0b0c0c;\n}\n\na[href] {\n  color: var(--ink);\n}\n";
        let small = String::from_utf8(minified("style.css", css.to_vec())).unwrap();
        assert!(!small.contains("Why") && !small.contains('\n'), "{small}");
        assert!(
            small.contains("--ink:#0b0c0c") && small.contains("a[href]{color:var(--ink)"),
            "{small}"
        );
        let js = b"// Why.\nconst answer = 40 + 2;\nconsole.log(`${answer}`);\n";
        let small = String::from_utf8(minified("app.js", js.to_vec())).unwrap();
        assert!(!small.contains("Why") && small.contains("40+2"), "{small}");
        assert_eq!(minified("plan.pdf", b"%PDF /* */".to_vec()), b"%PDF /* */");
    }

    #[test]
    fn only_stylesheets_and_scripts_are_fingerprinted() {
        assert!(is_fingerprinted("style.css"));
        assert!(is_fingerprinted("js/app.mjs"));
        assert!(!is_fingerprinted("resources/plan.pdf"));
        assert!(!is_fingerprinted("logo.svg"));
    }

    #[test]
    fn the_template_function_links_the_hashed_file_under_the_base_path() {
        let mut fingerprints = Fingerprints::default();
        let published = fingerprints.add("style.css", b"body{}");
        let mut tera = Tera::new();
        register(&mut tera, &fingerprints, "/communities");
        tera.add_raw_template("t", "{{ asset(path='/style.css') }}")
            .unwrap();
        let out = tera.render("t", &tera::Context::new()).unwrap();
        assert_eq!(out, format!("/communities/{published}"));

        tera.add_raw_template("bad", "{{ asset(path='/nope.css') }}")
            .unwrap();
        let err = tera.render("bad", &tera::Context::new()).unwrap_err();
        assert!(format!("{err:?}").contains("nope.css"), "{err:?}");
    }
}
