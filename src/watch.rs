//! Watching the site's sources with notify, debounced so that a burst of saves is one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::diagnostics::Diagnostic;

/// Short enough to feel instant, long enough that an editor's write-then-rename is one batch.
const DEBOUNCE: Duration = Duration::from_millis(5);

/// The folders watched with everything in them; site.yaml is seen through the root's watch.
const SOURCES: [&str; 3] = ["content", "themes", "static"];

pub struct Watcher {
    root: PathBuf,
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    watched: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Calls `changed` with the paths of each debounced batch of changes, from another thread;
    /// with the root alone when changes were lost (the kernel's queue of them overflowed), so
    /// that every file is read again.
    pub fn start(
        root: &Path,
        mut changed: impl FnMut(Vec<PathBuf>) + Send + 'static,
    ) -> Result<Watcher, Diagnostic> {
        let lost = root.to_path_buf();
        let debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
            match result {
                Ok(events) if events.iter().any(|e| e.need_rescan()) => {
                    changed(vec![lost.clone()]);
                }
                Ok(events) => {
                    // Reading a file is not changing it: the build's own reads must not
                    // start another build.
                    let paths: Vec<PathBuf> = events
                        .into_iter()
                        .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                        .flat_map(|e| e.event.paths)
                        .collect();
                    if !paths.is_empty() {
                        changed(paths);
                    }
                }
                Err(errors) => {
                    for error in errors {
                        eprintln!("watching for changes failed: {error}");
                    }
                }
            }
        })
        .map_err(|e| watch_error(root, &e))?;
        let mut watcher = Watcher {
            root: root.to_path_buf(),
            debouncer,
            watched: BTreeSet::new(),
        };
        watcher
            .debouncer
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(root, &e))?;
        // The first build reads what the folders hold already.
        watcher.refresh();
        Ok(watcher)
    }

    /// Watches source folders created since the last call (a site may start without static/
    /// or its own themes/), and returns the files already in them: written before the watch
    /// began, they would otherwise never be seen.
    pub fn refresh(&mut self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for name in SOURCES {
            let dir = self.root.join(name);
            if dir.is_dir() && !self.watched.contains(&dir) {
                match self.debouncer.watch(&dir, RecursiveMode::Recursive) {
                    Ok(()) => {
                        found.extend(
                            walkdir::WalkDir::new(&dir)
                                .into_iter()
                                .flatten()
                                .filter(|entry| entry.file_type().is_file())
                                .map(walkdir::DirEntry::into_path),
                        );
                        self.watched.insert(dir);
                    }
                    Err(error) => eprintln!("{}", watch_error(&dir, &error)),
                }
            } else if !dir.is_dir() && self.watched.remove(&dir) {
                // Its watch ended with the folder; a new folder of that name is watched anew.
                let _ = self.debouncer.unwatch(&dir);
            }
        }
        found
    }
}

fn watch_error(path: &Path, error: &notify::Error) -> Diagnostic {
    Diagnostic::file_error(path, format!("cannot watch for changes: {error}"))
        .with_hint("on Linux, raise fs.inotify.max_user_watches if there are many folders")
}
