//! Times resizing decoded photographs to the default widths (1600, 1200, 800, 480, each from
//! the one above, Catmull-Rom) with `image`'s resize and with `fast_image_resize`, which the
//! build uses, and prints the time per photograph and the largest difference in any channel.
//!
//! Usage: cargo run --release --example resize -- PHOTO.jpg...
//! (photographs from `examples/photos.rs`, e.g. those `bench/images.sh` leaves in BENCH_DIR)

use std::time::{Duration, Instant};

use image::RgbImage;

const WIDTHS: [u32; 4] = [1600, 1200, 800, 480];

fn height_at(image: &RgbImage, width: u32) -> u32 {
    ((u64::from(image.height()) * u64::from(width) + u64::from(image.width()) / 2)
        / u64::from(image.width())) as u32
}

fn with_image(photo: &RgbImage) -> Vec<RgbImage> {
    let mut made: Vec<RgbImage> = Vec::new();
    for width in WIDTHS {
        let from = made.last().unwrap_or(photo);
        let height = height_at(from, width);
        made.push(image::imageops::resize(
            from,
            width,
            height,
            image::imageops::FilterType::CatmullRom,
        ));
    }
    made
}

fn with_fast_image_resize(photo: &RgbImage) -> Vec<RgbImage> {
    let mut resizer = fast_image_resize::Resizer::new();
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::CatmullRom),
    );
    let mut made: Vec<RgbImage> = Vec::new();
    for width in WIDTHS {
        let from = made.last().unwrap_or(photo);
        let mut smaller = RgbImage::new(width, height_at(from, width));
        resizer
            .resize(from, &mut smaller, &options)
            .expect("RGB images of one pixel type resize");
        made.push(smaller);
    }
    made
}

fn main() {
    let photos: Vec<String> = std::env::args().skip(1).collect();
    assert!(!photos.is_empty(), "usage: resize PHOTO.jpg...");
    let (mut decoding, mut image_crate, mut fast) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut largest_difference = 0u8;
    for path in &photos {
        let started = Instant::now();
        let photo = image::open(path)
            .expect("the photograph decodes")
            .into_rgb8();
        decoding += started.elapsed();
        let started = Instant::now();
        let by_image = with_image(&photo);
        image_crate += started.elapsed();
        let started = Instant::now();
        let by_fast = with_fast_image_resize(&photo);
        fast += started.elapsed();
        for (a, b) in by_image.iter().zip(&by_fast) {
            for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
                largest_difference = largest_difference.max(x.abs_diff(*y));
            }
        }
    }
    let per_photo = |total: Duration| total.as_secs_f64() * 1000.0 / photos.len() as f64;
    println!(
        "{} photographs, per photograph: decoding {:.0} ms, resizing with image {:.0} ms, with fast_image_resize {:.0} ms ({:.1} times faster); largest channel difference {largest_difference}",
        photos.len(),
        per_photo(decoding),
        per_photo(image_crate),
        per_photo(fast),
        image_crate.as_secs_f64() / fast.as_secs_f64()
    );
}
