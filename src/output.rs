//! Writing the built site: into a fresh folder beside the output, swapped in only when the
//! whole build succeeded, so that a failed build leaves the previous output as it was.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diagnostics::{Diagnostic, display_path};

/// Where rendered files go: a folder on disk, or nowhere (for `check`).
pub trait Sink: Sync {
    /// `path` is relative to the output folder, with forward slashes.
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()>;
    fn copy(&self, path: &str, from: &Path) -> io::Result<()>;
}

/// Discards everything: `check` renders every page but writes nothing.
pub struct NullSink;

impl Sink for NullSink {
    fn write(&self, _: &str, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn copy(&self, _: &str, from: &Path) -> io::Result<()> {
        std::fs::metadata(from).map(|_| ())
    }
}

/// Writes into a folder, creating each subfolder once.
pub struct DirSink {
    dir: PathBuf,
    created: Mutex<HashSet<PathBuf>>,
}

impl DirSink {
    pub fn new(dir: PathBuf) -> Self {
        DirSink {
            dir,
            created: Mutex::new(HashSet::new()),
        }
    }

    fn target(&self, path: &str) -> io::Result<PathBuf> {
        let target = self.dir.join(plain(path)?);
        if let Some(parent) = target.parent() {
            // The lock only guards the record; folders are made outside it, in parallel
            // (making one twice is harmless).
            let known = self
                .created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(parent);
            if !known {
                std::fs::create_dir_all(parent)?;
                self.created
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(parent.to_path_buf());
            }
        }
        Ok(target)
    }
}

impl Sink for DirSink {
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        std::fs::write(self.target(path)?, bytes)
    }

    fn copy(&self, path: &str, from: &Path) -> io::Result<()> {
        std::fs::copy(from, self.target(path)?).map(|_| ())
    }
}

/// `path` as a relative path that stays inside the output.
fn plain(path: &str) -> io::Result<&Path> {
    let rel = Path::new(path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{path:?} is not a plain path inside the output"),
        ));
    }
    Ok(rel)
}

/// The files of a built site held in memory, by output path: what `serve` serves.
pub type Files = HashMap<String, Arc<[u8]>>;

/// Keeps everything in memory, for `serve`.
#[derive(Default)]
pub struct MemorySink {
    files: Mutex<Files>,
}

impl MemorySink {
    pub fn into_files(self) -> Files {
        self.files.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, path: &str, bytes: Arc<[u8]>) -> io::Result<()> {
        plain(path)?;
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), bytes);
        Ok(())
    }
}

impl Sink for MemorySink {
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.insert(path, Arc::from(bytes))
    }

    fn copy(&self, path: &str, from: &Path) -> io::Result<()> {
        self.insert(path, Arc::from(std::fs::read(from)?))
    }
}

/// The file that marks a folder as one this tool made, and so one it may replace.
pub const MARKER: &str = ".communities-output";
const MARKER_TEXT: &str =
    "This folder is written by `communities build`; it is replaced on every build.\n";

/// A build's fresh output folder, beside the real one until `commit` swaps it in.
pub struct Staging {
    output: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Checks that `output` is a safe place to build into, then makes the fresh folder.
    pub fn prepare(root: &Path, output: &Path) -> Result<Staging, Diagnostic> {
        let output = check_output_location(root, output)?;
        let parent = output.parent().unwrap_or(Path::new("/"));
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::create_dir_all(parent)
            .map_err(|e| refuse(&output, &format!("its folder cannot be made: {e}")))?;
        let staging = parent.join(format!(".{name}.building-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| refuse(&staging, &e.to_string()))?;
        }
        std::fs::create_dir(&staging)
            .map_err(|e| refuse(&staging, &format!("cannot be made: {e}")))?;
        std::fs::write(staging.join(MARKER), MARKER_TEXT)
            .map_err(|e| refuse(&staging, &e.to_string()))?;
        Ok(Staging {
            output,
            staging,
            committed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.staging
    }

    pub fn output(&self) -> &Path {
        &self.output
    }

    /// Puts the new output in place of the old one. The old one is moved aside first and
    /// deleted only once the new one is in place.
    pub fn commit(mut self) -> io::Result<()> {
        let old = self.staging.with_file_name(format!(
            "{}.old",
            self.staging
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let had_output = self.output.exists();
        if had_output {
            std::fs::rename(&self.output, &old)?;
        }
        if let Err(error) = std::fs::rename(&self.staging, &self.output) {
            if had_output {
                // Put the previous output back: nothing may be lost.
                std::fs::rename(&old, &self.output)?;
            }
            return Err(error);
        }
        self.committed = true;
        if had_output {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn refuse(output: &Path, why: &str) -> Diagnostic {
    Diagnostic::file_error(
        output,
        format!("cannot build into {}: {why}", display_path(output)),
    )
}

/// An absolute path with `.` and `..` folded, following links in the part that exists.
fn absolute(path: &Path) -> io::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut resolved = existing.canonicalize()?;
    for name in rest.into_iter().rev() {
        if name == ".." {
            resolved.pop();
        } else if name != "." {
            resolved.push(name);
        }
    }
    Ok(resolved)
}

/// The output may not be the root or hold it, lie inside the site's sources, or be a folder
/// with files in it that this tool did not make.
pub fn check_output_location(root: &Path, output: &Path) -> Result<PathBuf, Diagnostic> {
    let shown = output.to_path_buf();
    let root = absolute(root).map_err(|e| refuse(&shown, &e.to_string()))?;
    let out = absolute(output).map_err(|e| refuse(&shown, &e.to_string()))?;
    if root.starts_with(&out) {
        return Err(refuse(
            &shown,
            "it is the site folder or contains it, so building would delete the site",
        )
        .with_hint("choose a folder inside the site, e.g. --output public"));
    }
    for source in ["content", "themes", "static"] {
        if out.starts_with(root.join(source)) {
            return Err(refuse(
                &shown,
                &format!("it is inside {source}/, which holds the site's sources"),
            )
            .with_hint("choose a folder of its own, e.g. --output public"));
        }
    }
    if out.is_file() {
        return Err(refuse(&shown, "it is a file, not a folder"));
    }
    if out.is_dir() {
        let mut entries = std::fs::read_dir(&out).map_err(|e| refuse(&shown, &e.to_string()))?;
        let empty = entries.next().is_none();
        if !empty && !out.join(MARKER).is_file() {
            return Err(refuse(
                &shown,
                "it already has files in it that communities did not write, and building would replace them",
            )
            .with_hint("empty or remove that folder yourself, or choose another --output"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_old_output_and_drop_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let output = root.join("public");
        let first = Staging::prepare(root, &output).unwrap();
        std::fs::write(first.dir().join("a.html"), "one").unwrap();
        first.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(output.join("a.html")).unwrap(),
            "one"
        );

        let abandoned = Staging::prepare(root, &output).unwrap();
        let staging_dir = abandoned.dir().to_path_buf();
        std::fs::write(staging_dir.join("a.html"), "two").unwrap();
        drop(abandoned);
        assert!(!staging_dir.exists());
        assert_eq!(
            std::fs::read_to_string(output.join("a.html")).unwrap(),
            "one"
        );
    }

    #[test]
    fn sink_refuses_paths_that_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = DirSink::new(tmp.path().join("out"));
        assert!(sink.write("../escape.html", b"x").is_err());
        assert!(sink.write("/abs.html", b"x").is_err());
        assert!(sink.write("a/b/index.html", b"x").is_ok());
        let memory = MemorySink::default();
        assert!(memory.write("../escape.html", b"x").is_err());
        assert!(memory.write("a/index.html", b"x").is_ok());
        assert_eq!(
            memory.into_files().keys().collect::<Vec<_>>(),
            ["a/index.html"]
        );
    }
}
