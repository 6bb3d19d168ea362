//! The theme: the built-in templates and static files compiled into the binary, each
//! replaceable by the site's own file of the same path under `themes/default/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use tera::{Kwargs, State, Tera};

use crate::assets::Fingerprints;
use crate::diagnostics::Diagnostic;

/// The default theme, as it is in this repository.
pub static THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

pub const THEME_DIR: &str = "themes/default";

/// Loads the templates: the built-in ones, each replaced by the site's own file of the same
/// name where there is one. `assets` are the hashed stylesheets and scripts `asset()` links.
pub fn load_templates(
    root: &Path,
    base_path: &str,
    assets: &Fingerprints,
) -> Result<Tera, Vec<Diagnostic>> {
    let mut templates: BTreeMap<String, String> = BTreeMap::new();
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
    if !problems.is_empty() {
        return Err(problems);
    }
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
