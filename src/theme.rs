//! The theme: the built-in templates and static files compiled into the binary, each
//! replaceable by the site's own file of the same path under `themes/default/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use tera::{Kwargs, State, Tera};

use crate::assets::Fingerprints;
use crate::diagnostics::Diagnostic;

/// The default theme, as it is in this repository.
pub static THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

pub const THEME_DIR: &str = "themes/default";

/// The templates' text by name: the built-in ones, each replaced by the site's own file of
/// the same name where there is one.
pub type Templates = BTreeMap<String, String>;

/// Loads and compiles the templates. `assets` are the hashed stylesheets and scripts
/// `asset()` links.
pub fn load_templates(
    root: &Path,
    base_path: &str,
    assets: &Fingerprints,
) -> Result<Tera, Vec<Diagnostic>> {
    compile(&read_templates(root)?, base_path, assets)
}

pub fn read_templates(root: &Path) -> Result<Templates, Vec<Diagnostic>> {
    let mut templates = Templates::new();
    for file in theme_files("templates") {
        let name = template_name(file.path());
        templates.insert(name, file.contents_utf8().unwrap_or_default().to_string());
    }
    let own = Path::new(THEME_DIR).join("templates");
    let (files, mut problems) = crate::content::site_files(root, &own);
    for rel in files {
        let name = crate::diagnostics::display_path(rel.strip_prefix(&own).unwrap_or(&rel));
        match std::fs::read_to_string(root.join(&rel)) {
            Ok(text) => {
                templates.insert(name, text);
            }
            Err(error) => problems.push(Diagnostic::file_error(
                &rel,
                format!("this template cannot be read: {error}"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(templates)
    } else {
        Err(problems)
    }
}

pub fn compile(
    templates: &Templates,
    base_path: &str,
    assets: &Fingerprints,
) -> Result<Tera, Vec<Diagnostic>> {
    let mut tera = Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    let base = base_path.to_string();
    tera.register_function(
        "url",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: &str = kwargs.must_get("path")?;
            Ok(if path.starts_with('/') && !path.starts_with("//") {
                format!("{base}{path}")
            } else {
                path.to_string()
            })
        },
    );
    crate::assets::register(&mut tera, assets, base_path);
    tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| vec![template_error(&e)])?;
    Ok(tera)
}

/// The templates whose output an edit from `old` to `new` can change: those edited, added or
/// removed, and every template that extends, includes or imports one of them, however
/// indirectly. Tera keeps these links to itself, so they are read from the tags.
pub fn affected_templates(old: &Templates, new: &Templates) -> BTreeSet<String> {
    let mut affected: BTreeSet<String> = old
        .keys()
        .chain(new.keys())
        .filter(|name| old.get(*name) != new.get(*name))
        .cloned()
        .collect();
    let uses: Vec<(&String, BTreeSet<&str>)> = new
        .iter()
        .map(|(name, text)| (name, used_templates(text)))
        .collect();
    loop {
        let more: Vec<String> = uses
            .iter()
            .filter(|(name, used)| {
                !affected.contains(*name) && used.iter().any(|u| affected.contains(*u))
            })
            .map(|(name, _)| (*name).clone())
            .collect();
        if more.is_empty() {
            return affected;
        }
        affected.extend(more);
    }
}

/// The names a template's `extends`, `include` and `import` tags give.
fn used_templates(text: &str) -> BTreeSet<&str> {
    let mut used = BTreeSet::new();
    for tag in text.split("{%").skip(1) {
        let tag = tag.split("%}").next().unwrap_or_default();
        let tag = tag.trim_start_matches(['-', '+']).trim_start();
        let keyword = tag.split_whitespace().next().unwrap_or_default();
        if !matches!(keyword, "extends" | "include" | "import") {
            continue;
        }
        let rest = tag[keyword.len()..].trim_start();
        if let Some(quote) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
            && let Some(name) = rest[1..].split(quote).next()
        {
            used.insert(name);
        }
    }
    used
}

/// Every built-in theme file below `folder` (`templates` or `static`), subfolders included.
pub fn theme_files(folder: &str) -> Vec<&'static include_dir::File<'static>> {
    let mut files = Vec::new();
    let mut stack: Vec<&Dir> = THEME.get_dir(folder).into_iter().collect();
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        files.extend(dir.files());
    }
    files
}

fn template_name(path: &Path) -> String {
    let rel = path.strip_prefix("templates").unwrap_or(path);
    crate::diagnostics::display_path(rel)
}

fn template_path(name: &str) -> PathBuf {
    Path::new(THEME_DIR).join("templates").join(name)
}

/// A Tera error as a diagnostic at the template's file, line and column.
pub fn template_error(error: &tera::Error) -> Diagnostic {
    match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            Diagnostic::error(
                template_path(report.filename()),
                span.start_line,
                span.start_col + 1,
                format!("template error: {}", report.message()),
            )
        }
        _ => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                message = format!("{message}: {inner}");
                source = inner.source();
            }
            Diagnostic::file_error(
                Path::new(THEME_DIR).join("templates"),
                format!("template error: {message}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(files: &[(&str, &str)]) -> Templates {
        files
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect()
    }

    #[test]
    fn an_edited_template_affects_what_extends_or_includes_it_and_nothing_else() {
        let old = templates(&[
            (
                "base.html",
                "<main>{% block content %}{% endblock %}</main>",
            ),
            ("parts/card.html", "<li>{{ page.title }}</li>"),
            (
                "section.html",
                "{% extends \"base.html\" %}{% block content %}{% include 'parts/card.html' %}{% endblock %}",
            ),
            ("home.html", "{%- extends \"base.html\" -%}"),
            ("404.html", "<p>Lost</p>"),
        ]);
        let mut new = old.clone();
        new.insert("parts/card.html".into(), "<li>{{ page.url }}</li>".into());
        assert_eq!(
            affected_templates(&old, &new),
            BTreeSet::from(["parts/card.html".into(), "section.html".into()])
        );
        new.insert("base.html".into(), "<main id=main></main>".into());
        assert_eq!(affected_templates(&old, &new).len(), 4);
        assert!(!affected_templates(&old, &new).contains("404.html"));
        assert!(affected_templates(&old, &old).is_empty());
    }
}
