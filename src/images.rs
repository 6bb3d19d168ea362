//! Pictures: every picture a page shows is decoded, turned upright, stripped of its metadata
//! (a phone photo's EXIF often holds where it was taken), resized to a few widths and
//! encoded as WebP with a JPEG (or, when transparent, PNG) fallback, under content-hashed
//! names in `/pictures/`. SVG and GIF are published as they are. Results are kept in an on-disk
//! cache keyed by the source bytes and the settings, so unchanged pictures cost no work.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use pulldown_cmark_escape::escape_href;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, ImageFormatName, ImagesConfig};
use crate::content::url_segment;
use crate::diagnostics::Diagnostic;

/// The site folder processed pictures are published in.
pub const PUBLISHED_DIR: &str = "pictures";

/// Changes whenever processing changes what it makes, so old cache entries are not reused.
const PROCESSING_VERSION: &str = "2";

/// Hex digits of the cache key kept in a published name.
const NAME_HASH_LENGTH: usize = 10;

/// How wide the theme shows a picture in the text, for the browser to choose a file before
/// the stylesheet loads: the text column (`.prose`) is 42rem inside 1.25rem margins, 1rem up to
/// 40rem wide windows. `tests/images.rs` checks it, and the templates' `sizes`, against
/// style.css.
pub const SIZES_TEXT: &str =
    "(min-width: 44.5rem) 42rem, (min-width: 40.01rem) calc(100vw - 2.5rem), calc(100vw - 2rem)";

/// Extensions of formats browsers cannot show, with what the file is, for the error.
const UNSHOWABLE: [(&str, &str); 16] = [
    ("heic", "an iPhone HEIC photo"),
    ("heif", "a HEIF photo"),
    ("avif", "an AVIF picture"),
    ("tif", "a TIFF picture"),
    ("tiff", "a TIFF picture"),
    ("psd", "a Photoshop file"),
    ("dng", "a camera RAW file"),
    ("cr2", "a camera RAW file"),
    ("cr3", "a camera RAW file"),
    ("nef", "a camera RAW file"),
    ("arw", "a camera RAW file"),
    ("orf", "a camera RAW file"),
    ("rw2", "a camera RAW file"),
    ("raf", "a camera RAW file"),
    ("pef", "a camera RAW file"),
    ("srw", "a camera RAW file"),
];

const EXPORT_HINT: &str = "save it as a JPEG and use that file: on an iPhone, set Settings > Camera > Formats to \"Most Compatible\" or share the photo by email, which sends a JPEG; on a PC, open it in Photos (or the program that made it) and choose Save as / Export > JPEG";

/// One published file of a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The site path, e.g. `/pictures/hall-800.1a2b3c4d5e.webp`.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A picture as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// The size the `<img>` reserves: the largest variant's.
    pub width: u32,
    pub height: u32,
    /// WebP variants, narrowest first; empty for a picture published as it is.
    pub webp: Vec<Variant>,
    /// Variants every browser shows (JPEG or PNG, or the SVG or GIF as it is), narrowest first.
    pub fallback: Vec<Variant>,
    /// The picture is narrower than pages show it, so it will look blurred.
    pub too_small: Option<Problem>,
    /// Output path (no leading slash) -> file in the cache (or the source) to publish.
    files: Vec<(String, PathBuf)>,
}

/// Why a picture cannot be published, for the page that shows it to report where it names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: String,
    pub warning: bool,
}

impl Problem {
    fn error(message: String, hint: &str) -> Problem {
        Problem {
            message,
            hint: hint.to_string(),
            warning: false,
        }
    }

    /// The problem reported at the place in `path` that names the picture.
    pub fn at(&self, path: &Path, line: usize, column: usize) -> Diagnostic {
        let diagnostic = if self.warning {
            Diagnostic::warning(path, line, column, self.message.clone())
        } else {
            Diagnostic::error(path, line, column, self.message.clone())
        };
        diagnostic.with_hint(self.hint.clone())
    }
}

/// The settings one processing run uses; part of every cache key.
#[derive(Debug, Clone)]
struct Settings {
    widths: Vec<u32>,
    quality: u8,
    webp: bool,
    max_pixels: u64,
    max_bytes: u64,
    min_width: u32,
}

impl Settings {
    fn new(images: &ImagesConfig, max_file_mb: u64) -> Settings {
        let mut widths = images.widths.clone();
        widths.sort_unstable();
        widths.dedup();
        Settings {
            widths,
            quality: images.quality,
            webp: images.formats.contains(&ImageFormatName::Webp),
            max_pixels: u64::from(images.max_megapixels) * 1_000_000,
            max_bytes: max_file_mb * 1024 * 1024,
            min_width: images.min_width,
        }
    }

    /// What, besides the source bytes, decides the files made.
    fn fingerprint(&self) -> String {
        format!(
            "v{PROCESSING_VERSION} widths={:?} quality={} webp={}",
            self.widths, self.quality, self.webp
        )
    }
}

type Slot = Arc<OnceLock<Result<Arc<Picture>, Problem>>>;

/// The pictures of one build: each processed once, however many pages show it, and in
/// parallel as pages are rendered.
#[derive(Debug)]
pub struct Pictures {
    root: PathBuf,
    /// `None` processes nothing: pictures are shown as written.
    settings: Option<Settings>,
    cache: PathBuf,
    /// Pictures not in the cache are encoded into it; else they are only checked.
    encode: bool,
    done: Mutex<HashMap<PathBuf, Slot>>,
    encoded: AtomicUsize,
    checked: AtomicUsize,
    reused: AtomicUsize,
}

/// How much picture work a build did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Pictures decoded and encoded.
    pub encoded: usize,
    /// Pictures decoded to be checked, and not encoded.
    pub checked: usize,
    /// Pictures taken from the cache.
    pub reused: usize,
}

impl Pictures {
    /// Makes the pictures of a build, taking them from the cache or storing them in it.
    pub fn new(root: &Path, config: &Config) -> Pictures {
        Pictures {
            root: root.to_path_buf(),
            settings: Some(Settings::new(&config.images, config.max_file_mb)),
            cache: root.join(&config.images.cache).join("images"),
            encode: true,
            done: Mutex::default(),
            encoded: AtomicUsize::new(0),
            checked: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
        }
    }

    /// Finds every problem `new` would, but encodes and stores nothing: for `check`, which
    /// publishes nothing. Pictures already in the cache are taken from it.
    pub fn checking(root: &Path, config: &Config) -> Pictures {
        Pictures {
            encode: false,
            ..Pictures::new(root, config)
        }
    }

    /// The site folder the pictures are found in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Processes nothing: for rendering Markdown outside a site.
    pub fn off() -> Pictures {
        Pictures {
            root: PathBuf::new(),
            settings: None,
            cache: PathBuf::new(),
            encode: false,
            done: Mutex::default(),
            encoded: AtomicUsize::new(0),
            checked: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
        }
    }

    pub fn work(&self) -> Work {
        Work {
            encoded: self.encoded.load(Ordering::Relaxed),
            checked: self.checked.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
        }
    }

    /// The picture at `source` (relative to the root) as pages show it; `None` when it is no
    /// picture file, or there is no such file (which the link check reports).
    pub fn get(&self, source: &Path) -> Option<Result<Arc<Picture>, Problem>> {
        let settings = self.settings.as_ref()?;
        let extension = extension(source)?;
        if !is_picture_extension(&extension) || !self.root.join(source).is_file() {
            return None;
        }
        let slot = self
            .done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(source.to_path_buf())
            .or_default()
            .clone();
        Some(
            slot.get_or_init(|| self.process(source, &extension, settings))
                .clone(),
        )
    }

    /// What identifies the bytes of a picture file without reading them: its size and when
    /// it was last written; `None` for other files.
    pub fn version(&self, source: &Path) -> Option<(u64, Option<std::time::SystemTime>)> {
        self.settings.as_ref()?;
        extension(source).filter(|e| is_picture_extension(e))?;
        let metadata = std::fs::metadata(self.root.join(source)).ok()?;
        Some((metadata.len(), metadata.modified().ok()))
    }

    /// Every source that was made into a picture.
    pub fn sources(&self) -> HashSet<PathBuf> {
        self.done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, slot)| slot.get().is_some_and(Result::is_ok))
            .map(|(source, _)| source.clone())
            .collect()
    }

    /// Output path -> file to publish, for every picture made.
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        let mut files: Vec<(String, PathBuf)> = done
            .values()
            .filter_map(|slot| slot.get()?.as_ref().ok().cloned())
            .flat_map(|picture| picture.files.clone())
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// Deletes the cache entries this build did not use.
    pub fn prune_cache(&self) {
        let used: HashSet<String> = self
            .files()
            .iter()
            .filter_map(|(_, file)| file.strip_prefix(&self.cache).ok())
            .filter_map(|rel| rel.iter().next())
            .map(|key| key.to_string_lossy().into_owned())
            .collect();
        let Ok(entries) = std::fs::read_dir(&self.cache) else {
            return;
        };
        for entry in entries.flatten() {
            if !used.contains(&*entry.file_name().to_string_lossy()) {
                // An entry that cannot be removed now is tried again by the next build.
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    fn process(
        &self,
        source: &Path,
        extension: &str,
        settings: &Settings,
    ) -> Result<Arc<Picture>, Problem> {
        if let Some((_, what)) = UNSHOWABLE.iter().find(|(e, _)| *e == extension) {
            return Err(unshowable(what));
        }
        let path = self.root.join(source);
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        if size > settings.max_bytes {
            return Err(Problem::error(
                format!(
                    "this picture is {:.1} MB, more than the {} MB a file may be",
                    size as f64 / (1024.0 * 1024.0),
                    settings.max_bytes / (1024 * 1024)
                ),
                "export a smaller JPEG (a photo of 12 megapixels is usually 3 to 8 MB), or raise `max_file_mb` in site.yaml",
            ));
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            Problem::error(
                format!("this picture cannot be read: {e}"),
                "check that the file is not open in another program",
            )
        })?;
        let key = cache_key(&bytes, settings);
        let stem = url_segment(
            &source
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
                .to_lowercase(),
        );
        let names = Names {
            stem: &stem,
            hash: &key[..NAME_HASH_LENGTH],
            dir: self.cache.join(&key),
        };
        let picture = match extension {
            "svg" => passthrough(&path, &names, "svg", svg_size(&bytes))?,
            "gif" => {
                let size = imagesize::blob_size(&bytes)
                    .map(|s| (s.width as u32, s.height as u32))
                    .ok()
                    .filter(|_| image::guess_format(&bytes).ok() == Some(ImageFormat::Gif));
                passthrough(&path, &names, "gif", size)?
            }
            _ => match read_entry(&names, settings) {
                Some(picture) => {
                    self.reused.fetch_add(1, Ordering::Relaxed);
                    picture
                }
                None if self.encode => {
                    let picture = encode(&bytes, &names, settings)?;
                    self.encoded.fetch_add(1, Ordering::Relaxed);
                    picture
                }
                None => {
                    let picture = check_only(&bytes, &names, settings)?;
                    self.checked.fetch_add(1, Ordering::Relaxed);
                    picture
                }
            },
        };
        Ok(Arc::new(picture))
    }
}

/// The file a page's front matter names: beside the page, or under `static/` for `/x`.
pub fn named_source(page_dir: &Path, name: &str) -> PathBuf {
    match name.strip_prefix('/') {
        Some(rest) => Path::new("static").join(rest),
        None => page_dir.join(name),
    }
}

/// Pictures, and files people take for pictures, which are refused with a reason.
fn is_picture_extension(extension: &str) -> bool {
    matches!(extension, "jpg" | "jpeg" | "png" | "webp" | "gif" | "svg")
        || UNSHOWABLE.iter().any(|(e, _)| *e == extension)
}

fn extension(source: &Path) -> Option<String> {
    source
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn unshowable(what: &str) -> Problem {
    Problem::error(
        format!("this is {what}, which web browsers cannot show"),
        EXPORT_HINT,
    )
}

fn not_a_picture(format: &str) -> Problem {
    Problem::error(
        format!(
            "this file is not a {format} picture that can be read: it is damaged, cut short, or another kind of file renamed"
        ),
        "open it on your computer to check it shows, then export it again as a JPEG (or PNG) and replace the file",
    )
}

fn cache_key(bytes: &[u8], settings: &Settings) -> String {
    let mut hasher = Sha256::new();
    hasher.update(settings.fingerprint().as_bytes());
    hasher.update(bytes);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where one picture's files go: its cache folder and its published names.
struct Names<'a> {
    stem: &'a str,
    hash: &'a str,
    dir: PathBuf,
}

impl Names<'_> {
    fn published(&self, width: Option<u32>, extension: &str) -> String {
        match width {
            Some(width) => format!(
                "{PUBLISHED_DIR}/{}-{width}.{}.{extension}",
                self.stem, self.hash
            ),
            None => format!("{PUBLISHED_DIR}/{}.{}.{extension}", self.stem, self.hash),
        }
    }
}

/// An SVG or GIF, published as it is under a hashed name.
fn passthrough(
    source: &Path,
    names: &Names,
    extension: &str,
    size: Option<(u32, u32)>,
) -> Result<Picture, Problem> {
    let (width, height) = size.ok_or_else(|| not_a_picture(&extension.to_uppercase()))?;
    let url = names.published(None, extension);
    Ok(Picture {
        width,
        height,
        webp: Vec::new(),
        fallback: vec![Variant {
            url: format!("/{url}"),
            width,
            height,
        }],
        too_small: None,
        files: vec![(url, source.to_path_buf())],
    })
}

/// An SVG's size from its `width` and `height`, or else its `viewBox`.
fn svg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer).ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == b"svg" =>
            {
                let attribute = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                let pixels = |value: Option<String>| {
                    let value = value?;
                    let number = value.trim().trim_end_matches("px");
                    number.parse::<f64>().ok().filter(|n| *n > 0.0)
                };
                if let (Some(w), Some(h)) =
                    (pixels(attribute(b"width")), pixels(attribute(b"height")))
                {
                    return Some((w.round() as u32, h.round() as u32));
                }
                let view_box = attribute(b"viewBox")?;
                let numbers: Vec<f64> = view_box
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .filter_map(|s| s.parse().ok())
                    .collect();
                return match numbers[..] {
                    [_, _, w, h] if w > 0.0 && h > 0.0 => {
                        Some((w.round() as u32, h.round() as u32))
                    }
                    _ => None,
                };
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
        buffer.clear();
    }
}

/// What the cache keeps beside a picture's files.
#[derive(Serialize, Deserialize)]
struct Entry {
    width: u32,
    height: u32,
    widths: Vec<u32>,
    /// `jpg` or `png`.
    fallback: String,
}

const ENTRY_FILE: &str = "picture.json";

impl Entry {
    fn of(image: &DynamicImage, transparent: bool, settings: &Settings) -> Entry {
        Entry {
            width: image.width(),
            height: image.height(),
            widths: widths_for(image.width(), settings),
            fallback: if transparent { "png" } else { "jpg" }.to_string(),
        }
    }
}

fn read_entry(names: &Names, settings: &Settings) -> Option<Picture> {
    let text = std::fs::read(names.dir.join(ENTRY_FILE)).ok()?;
    let entry: Entry = serde_json::from_slice(&text).ok()?;
    let picture = picture_of(&entry, names, settings);
    picture
        .files
        .iter()
        .all(|(_, file)| file.is_file())
        .then_some(picture)
}

fn cache_file(names: &Names, width: u32, extension: &str) -> PathBuf {
    names.dir.join(format!("{width}.{extension}"))
}

fn picture_of(entry: &Entry, names: &Names, settings: &Settings) -> Picture {
    let height_at = |w: u32| {
        ((u64::from(entry.height) * u64::from(w) + u64::from(entry.width) / 2)
            / u64::from(entry.width))
        .max(1) as u32
    };
    let variants = |extension: &str| -> Vec<(Variant, (String, PathBuf))> {
        entry
            .widths
            .iter()
            .map(|&w| {
                let url = names.published(Some(w), extension);
                (
                    Variant {
                        url: format!("/{url}"),
                        width: w,
                        height: height_at(w),
                    },
                    (url, cache_file(names, w, extension)),
                )
            })
            .collect()
    };
    let mut files = Vec::new();
    let mut split = |made: Vec<(Variant, (String, PathBuf))>| {
        made.into_iter()
            .map(|(variant, file)| {
                files.push(file);
                variant
            })
            .collect::<Vec<_>>()
    };
    let webp = if settings.webp {
        split(variants("webp"))
    } else {
        Vec::new()
    };
    let fallback = split(variants(&entry.fallback));
    let largest = fallback
        .last()
        .map_or((entry.width, entry.height), |v| (v.width, v.height));
    let too_small = (entry.width < settings.min_width).then(|| Problem {
        message: format!(
            "this picture is only {} pixels wide, so it will look blurred where pages show it up to {} pixels wide",
            entry.width, settings.min_width
        ),
        hint: "use the photo as it came from the camera or phone (at least 1600 pixels wide is best), not a thumbnail or a copy saved from a web page".to_string(),
        warning: true,
    });
    Picture {
        width: largest.0,
        height: largest.1,
        webp,
        fallback,
        too_small,
        files,
    }
}

/// The widths to make of a picture `width` wide: the configured ones it reaches, and its own
/// width when it is narrower than the widest, never wider than it is.
fn widths_for(width: u32, settings: &Settings) -> Vec<u32> {
    let mut widths: Vec<u32> = settings
        .widths
        .iter()
        .copied()
        .filter(|&w| w < width)
        .collect();
    if settings.widths.last().is_none_or(|&widest| width <= widest) || widths.is_empty() {
        widths.push(width.min(*settings.widths.last().unwrap_or(&width)));
    }
    widths.dedup();
    widths
}

/// Decodes, turns upright, resizes and encodes a picture into its cache folder.
fn encode(bytes: &[u8], names: &Names, settings: &Settings) -> Result<Picture, Problem> {
    let (image, transparent) = decode(bytes, settings)?;
    let entry = Entry::of(&image, transparent, settings);
    let staging = names.dir.with_extension(format!(
        "partial-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let written = write_variants(image, &entry.widths, transparent, settings, &staging);
    let stored = written.and_then(|()| {
        std::fs::write(
            staging.join(ENTRY_FILE),
            serde_json::to_vec(&entry).unwrap_or_default(),
        )?;
        // Another build may have made the same entry meanwhile: theirs is as good as ours.
        if std::fs::rename(&staging, &names.dir).is_err() && names.dir.is_dir() {
            std::fs::remove_dir_all(&staging)?;
        }
        Ok(())
    });
    stored.map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        Problem::error(
            format!(
                "the resized copies of this picture cannot be stored in {}: {e}",
                names.dir.parent().unwrap_or(&names.dir).display()
            ),
            "check there is free disk space and that the cache folder can be written to (`images: cache` in site.yaml)",
        )
    })?;
    Ok(picture_of(&entry, names, settings))
}

/// Decodes a picture and turns it upright, after every check that needs no pixel decoded;
/// with whether it has transparent pixels.
fn decode(bytes: &[u8], settings: &Settings) -> Result<(DynamicImage, bool), Problem> {
    let format = image::guess_format(bytes).map_err(|_| sniff_problem(bytes))?;
    let format_name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Tiff => return Err(unshowable("a TIFF picture")),
        ImageFormat::Avif => return Err(unshowable("an AVIF picture")),
        _ => return Err(not_a_picture("JPEG, PNG or WebP")),
    };
    // The header alone gives the size, so a decompression bomb is refused before any pixel
    // is decoded; the limits bound what decoding may allocate.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| not_a_picture(format_name))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > settings.max_pixels {
        return Err(Problem::error(
            format!(
                "this picture is {width} x {height} pixels ({:.0} megapixels), more than the {} megapixels a picture may have",
                pixels as f64 / 1e6,
                settings.max_pixels / 1_000_000
            ),
            "export it at a smaller size (a 12-megapixel phone photo is plenty), or raise `images: max_megapixels` in site.yaml",
        ));
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(not_a_picture(format_name));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(settings.max_pixels * 4 + 64 * 1024 * 1024);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut image = reader.decode().map_err(|_| not_a_picture(format_name))?;
    if let Some(orientation) = exif_orientation(bytes) {
        image.apply_orientation(orientation);
    }
    let transparent = has_transparency(&image);
    Ok((image, transparent))
}

/// What `check` needs of a picture: every problem `encode` would find, and the sizes its
/// files would have, without encoding or storing anything.
fn check_only(bytes: &[u8], names: &Names, settings: &Settings) -> Result<Picture, Problem> {
    let (image, transparent) = decode(bytes, settings)?;
    let mut picture = picture_of(&Entry::of(&image, transparent, settings), names, settings);
    // No file is made, and a check publishes none.
    picture.files.clear();
    Ok(picture)
}

/// Why bytes that are not JPEG, PNG, GIF or WebP cannot be published.
fn sniff_problem(bytes: &[u8]) -> Problem {
    let brand = bytes.get(4..12);
    if brand.is_some_and(|b| b.starts_with(b"ftyp")) {
        let brand = &bytes[8..12];
        if brand.starts_with(b"avi") {
            return unshowable("an AVIF picture");
        }
        return unshowable("an iPhone HEIC photo");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return unshowable("a TIFF or camera RAW file");
    }
    if bytes.starts_with(b"8BPS") {
        return unshowable("a Photoshop file");
    }
    not_a_picture("JPEG, PNG or WebP")
}

/// Walks a JPEG's markers from its start to its end-of-image marker. Decoders fill a photo cut
/// short with grey rather than fail, so a truncated upload is found here.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 2 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xD9 => return true,
            // A fill byte before a marker.
            0xFF => {
                i += 1;
                continue;
            }
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let Some(length) = bytes.get(i + 2..i + 4) else {
            return false;
        };
        i += 2 + usize::from(u16::from_be_bytes([length[0], length[1]]));
        if marker == 0xDA {
            // The compressed data runs to the next marker that is neither a stuffed 0xFF nor a
            // restart marker.
            while i + 1 < bytes.len()
                && !(bytes[i] == 0xFF
                    && bytes[i + 1] != 0
                    && !(0xD0..=0xD7).contains(&bytes[i + 1]))
            {
                i += 1;
            }
        }
    }
    false
}

fn exif_orientation(bytes: &[u8]) -> Option<image::metadata::Orientation> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let value = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
        .value
        .get_uint(0)?;
    image::metadata::Orientation::from_exif(u8::try_from(value).ok()?)
}

fn has_transparency(image: &DynamicImage) -> bool {
    image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p.0[3] < 255)
}

/// Each width as WebP and as the fallback, each smaller one resized from the one above it.
fn write_variants(
    image: DynamicImage,
    widths: &[u32],
    transparent: bool,
    settings: &Settings,
    dir: &Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // Converted once: every width is resized from, and encoded from, the same pixel layout.
    let mut current = if transparent {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    // `fast_image_resize` (SIMD) resizes a 12-megapixel photo to the four default widths
    // about nine times faster than `image`'s resize, with the same filter (see the README).
    let mut resizer = fast_image_resize::Resizer::new();
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::CatmullRom),
    );
    for &width in widths.iter().rev() {
        if width != current.width() {
            let height = ((u64::from(current.height()) * u64::from(width)
                + u64::from(current.width()) / 2)
                / u64::from(current.width()))
            .max(1) as u32;
            let mut smaller = DynamicImage::new(width, height, current.color());
            resizer
                .resize(&current, &mut smaller, &options)
                .map_err(std::io::Error::other)?;
            current = smaller;
        }
        let (w, h) = (current.width(), current.height());
        if settings.webp {
            let encoder = if transparent {
                webp::Encoder::from_rgba(current.as_bytes(), w, h)
            } else {
                webp::Encoder::from_rgb(current.as_bytes(), w, h)
            };
            let webp = encoder.encode(f32::from(settings.quality));
            std::fs::write(dir.join(format!("{width}.webp")), &*webp)?;
        }
        let mut fallback = Vec::new();
        let (written, extension) = if transparent {
            (
                current.write_with_encoder(image::codecs::png::PngEncoder::new_with_quality(
                    &mut fallback,
                    image::codecs::png::CompressionType::Best,
                    image::codecs::png::FilterType::Adaptive,
                )),
                "png",
            )
        } else {
            (
                current.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                    &mut fallback,
                    settings.quality,
                )),
                "jpg",
            )
        };
        written.map_err(std::io::Error::other)?;
        std::fs::write(dir.join(format!("{width}.{extension}")), fallback)?;
    }
    Ok(())
}

/// What the Markdown of one page shows its pictures with.
#[derive(Clone, Copy)]
pub struct InText<'a> {
    pub pictures: &'a Pictures,
    /// The page shows no picture above its text, so the text's first picture is its lead.
    pub lead: bool,
    /// The content file at a site path, for pictures named by their address on the site.
    pub content_file: &'a (dyn Fn(&str) -> Option<PathBuf> + Sync),
}

/// How one `<picture>` is shown.
pub struct Shown<'a> {
    pub alt: &'a str,
    pub title: Option<&'a str>,
    pub sizes: &'a str,
    /// The page's first picture, likely its largest paint: loaded at once, first.
    pub first: bool,
    /// The site's base path, put in front of every URL.
    pub base_path: &'a str,
}

/// The candidates of a `srcset`, each URL escaped for an attribute.
fn srcset(variants: &[Variant], base_path: &str) -> String {
    variants
        .iter()
        .map(|v| {
            let mut url = String::new();
            escape_href(&mut url, &format!("{base_path}{}", v.url)).ok();
            format!("{url} {}w", v.width)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Picture {
    /// The URL of the widest file every browser shows, e.g. for link previews.
    pub fn largest(&self) -> &Variant {
        // A picture always has at least one fallback variant.
        &self.fallback[self.fallback.len() - 1]
    }

    /// The `srcset` of the WebP files, empty when there are none.
    pub fn webp_srcset(&self, base_path: &str) -> String {
        srcset(&self.webp, base_path)
    }

    /// The `srcset` of the fallback files, empty when there is only one.
    pub fn fallback_srcset(&self, base_path: &str) -> String {
        if self.fallback.len() > 1 {
            srcset(&self.fallback, base_path)
        } else {
            String::new()
        }
    }

    /// The picture as HTML: `<picture>` with a WebP source when there is one, and an `<img>`
    /// that reserves its space.
    pub fn html(&self, shown: &Shown) -> String {
        let mut html = String::new();
        let webp = self.webp_srcset(shown.base_path);
        if !webp.is_empty() {
            html.push_str("<picture><source type=\"image/webp\" srcset=\"");
            html.push_str(&webp);
            html.push_str("\" sizes=\"");
            html.push_str(shown.sizes);
            html.push_str("\">");
        }
        html.push_str("<img src=\"");
        escape_href(
            &mut html,
            &format!("{}{}", shown.base_path, self.largest().url),
        )
        .ok();
        html.push('"');
        let fallback = self.fallback_srcset(shown.base_path);
        if !fallback.is_empty() {
            html.push_str(" srcset=\"");
            html.push_str(&fallback);
            html.push_str("\" sizes=\"");
            html.push_str(shown.sizes);
            html.push('"');
        }
        html.push_str(&format!(
            " width=\"{}\" height=\"{}\" alt=\"",
            self.width, self.height
        ));
        crate::sanitize::escape_attribute(&mut html, shown.alt);
        html.push('"');
        if let Some(title) = shown.title.filter(|t| !t.is_empty()) {
            html.push_str(" title=\"");
            crate::sanitize::escape_attribute(&mut html, title);
            html.push('"');
        }
        if shown.first {
            html.push_str(" fetchpriority=\"high\"");
        } else {
            html.push_str(" loading=\"lazy\" decoding=\"async\"");
        }
        html.push('>');
        if !webp.is_empty() {
            html.push_str("</picture>");
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::new(&ImagesConfig::default(), 20)
    }

    #[test]
    fn widths_never_exceed_the_picture_and_always_include_one() {
        let s = settings();
        assert_eq!(widths_for(4000, &s), [480, 800, 1200, 1600]);
        assert_eq!(widths_for(1000, &s), [480, 800, 1000]);
        assert_eq!(widths_for(1600, &s), [480, 800, 1200, 1600]);
        assert_eq!(widths_for(300, &s), [300]);
    }

    #[test]
    fn svg_size_comes_from_width_and_height_or_the_view_box() {
        assert_eq!(
            svg_size(br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="120px" height="40"/>"#),
            Some((120, 40))
        );
        assert_eq!(
            svg_size(br#"<svg viewBox="0 0 300 150"><rect/></svg>"#),
            Some((300, 150))
        );
        assert_eq!(svg_size(b"<html></html>"), None);
    }

    #[test]
    fn heic_tiff_and_photoshop_files_are_told_apart_from_damaged_ones() {
        assert!(
            sniff_problem(b"\0\0\0\x18ftypheic\0\0")
                .message
                .contains("HEIC")
        );
        assert!(sniff_problem(b"II*\0....").message.contains("TIFF"));
        assert!(sniff_problem(b"8BPS....").message.contains("Photoshop"));
        assert!(sniff_problem(b"hello").message.contains("damaged"));
    }

    #[test]
    fn the_first_picture_loads_first_and_others_lazily() {
        let picture = Picture {
            width: 800,
            height: 600,
            webp: vec![Variant {
                url: "/pictures/a-800.h.webp".into(),
                width: 800,
                height: 600,
            }],
            fallback: vec![Variant {
                url: "/pictures/a-800.h.jpg".into(),
                width: 800,
                height: 600,
            }],
            too_small: None,
            files: Vec::new(),
        };
        let mut shown = Shown {
            alt: "A \"hall\"",
            title: None,
            sizes: SIZES_TEXT,
            first: true,
            base_path: "/c",
        };
        let first = picture.html(&shown);
        assert!(
            first.contains("fetchpriority=\"high\"") && !first.contains("lazy"),
            "{first}"
        );
        assert!(
            first.contains("srcset=\"/c/pictures/a-800.h.webp 800w\""),
            "{first}"
        );
        assert!(first.contains("alt=\"A &quot;hall&quot;\""), "{first}");
        shown.first = false;
        let later = picture.html(&shown);
        assert!(
            later.contains("loading=\"lazy\" decoding=\"async\""),
            "{later}"
        );
        assert!(later.contains("width=\"800\" height=\"600\""), "{later}");
    }
}
