//! Volunteers' photos are published small, upright, stripped of their metadata and in the
//! widths and formats a phone needs; what is wrong with a picture file is reported at the line
//! that names it, and nothing is written. Every test makes its pictures with the `image` crate
//! in a copy of the `images` fixture and builds in-process.

mod common;

use std::io::Cursor;
use std::path::Path;

use common::{fixture, write};
use communities::diagnostics::Diagnostic;
use communities::pipeline::{self, Options, Summary};
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

fn options(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        ..Options::default()
    }
}

fn build(root: &Path) -> Result<Summary, Vec<Diagnostic>> {
    pipeline::build(&options(root))
}

/// A picture with a photo's kind of detail: gradients and fine noise, which compress as
/// photographs do.
fn photo(width: u32, height: u32) -> RgbImage {
    let mut seed: u32 = 12345;
    RgbImage::from_fn(width, height, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = (seed >> 24) as u8 / 8;
        Rgb([
            ((x * 255 / width) as u8).saturating_add(noise),
            ((y * 255 / height) as u8).saturating_add(noise),
            (((x + y) % 256) as u8) / 2 + noise,
        ])
    })
}

/// A JPEG of `image`, with these EXIF fields when given.
fn jpeg(image: &RgbImage, exif: &[exif::Field]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
    if !exif.is_empty() {
        let mut writer = exif::experimental::Writer::new();
        for field in exif {
            writer.push_field(field);
        }
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        encoder.set_exif_metadata(tiff.into_inner()).unwrap();
    }
    encoder
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}

fn orientation(value: u16) -> exif::Field {
    exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![value]),
    }
}

fn gps() -> Vec<exif::Field> {
    let degrees = |d: u32| {
        exif::Value::Rational(vec![
            exif::Rational { num: d, denom: 1 },
            exif::Rational { num: 30, denom: 1 },
            exif::Rational { num: 0, denom: 1 },
        ])
    };
    vec![
        exif::Field {
            tag: exif::Tag::GPSLatitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![b"N".to_vec()]),
        },
        exif::Field {
            tag: exif::Tag::GPSLatitude,
            ifd_num: exif::In::PRIMARY,
            value: degrees(52),
        },
        exif::Field {
            tag: exif::Tag::GPSLongitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![b"W".to_vec()]),
        },
        exif::Field {
            tag: exif::Tag::GPSLongitude,
            ifd_num: exif::In::PRIMARY,
            value: degrees(1),
        },
    ]
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A page bundle `content/hall/` whose text is `body`, with `front` added to its front matter.
fn page(root: &Path, front: &str, body: &str) {
    write(
        root,
        "content/hall/index.md",
        &format!("---\ntitle: The hall\n{front}---\n{body}\n"),
    );
}

/// Every file published under `pictures/`, by name.
fn published_pictures(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("public/pictures"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn html(root: &Path, rel: &str) -> scraper::Html {
    scraper::Html::parse_document(&common::read(root, rel))
}

fn select<'a>(document: &'a scraper::Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    document
        .select(&scraper::Selector::parse(selector).unwrap())
        .collect()
}

/// The `(url, width)` pairs of a `srcset`.
fn candidates(srcset: &str) -> Vec<(String, u32)> {
    srcset
        .split(", ")
        .map(|candidate| {
            let (url, width) = candidate.rsplit_once(' ').unwrap();
            (
                url.to_string(),
                width.trim_end_matches('w').parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_photo_is_published_as_webp_and_jpeg_at_each_width_up_to_its_own_and_never_as_itself() {
    let site = fixture("images");
    let root = site.path();
    put(
        root,
        "content/hall/photo.jpg",
        &jpeg(&photo(1400, 1050), &[]),
    );
    page(root, "", "![Volunteers outside the hall](photo.jpg)");
    build(root).unwrap();

    let names = published_pictures(root);
    let expected: Vec<(u32, &str)> = [480, 800, 1200, 1400]
        .iter()
        .flat_map(|&w| [(w, "jpg"), (w, "webp")])
        .collect();
    assert_eq!(names.len(), expected.len(), "{names:?}");
    for (width, extension) in expected {
        let name = names
            .iter()
            .find(|n| n.starts_with(&format!("photo-{width}.")) && n.ends_with(extension))
            .unwrap_or_else(|| panic!("no {width} {extension} in {names:?}"));
        let bytes = std::fs::read(root.join("public/pictures").join(name)).unwrap();
        let format = image::guess_format(&bytes).unwrap();
        assert_eq!(
            format,
            if extension == "jpg" {
                image::ImageFormat::Jpeg
            } else {
                image::ImageFormat::WebP
            }
        );
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (width, width * 3 / 4));
    }
    assert!(!root.join("public/hall/photo.jpg").exists());
}

#[test]
fn every_srcset_address_is_published_and_width_and_height_match_the_files() {
    let site = fixture("images");
    let root = site.path();
    put(
        root,
        "content/hall/photo.jpg",
        &jpeg(&photo(1000, 600), &[]),
    );
    put(
        root,
        "content/hall/lead.jpg",
        &jpeg(&photo(1800, 1200), &[]),
    );
    page(
        root,
        "image: lead.jpg\nimage_alt: The hall from the green\n",
        "![Volunteers outside the hall](photo.jpg)",
    );
    build(root).unwrap();

    let document = html(root, "public/hall/index.html");
    let images = select(&document, "picture img");
    assert_eq!(images.len(), 2, "{}", document.html());
    for img in images {
        let srcset = img.value().attr("srcset").unwrap();
        let source = img
            .parent()
            .and_then(scraper::ElementRef::wrap)
            .map(|picture| select_in(picture, "source"))
            .unwrap();
        assert_eq!(source.attr("type"), Some("image/webp"));
        assert!(source.attr("sizes").is_some() && img.value().attr("sizes").is_some());
        let all = candidates(srcset)
            .into_iter()
            .chain(candidates(source.attr("srcset").unwrap()));
        for (url, width) in all {
            let bytes = std::fs::read(root.join("public").join(url.trim_start_matches('/')))
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(image::load_from_memory(&bytes).unwrap().width(), width);
        }
        let src = img.value().attr("src").unwrap();
        let largest = image::open(root.join("public").join(src.trim_start_matches('/'))).unwrap();
        let attribute = |name: &str| img.value().attr(name).unwrap().parse::<u32>().unwrap();
        assert_eq!(
            (attribute("width"), attribute("height")),
            (largest.width(), largest.height())
        );
    }
}

fn select_in<'a>(element: scraper::ElementRef<'a>, selector: &str) -> &'a scraper::node::Element {
    element
        .select(&scraper::Selector::parse(selector).unwrap())
        .next()
        .unwrap()
        .value()
}

#[test]
fn the_first_picture_of_a_page_loads_first_and_the_others_lazily() {
    let site = fixture("images");
    let root = site.path();
    put(root, "content/hall/a.jpg", &jpeg(&photo(900, 600), &[]));
    put(root, "content/hall/b.jpg", &jpeg(&photo(900, 600), &[]));
    page(root, "", "![First](a.jpg)\n\n![Second](b.jpg)");
    build(root).unwrap();
    let document = html(root, "public/hall/index.html");
    let images = select(&document, ".prose img, main img");
    let first = images[0].value();
    assert_eq!(first.attr("fetchpriority"), Some("high"));
    assert_eq!(first.attr("loading"), None);
    let second = images
        .iter()
        .find(|i| i.value().attr("alt") == Some("Second"))
        .unwrap();
    assert_eq!(second.value().attr("loading"), Some("lazy"));
    assert_eq!(second.value().attr("decoding"), Some("async"));

    // With a picture of its own above the text, the page's text pictures all wait.
    page(root, "image: a.jpg\nimage_alt: First\n", "![Second](b.jpg)");
    build(root).unwrap();
    let document = html(root, "public/hall/index.html");
    let lead = select(&document, "img.page-image");
    assert_eq!(lead[0].value().attr("fetchpriority"), Some("high"));
    let second = select(&document, "img[alt=Second]");
    assert_eq!(second[0].value().attr("loading"), Some("lazy"));
}

#[test]
fn no_published_picture_keeps_exif_or_the_place_it_was_taken() {
    let site = fixture("images");
    let root = site.path();
    let mut fields = gps();
    fields.push(orientation(1));
    let original = jpeg(&photo(900, 600), &fields);
    let read_back = exif::Reader::new()
        .read_from_container(&mut Cursor::new(&original))
        .unwrap();
    assert!(
        read_back
            .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some(),
        "the test photo carries a GPS position"
    );
    put(root, "content/hall/photo.jpg", &original);
    page(root, "", "![The hall](photo.jpg)");
    build(root).unwrap();
    let names = published_pictures(root);
    assert!(!names.is_empty());
    for name in names {
        let bytes = std::fs::read(root.join("public/pictures").join(&name)).unwrap();
        let exif = exif::Reader::new().read_from_container(&mut Cursor::new(&bytes));
        assert!(exif.is_err(), "{name} has EXIF data");
    }
}

#[test]
fn a_photo_taken_sideways_is_published_upright() {
    let site = fixture("images");
    let root = site.path();
    // Stored 1200 x 800, to be shown turned a quarter clockwise: 800 x 1200.
    put(
        root,
        "content/hall/photo.jpg",
        &jpeg(&photo(1200, 800), &[orientation(6)]),
    );
    page(root, "", "![The hall](photo.jpg)");
    build(root).unwrap();
    let names = published_pictures(root);
    let largest = names
        .iter()
        .find(|n| n.starts_with("photo-800.") && n.ends_with(".webp"))
        .unwrap_or_else(|| panic!("{names:?}"));
    let picture = image::open(root.join("public/pictures").join(largest)).unwrap();
    assert_eq!((picture.width(), picture.height()), (800, 1200));
    let document = html(root, "public/hall/index.html");
    let img = select(&document, "img")[0].value();
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("800"), Some("1200"))
    );
}

#[test]
fn a_transparent_png_stays_transparent() {
    let site = fixture("images");
    let root = site.path();
    let logo = RgbaImage::from_fn(600, 300, |x, _| {
        if x < 300 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgba8(logo)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    put(root, "content/hall/logo.png", &bytes);
    page(root, "", "![Group logo](logo.png)");
    let summary = build(root).unwrap();
    let names = published_pictures(root);
    assert!(names.iter().any(|n| n.ends_with(".png")), "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".jpg")), "{names:?}");
    for name in names {
        let picture = image::open(root.join("public/pictures").join(&name)).unwrap();
        assert!(picture.color().has_alpha(), "{name}");
        assert_eq!(
            picture.to_rgba8().get_pixel(picture.width() - 1, 0).0[3],
            0,
            "{name}"
        );
    }
    // Narrower than the text column: it will look blurred.
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.line() == Some(4) && w.message.contains("600 pixels wide")),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn svg_and_gif_are_published_as_they_are_with_their_size() {
    let site = fixture("images");
    let root = site.path();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 120"><rect width="240" height="120"/></svg>"#;
    // An SVG can hold scripts, so only the site's own static/ may publish one.
    put(root, "static/map.svg", svg);
    let mut gif = Vec::new();
    DynamicImage::ImageRgb8(photo(64, 48))
        .write_to(&mut Cursor::new(&mut gif), image::ImageFormat::Gif)
        .unwrap();
    put(root, "content/hall/wave.gif", &gif);
    page(
        root,
        "",
        "![Map of the village](/map.svg)\n\n![A wave](wave.gif)",
    );
    build(root).unwrap();
    let document = html(root, "public/hall/index.html");
    for (alt, bytes, size) in [
        ("Map of the village", &svg[..], ("240", "120")),
        ("A wave", &gif[..], ("64", "48")),
    ] {
        let img = select(&document, &format!("img[alt=\"{alt}\"]"))[0].value();
        assert_eq!(
            (img.attr("width"), img.attr("height")),
            (Some(size.0), Some(size.1))
        );
        let src = img.attr("src").unwrap();
        assert!(src.starts_with("/pictures/"), "{src}");
        assert_eq!(
            std::fs::read(root.join("public").join(src.trim_start_matches('/'))).unwrap(),
            bytes
        );
    }
}

#[test]
fn a_second_build_takes_every_picture_from_the_cache_and_writes_the_same_bytes() {
    let site = fixture("images");
    let root = site.path();
    put(
        root,
        "content/hall/photo.jpg",
        &jpeg(&photo(1300, 900), &[]),
    );
    put(root, "content/hall/lead.jpg", &jpeg(&photo(900, 700), &[]));
    page(
        root,
        "image: lead.jpg\nimage_alt: The hall\n",
        "![The hall](photo.jpg)",
    );
    let first = build(root).unwrap();
    assert_eq!((first.pictures.encoded, first.pictures.reused), (2, 0));
    let read_all = |root: &Path| -> Vec<(String, Vec<u8>)> {
        published_pictures(root)
            .into_iter()
            .map(|n| {
                let bytes = std::fs::read(root.join("public/pictures").join(&n)).unwrap();
                (n, bytes)
            })
            .collect()
    };
    let before = read_all(root);
    let second = build(root).unwrap();
    assert_eq!((second.pictures.encoded, second.pictures.reused), (0, 2));
    assert_eq!(read_all(root), before);

    // Without the cache the pictures are made again, byte for byte the same.
    std::fs::remove_dir_all(root.join(".cache")).unwrap();
    let third = build(root).unwrap();
    assert_eq!(third.pictures.encoded, 2);
    assert_eq!(read_all(root), before);
}

#[test]
fn cache_entries_no_page_uses_are_pruned() {
    let site = fixture("images");
    let root = site.path();
    put(root, "content/hall/a.jpg", &jpeg(&photo(600, 400), &[]));
    put(root, "content/hall/b.jpg", &jpeg(&photo(500, 400), &[]));
    page(root, "", "![A](a.jpg)\n\n![B](b.jpg)");
    build(root).unwrap();
    let entries = || {
        std::fs::read_dir(root.join(".cache/images"))
            .unwrap()
            .count()
    };
    assert_eq!(entries(), 2);
    page(root, "", "![A](a.jpg)");
    build(root).unwrap();
    assert_eq!(entries(), 1);
}

#[test]
fn an_original_the_page_links_to_for_download_is_published_too() {
    let site = fixture("images");
    let root = site.path();
    put(root, "content/hall/photo.jpg", &jpeg(&photo(600, 400), &[]));
    page(
        root,
        "",
        "![The hall](photo.jpg)\n\n[The photo at full size](photo.jpg)",
    );
    build(root).unwrap();
    assert!(root.join("public/hall/photo.jpg").is_file());
}

/// The errors of a build that must fail, as `(line, message)`, checking nothing was written.
fn errors(root: &Path) -> Vec<(usize, String)> {
    let problems = build(root).unwrap_err();
    assert!(
        !root.join("public").exists(),
        "a failed build wrote public/"
    );
    problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| {
            assert_eq!(p.path(), Some(Path::new("content/hall/index.md")));
            (p.line().unwrap_or(0), p.message.clone())
        })
        .collect()
}

#[test]
fn a_damaged_photo_is_an_error_at_the_line_that_shows_it() {
    let site = fixture("images");
    let root = site.path();
    let whole = jpeg(&photo(800, 600), &[]);
    put(root, "content/hall/cut.jpg", &whole[..whole.len() / 3]);
    put(root, "content/hall/renamed.jpg", b"%PDF-1.4 not a picture");
    page(
        root,
        "",
        "Text.\n\n![Cut short](cut.jpg)\n\n![Renamed](renamed.jpg)",
    );
    let found = errors(root);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, 6);
    assert_eq!(found[1].0, 8);
    assert!(
        found.iter().all(|(_, m)| m.contains("damaged")),
        "{found:?}"
    );
}

#[test]
fn an_iphone_heic_photo_is_an_error_saying_how_to_export_a_jpeg() {
    let site = fixture("images");
    let root = site.path();
    put(
        root,
        "content/hall/IMG_0001.HEIC",
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    );
    page(root, "image: IMG_0001.HEIC\nimage_alt: The hall\n", "Text.");
    let problems = build(root).unwrap_err();
    let heic = problems
        .iter()
        .find(|p| p.message.contains("HEIC"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(heic.line(), Some(3));
    assert!(heic.hint.as_deref().unwrap().contains("JPEG"));
    assert!(!root.join("public").exists());
}

#[test]
fn a_pixel_bomb_is_refused_from_its_header_before_it_is_decoded() {
    let site = fixture("images");
    let root = site.path();
    // A small JPEG whose header claims 60000 x 60000 pixels (3.6 gigapixels).
    let mut bomb = jpeg(&photo(16, 16), &[]);
    let sof = bomb
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG header");
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    put(root, "content/hall/bomb.jpg", &bomb);
    page(root, "", "![Bomb](bomb.jpg)");
    let found = errors(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 4);
    assert!(found[0].1.contains("60000 x 60000"), "{found:?}");
}

/// A file of the built-in theme.
fn theme_file(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("themes/default")
            .join(path),
    )
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The declarations of the rule for `selector` written at the start of a line of `css`.
fn rule<'a>(css: &'a str, selector: &str) -> &'a str {
    let (start, _) = css
        .match_indices(&format!("{selector} {{"))
        .find(|(at, _)| {
            css[..*at]
                .rsplit('\n')
                .next()
                .is_some_and(|indent| indent.trim().is_empty())
        })
        .unwrap_or_else(|| panic!("style.css has no rule for {selector}"));
    let body = &css[start + selector.len() + 2..];
    &body[..body.find('}').unwrap_or(body.len())]
}

/// The value of `property` in a rule, e.g. `0 1.25rem`.
fn declared<'a>(rule: &'a str, property: &str) -> &'a str {
    rule.split(';')
        .find_map(|d| d.trim().strip_prefix(&format!("{property}:")))
        .unwrap_or_else(|| panic!("no {property} in {rule}"))
        .trim()
}

/// A length in CSS pixels: `1.25rem`, or a custom property of the root holding one.
fn css_px(css: &str, value: &str) -> f64 {
    let value = match value.strip_prefix("var(").and_then(|v| v.strip_suffix(')')) {
        Some(name) => declared(rule(css, ":root"), name),
        None => value,
    };
    let rem: f64 = value
        .strip_suffix("rem")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a length in rem"));
    rem * 16.0
}

/// The widths the theme's stylesheet shows pictures at, for a window `vw` CSS pixels wide.
struct Layout {
    page_max: f64,
    gutter: f64,
    narrow_up_to: f64,
    narrow_gutter: f64,
    text_max: f64,
    page_image_max: f64,
    card_min: f64,
    card_gap: f64,
}

impl Layout {
    fn read(css: &str) -> Layout {
        let gutter = |rule: &str| {
            let padding = declared(rule, "padding");
            css_px(css, padding.split_whitespace().last().unwrap())
        };
        let narrow = &css[css
            .find("@media (max-width: ")
            .expect("a narrow-screen rule")..];
        let narrow_up_to = narrow["@media (max-width: ".len()..]
            .split(')')
            .next()
            .unwrap();
        let cards = rule(css, ".cards");
        let columns = declared(cards, "grid-template-columns");
        let card_min = columns
            .split("min(100%, ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .expect("cards of a least width");
        assert!(
            columns.starts_with("repeat(auto-fill,"),
            "the card grid is no longer auto-fill: {columns}"
        );
        Layout {
            page_max: css_px(css, declared(rule(css, ".wrap"), "max-width")),
            gutter: gutter(rule(css, ".wrap")),
            narrow_up_to: css_px(css, narrow_up_to),
            narrow_gutter: gutter(rule(narrow, ".wrap")),
            text_max: css_px(css, declared(rule(css, ".prose"), "max-width")),
            page_image_max: css_px(css, declared(rule(css, ".page-image"), "max-width")),
            card_min: css_px(css, card_min),
            card_gap: css_px(css, declared(cards, "gap")),
        }
    }

    fn content(&self, vw: f64) -> f64 {
        let gutter = if vw <= self.narrow_up_to {
            self.narrow_gutter
        } else {
            self.gutter
        };
        (vw - 2.0 * gutter).min(self.page_max)
    }

    /// The text column without an aside beside it, the widest it is.
    fn text(&self, vw: f64) -> f64 {
        self.content(vw).min(self.text_max)
    }

    fn page_image(&self, vw: f64) -> f64 {
        self.content(vw).min(self.page_image_max)
    }

    /// A card of the auto-fill grid: as many columns as fit at their least width.
    fn card(&self, vw: f64) -> f64 {
        let width = self.content(vw);
        let columns = ((width + self.card_gap) / (self.card_min + self.card_gap))
            .floor()
            .max(1.0);
        (width - (columns - 1.0) * self.card_gap) / columns
    }
}

/// A `sizes` length (`42rem`, `100vw`, `calc((100vw - 5rem) / 3)`) in CSS pixels.
struct Length<'a> {
    rest: &'a str,
    vw: f64,
}

impl Length<'_> {
    fn of(text: &str, vw: f64) -> f64 {
        let text = text.replace("calc(", "(");
        let mut length = Length { rest: &text, vw };
        let value = length.sum();
        assert!(length.rest.trim().is_empty(), "cannot read {text}");
        value
    }

    fn take(&mut self, symbol: char) -> bool {
        self.rest = self.rest.trim_start();
        match self.rest.strip_prefix(symbol) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn sum(&mut self) -> f64 {
        let mut value = self.product();
        loop {
            if self.take('+') {
                value += self.product();
            } else if self.take('-') {
                value -= self.product();
            } else {
                return value;
            }
        }
    }

    fn product(&mut self) -> f64 {
        let mut value = self.term();
        loop {
            if self.take('*') {
                value *= self.term();
            } else if self.take('/') {
                value /= self.term();
            } else {
                return value;
            }
        }
    }

    fn term(&mut self) -> f64 {
        if self.take('(') {
            let value = self.sum();
            assert!(self.take(')'), "unclosed bracket");
            return value;
        }
        let digits = self
            .rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(self.rest.len());
        let number: f64 = self.rest[..digits].parse().expect("a number");
        self.rest = &self.rest[digits..];
        let unit = self
            .rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(self.rest.len());
        let factor = match &self.rest[..unit] {
            "rem" => 16.0,
            "vw" => self.vw / 100.0,
            "px" | "" => 1.0,
            other => panic!("unknown unit {other}"),
        };
        self.rest = &self.rest[unit..];
        number * factor
    }
}

/// The width a browser takes from `sizes` in a window `vw` CSS pixels wide: the length of
/// the first entry whose `(min-width: ...)` holds.
fn sizes_width(sizes: &str, vw: f64) -> f64 {
    for entry in sizes.split(", ") {
        match entry.strip_prefix("(min-width: ") {
            Some(rest) => {
                let (least, length) = rest.split_once(") ").expect("a media condition");
                if vw >= Length::of(least, vw) {
                    return Length::of(length, vw);
                }
            }
            None => return Length::of(entry, vw),
        }
    }
    panic!("no entry of {sizes} applies at {vw}px");
}

/// The `sizes` a template sets.
fn template_sizes(template: &str) -> String {
    let text = theme_file(template);
    let start = text
        .find("set sizes = \"")
        .expect("the template sets sizes")
        + 13;
    text[start..start + text[start..].find('"').unwrap()].to_string()
}

#[test]
fn every_sizes_attribute_matches_the_width_the_stylesheet_shows_the_picture_at() {
    let layout = Layout::read(&theme_file("static/style.css"));
    type ShownAt = fn(&Layout, f64) -> f64;
    let kinds: [(&str, String, ShownAt); 3] = [
        (
            "pictures in the text",
            communities::SIZES_TEXT.to_string(),
            Layout::text,
        ),
        (
            "a page's own picture",
            template_sizes("templates/partials/image.html"),
            Layout::page_image,
        ),
        (
            "card pictures",
            template_sizes("templates/partials/card.html"),
            Layout::card,
        ),
    ];
    let mut drifts = Vec::new();
    for (kind, sizes, shown_at) in &kinds {
        for vw in 280..=2000 {
            let vw = f64::from(vw);
            let shown = shown_at(&layout, vw);
            let said = sizes_width(sizes, vw);
            // Narrower makes the browser choose a blurred file; much wider wastes bytes.
            if said < shown - 0.5 || said > shown * 1.05 + 0.5 {
                drifts.push(format!(
                    "{kind} at {vw}px: shown {shown:.1}px, sizes says {said:.1}px"
                ));
            }
        }
    }
    assert!(
        drifts.is_empty(),
        "{} widths drift, e.g.\n{}",
        drifts.len(),
        drifts[..drifts.len().min(12)].join("\n")
    );
}

/// The addresses of every picture file the preview's page `hall/index.html` shows, and
/// whether each is among the files the preview serves.
fn preview_pictures(outcome: &communities::incremental::Outcome) -> Vec<(String, bool)> {
    let page = String::from_utf8_lossy(&outcome.files["hall/index.html"]).into_owned();
    let document = scraper::Html::parse_document(&page);
    let mut shown = Vec::new();
    for element in select(&document, "article source, article img") {
        let srcset = element.value().attr("srcset");
        let urls = srcset.into_iter().flat_map(candidates).map(|(url, _)| url);
        let src = element.value().attr("src").map(str::to_string);
        for url in urls.chain(src) {
            let served = outcome.files.contains_key(url.trim_start_matches('/'));
            shown.push((url, served));
        }
    }
    shown
}

#[test]
fn the_preview_shows_a_changed_or_added_picture_under_static_at_its_new_name() {
    let site = fixture("images");
    let root = site.path();
    put(root, "static/photo.jpg", &jpeg(&photo(500, 300), &[]));
    page(
        root,
        "",
        "![The hall](/photo.jpg)\n\n![The garden](/garden.jpg)",
    );
    let (mut session, first) = communities::incremental::Session::new(root, None);
    assert!(first.is_err(), "/garden.jpg does not exist yet");

    put(root, "static/garden.jpg", &jpeg(&photo(400, 300), &[]));
    let added = session
        .update(&[root.join("static/garden.jpg")])
        .unwrap_or_else(|p| panic!("{p:?}"));
    let before = preview_pictures(&added);
    assert!(
        before.iter().any(|(url, _)| url.contains("/garden-400.")),
        "the added picture is processed: {before:?}"
    );
    assert!(before.iter().all(|(_, served)| *served), "{before:?}");

    put(root, "static/photo.jpg", &jpeg(&photo(500, 320), &[]));
    let changed = session
        .update(&[root.join("static/photo.jpg")])
        .unwrap_or_else(|p| panic!("{p:?}"));
    let after = preview_pictures(&changed);
    assert!(after.iter().all(|(_, served)| *served), "{after:?}");
    let photo_urls = |shown: &[(String, bool)]| -> Vec<String> {
        shown
            .iter()
            .filter(|(url, _)| url.contains("/photo-"))
            .map(|(url, _)| url.clone())
            .collect()
    };
    assert!(!photo_urls(&after).is_empty(), "{after:?}");
    assert!(
        photo_urls(&after)
            .iter()
            .all(|url| !photo_urls(&before).contains(url)),
        "the changed picture keeps its old names: {after:?}"
    );
}

#[test]
fn a_picture_named_by_its_address_on_the_site_is_processed_like_any_other() {
    let site = fixture("images");
    let root = site.path();
    put(root, "content/hall/hall.jpg", &jpeg(&photo(900, 600), &[]));
    write(
        root,
        "content/visit.md",
        "---\ntitle: Visit\n---\n![The hall](/hall/hall.jpg)\n\n[Full size](/hall/hall.jpg)\n",
    );
    page(root, "", "Text.");
    build(root).unwrap_or_else(|p| panic!("{p:?}"));
    let document = html(root, "public/visit/index.html");
    let sources = select(&document, "article picture source");
    let srcset = sources
        .first()
        .and_then(|s| s.value().attr("srcset"))
        .unwrap_or_else(|| panic!("no processed picture: {}", document.html()));
    let widths: Vec<u32> = candidates(srcset).into_iter().map(|(_, w)| w).collect();
    assert_eq!(widths, [480, 800, 900]);
    // Linked for download by the same address, the original is published too.
    assert!(root.join("public/hall/hall.jpg").is_file());
}

#[test]
fn check_finds_every_picture_problem_but_encodes_and_stores_nothing() {
    let site = fixture("images");
    let root = site.path();
    put(root, "content/hall/photo.jpg", &jpeg(&photo(900, 600), &[]));
    put(root, "content/hall/small.jpg", &jpeg(&photo(300, 200), &[]));
    let mut cut = jpeg(&photo(400, 300), &[]);
    cut.truncate(cut.len() / 2);
    put(root, "content/hall/cut.jpg", &cut);
    page(
        root,
        "image: photo.jpg\nimage_alt: The hall\n",
        "![Small](small.jpg)\n\n![Cut](cut.jpg)",
    );
    let problems = pipeline::check(&options(root)).unwrap_err();
    let found: Vec<(Option<usize>, bool)> =
        problems.iter().map(|p| (p.line(), p.is_error())).collect();
    assert_eq!(found, [(Some(6), false), (Some(8), true)], "{problems:?}");
    assert!(!root.join(".cache").exists(), "check stored pictures");

    std::fs::remove_file(root.join("content/hall/cut.jpg")).unwrap();
    page(
        root,
        "image: photo.jpg\nimage_alt: The hall\n",
        "![Small](small.jpg)",
    );
    let checked = pipeline::check(&options(root)).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!((checked.pictures.checked, checked.pictures.encoded), (2, 0));
    assert!(!root.join(".cache").exists(), "check stored pictures");
    // After a build, a check takes the pictures from the cache and decodes nothing.
    build(root).unwrap();
    let checked = pipeline::check(&options(root)).unwrap();
    assert_eq!((checked.pictures.checked, checked.pictures.reused), (0, 2));
}
