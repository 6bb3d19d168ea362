//! Where `build` keeps each page's rendered HTML and plain text from rendering its Markdown to
//! writing its page and the search index: in a temporary file rather than in memory, so that
//! memory does not grow with the site's text. At 100,000 pages the two were about half the
//! build's peak memory, held at once because every page is rendered before any is written.
//! `serve` holds them in memory instead: it keeps them from one build to the next.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diagnostics::Diagnostic;

/// An unnamed temporary file that texts are appended to from every core and read back from by
/// position. The system removes it when the build lets it go, however the build ends.
#[derive(Debug)]
pub struct Spill {
    file: File,
    end: AtomicU64,
}

impl Spill {
    /// A spill in the system's temporary folder; `None` where none can be made, or where the
    /// system has no reads and writes at a position: texts are then held in memory.
    pub fn new() -> Option<Arc<Spill>> {
        if !cfg!(unix) {
            return None;
        }
        let file = tempfile::tempfile().ok()?;
        Some(Arc::new(Spill {
            file,
            end: AtomicU64::new(0),
        }))
    }

    /// Appends `bytes`, returning where they start.
    fn put(&self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        write_at(&self.file, bytes, at)?;
        Ok(at)
    }

    fn get(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = vec![0; len];
        read_at(&self.file, &mut bytes, at)?;
        Ok(bytes)
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(unix)]
fn read_at(file: &File, bytes: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, at)
}

// `Spill::new` makes none on these systems.
#[cfg(not(unix))]
fn write_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// A text held in memory, or in a spill until it is read.
#[derive(Debug, Clone)]
pub enum Stored {
    Held(String),
    Spilled {
        spill: Arc<Spill>,
        at: u64,
        len: usize,
    },
}

impl Default for Stored {
    fn default() -> Self {
        Stored::Held(String::new())
    }
}

impl From<String> for Stored {
    fn from(text: String) -> Self {
        Stored::Held(text)
    }
}

impl Stored {
    /// The text moved into `spill` when there is one; held still if it is empty or writing
    /// it fails (the spill only saves memory).
    pub fn spilled(self, spill: Option<&Arc<Spill>>) -> Stored {
        match (self, spill) {
            (Stored::Held(text), Some(spill)) if !text.is_empty() => {
                match spill.put(text.as_bytes()) {
                    Ok(at) => Stored::Spilled {
                        spill: spill.clone(),
                        at,
                        len: text.len(),
                    },
                    Err(_) => Stored::Held(text),
                }
            }
            (stored, _) => stored,
        }
    }

    /// The text, read back from the spill if it is there.
    pub fn read(&self) -> io::Result<Cow<'_, str>> {
        match self {
            Stored::Held(text) => Ok(Cow::Borrowed(text)),
            Stored::Spilled { spill, at, len } => {
                let bytes = spill.get(*at, *len)?;
                String::from_utf8(bytes)
                    .map(Cow::Owned)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
            }
        }
    }

    /// `read`, a failure being a problem of `page`, the file it was rendered from: the build
    /// then fails rather than publish the page without its text.
    pub fn read_of(&self, page: &Path) -> Result<Cow<'_, str>, Diagnostic> {
        self.read().map_err(|e| {
            Diagnostic::file_error(
                page,
                format!("the page's rendered text could not be read back: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_spilled_from_many_threads_read_back_as_they_were_written() {
        let Some(spill) = Spill::new() else {
            return;
        };
        let texts: Vec<String> = (0..200)
            .map(|i| format!("<p>Page {i}: café société {}</p>", "x".repeat(i * 7)))
            .collect();
        let stored: Vec<Stored> = std::thread::scope(|scope| {
            let workers: Vec<_> = texts
                .chunks(50)
                .map(|chunk| {
                    let spill = &spill;
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|t| Stored::from(t.clone()).spilled(Some(spill)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        for (text, stored) in texts.iter().zip(&stored) {
            assert!(matches!(stored, Stored::Spilled { .. }));
            assert_eq!(stored.read().unwrap(), text.as_str());
        }
    }

    #[test]
    fn empty_texts_and_texts_without_a_spill_stay_held() {
        let spill = Spill::new();
        assert!(matches!(
            Stored::from(String::new()).spilled(spill.as_ref()),
            Stored::Held(_)
        ));
        let held = Stored::from("kept".to_string()).spilled(None);
        assert!(matches!(&held, Stored::Held(text) if text == "kept"));
        assert_eq!(held.read().unwrap(), "kept");
    }
}
