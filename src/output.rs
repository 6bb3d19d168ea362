//! Writing the built site: into a fresh folder beside the output, swapped in only when the
//! whole build succeeded, so that a failed build leaves the previous output as it was.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Location, Severity, display_path};

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

/// A build's fresh output folder, beside the real one until `commit` swaps it in. Its name
/// carries the process id, so that a later build can tell a folder left by a killed build.
pub struct Staging {
    output: PathBuf,
    staging: PathBuf,
    committed: bool,
    /// Leftovers of earlier builds that could not be removed, reported with the result.
    warnings: Vec<Diagnostic>,
}

/// Set only by tests: the build kills itself (as `kill -9` would) at the named step of the
/// swap, to prove that every instant of it leaves a whole site in place.
pub const KILL_AT_VARIABLE: &str = "COMMUNITIES_TEST_KILL_AT";

fn kill_point(step: &str) {
    if std::env::var_os(KILL_AT_VARIABLE).is_some_and(|at| at == step) {
        // SAFETY: raising a signal has no memory-safety preconditions.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
}

impl Staging {
    /// Checks that `output` is a safe place to build into, puts back the previous output if
    /// a killed build left it aside, removes other builds' leftovers, then makes the fresh
    /// folder.
    pub fn prepare(root: &Path, output: &Path) -> Result<Staging, Diagnostic> {
        let output = check_output_location(root, output)?;
        let parent = output.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(parent)
            .map_err(|e| refuse(&output, &format!("its folder cannot be made: {e}")))?;
        let warnings = recover(&output);
        let staging = staging_prefix(&output).with_file_name(format!(
            "{}{}",
            file_name(&staging_prefix(&output)),
            std::process::id()
        ));
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
            warnings,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.staging
    }

    pub fn output(&self) -> &Path {
        &self.output
    }

    /// Puts the new output in place of the old one, so that at every instant one whole site
    /// is at the output path: the two folders are exchanged in one step where the system can
    /// (Linux), else the old one is moved aside first and put back by the next build if this
    /// one is killed in between. Returns warnings: a new site in place whose predecessor
    /// could not be deleted is a success, with the folder left behind named.
    pub fn commit(mut self) -> Result<Vec<Diagnostic>, Diagnostic> {
        kill_point("staged");
        let shown = display_path(&self.output);
        let aside = if !self.output.exists() {
            std::fs::rename(&self.staging, &self.output).map_err(|e| {
                refuse(
                    &self.output,
                    &format!("the new site could not be moved there: {e}"),
                )
            })?;
            None
        } else if exchange(&self.staging, &self.output).is_ok() {
            // The staging path now holds the previous output.
            Some(self.staging.clone())
        } else {
            let old = aside_path(&self.staging);
            std::fs::rename(&self.output, &old).map_err(|e| {
                refuse(
                    &self.output,
                    &format!(
                        "the previous site could not be moved aside, so it is still in place: {e}"
                    ),
                )
            })?;
            kill_point("moved-aside");
            if let Err(error) = std::fs::rename(&self.staging, &self.output) {
                return Err(match std::fs::rename(&old, &self.output) {
                    Ok(()) => refuse(
                        &self.output,
                        &format!(
                            "the new site could not be moved there, so the previous one is still in place: {error}"
                        ),
                    ),
                    Err(back) => refuse(
                        &self.output,
                        &format!(
                            "the new site could not be moved there ({error}), nor the previous one put back ({back}): it is at {}",
                            display_path(&old)
                        ),
                    ),
                });
            }
            Some(old)
        };
        self.committed = true;
        kill_point("swapped");
        let mut warnings = std::mem::take(&mut self.warnings);
        if let Some(old) = aside
            && let Err(e) = remove_folder(&old)
        {
            warnings.push(
                Diagnostic::new(
                    Severity::Warning,
                    Location::File(old.clone()),
                    format!(
                        "the new site is in place at {shown}, but the previous one could not be deleted from {}: {e}",
                        display_path(&old)
                    ),
                )
                .with_hint("delete that folder yourself; the next build tries again"),
            );
        }
        Ok(warnings)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Deletes a folder and everything in it, its subfolders on every core: the previous site is
/// tens of thousands of files, and deleting them one by one held up the end of each build.
fn remove_folder(folder: &Path) -> io::Result<()> {
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(folder)?.collect::<Result<_, _>>()?;
    entries.par_iter().try_for_each(|entry| {
        // A link is removed itself, never followed.
        if entry.file_type()?.is_dir() {
            remove_folder(&entry.path())
        } else {
            std::fs::remove_file(entry.path())
        }
    })?;
    std::fs::remove_dir(folder)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `public` -> `.public.building-`, to which a build adds its process id.
fn staging_prefix(output: &Path) -> PathBuf {
    output.with_file_name(format!(".{}.building-", file_name(output)))
}

/// Where the previous output waits while it is swapped without an exchange.
fn aside_path(staging: &Path) -> PathBuf {
    staging.with_file_name(format!("{}.old", file_name(staging)))
}

/// Exchanges two folders in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let path = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (path(a)?, path(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Undoes what killed builds left: the previous output put back if a build died between
/// moving it aside and moving the new one in, and every other build's folder removed.
/// Folders of builds still running are left alone.
fn recover(output: &Path) -> Vec<Diagnostic> {
    let prefix = file_name(&staging_prefix(output));
    let Some(parent) = output.parent() else {
        return Vec::new();
    };
    let mut leftovers: Vec<(PathBuf, bool)> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            let (pid, aside) = match rest.strip_suffix(".old") {
                Some(pid) => (pid, true),
                None => (rest, false),
            };
            // Known by name alone: a build killed before writing its marker, or one whose
            // old site was deleted only in part, has none.
            let pid: u32 = pid.parse().ok()?;
            (entry.path().is_dir() && !is_running(pid)).then(|| (entry.path(), aside))
        })
        .collect();
    let mut warnings = Vec::new();
    if !output.exists()
        && let Some(at) = leftovers.iter().position(|(_, aside)| *aside)
    {
        let (old, _) = leftovers.remove(at);
        if let Err(e) = std::fs::rename(&old, output) {
            warnings.push(Diagnostic::new(
                Severity::Warning,
                Location::File(old.clone()),
                format!(
                    "an earlier build was stopped while swapping sites, and its previous site could not be put back at {}: {e}",
                    display_path(output)
                ),
            ));
        }
    }
    for (path, _) in leftovers {
        if let Err(e) = std::fs::remove_dir_all(&path) {
            warnings.push(
                Diagnostic::new(
                    Severity::Warning,
                    Location::File(path.clone()),
                    format!(
                        "this folder, left by a build that was stopped, could not be deleted: {e}"
                    ),
                )
                .with_hint("delete it yourself"),
            );
        }
    }
    warnings
}

/// Whether a process of this id is alive (or belongs to someone else, and so may be).
fn is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
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
    fn removing_a_folder_deletes_its_whole_tree_but_not_what_a_link_in_it_points_to() {
        let tmp = tempfile::tempdir().unwrap();
        let kept = tmp.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        std::fs::write(kept.join("file.txt"), "stays").unwrap();
        let old = tmp.path().join("old");
        for page in ["a/b/c", "a/d", "e"] {
            std::fs::create_dir_all(old.join(page)).unwrap();
            std::fs::write(old.join(page).join("index.html"), page).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&kept, old.join("a/link")).unwrap();
        remove_folder(&old).unwrap();
        assert!(!old.exists());
        assert_eq!(
            std::fs::read_to_string(kept.join("file.txt")).unwrap(),
            "stays"
        );
    }

    #[test]
    fn commit_replaces_the_old_output_and_drop_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let output = root.join("public");
        let first = Staging::prepare(root, &output).unwrap();
        std::fs::write(first.dir().join("a.html"), "one").unwrap();
        assert!(first.commit().unwrap().is_empty());
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

    /// The id of a process that has ended.
    fn ended_process() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn a_previous_output_left_aside_by_a_killed_swap_is_put_back_and_leftovers_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let output = root.join("public");
        let pid = ended_process();
        let aside = root.join(format!(".public.building-{pid}.old"));
        let half_built = root.join(format!(".public.building-{pid}"));
        let empty = root.join(format!(".public.building-{}", ended_process()));
        for dir in [&aside, &half_built] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join(MARKER), MARKER_TEXT).unwrap();
        }
        std::fs::write(aside.join("index.html"), "previous").unwrap();
        std::fs::create_dir(&empty).unwrap();

        let staging = Staging::prepare(root, &output).unwrap();
        assert_eq!(
            std::fs::read_to_string(output.join("index.html")).unwrap(),
            "previous"
        );
        assert!(!aside.exists() && !half_built.exists() && !empty.exists());
        std::fs::write(staging.dir().join("index.html"), "new").unwrap();
        assert!(staging.commit().unwrap().is_empty());
        assert_eq!(
            std::fs::read_to_string(output.join("index.html")).unwrap(),
            "new"
        );
        let left: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["public"]);
    }

    #[test]
    fn folders_of_a_running_build_are_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let running = root.join(format!(".public.building-{}", std::process::id()));
        let other = root.join(".public.building-notes");
        std::fs::create_dir(&other).unwrap();
        // The parent of this test process is alive.
        let parent = root.join(format!(
            ".public.building-{}",
            std::os::unix::process::parent_id()
        ));
        std::fs::create_dir(&parent).unwrap();
        std::fs::write(parent.join(MARKER), MARKER_TEXT).unwrap();
        let staging = Staging::prepare(root, &root.join("public")).unwrap();
        assert_eq!(staging.dir(), running);
        assert!(other.exists());
        assert!(parent.join(MARKER).exists());
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
