//! Writes photo-like JPEGs for the picture benchmark (`bench/images.sh`): smooth shapes at
//! several scales with fine grain on top, which compress about as phone photos do (a 12
//! megapixel one is a few megabytes at quality 90), unlike flat or purely random pictures.
//!
//! Usage: cargo run --release --example photos -- DIR COUNT [WIDTH HEIGHT]

use std::path::PathBuf;

use image::{Rgb, RgbImage};
use rayon::prelude::*;

/// A repeatable pseudo-random value in 0..1 for a lattice point.
fn lattice(seed: u32, x: i64, y: i64) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x27d4_eb2d) ^ (y as u32).wrapping_mul(0x1656_67b1) ^ seed;
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    (h & 0xffff) as f32 / 65535.0
}

/// Smoothly interpolated lattice noise at one scale.
fn value_noise(seed: u32, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (x0, y0) = (x0 as i64, y0 as i64);
    let top = lattice(seed, x0, y0) * (1.0 - sx) + lattice(seed, x0 + 1, y0) * sx;
    let bottom = lattice(seed, x0, y0 + 1) * (1.0 - sx) + lattice(seed, x0 + 1, y0 + 1) * sx;
    top * (1.0 - sy) + bottom * sy
}

fn photo(seed: u32, width: u32, height: u32) -> RgbImage {
    let mut image = RgbImage::new(width, height);
    image
        .par_chunks_mut(width as usize * 3)
        .enumerate()
        .for_each(|(y, row)| {
            for x in 0..width as usize {
                let (fx, fy) = (x as f32, y as f32);
                let mut channels = [0.0f32; 3];
                for (c, value) in channels.iter_mut().enumerate() {
                    let s = seed.wrapping_mul(3).wrapping_add(c as u32);
                    *value = 0.5 * value_noise(s, fx / 700.0, fy / 700.0)
                        + 0.25 * value_noise(s ^ 0x55, fx / 90.0, fy / 90.0)
                        + 0.15 * value_noise(s ^ 0xaa, fx / 12.0, fy / 12.0)
                        + 0.10 * lattice(s ^ 0xff, x as i64, y as i64);
                }
                let pixel = Rgb(channels.map(|v| (v * 255.0).clamp(0.0, 255.0) as u8));
                row[x * 3..x * 3 + 3].copy_from_slice(&pixel.0);
            }
        });
    image
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .expect("usage: photos DIR COUNT [WIDTH HEIGHT]"),
    );
    let count: u32 = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(100);
    let width: u32 = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(4000);
    let height: u32 = args.get(3).and_then(|h| h.parse().ok()).unwrap_or(3000);
    std::fs::create_dir_all(&dir).expect("the folder can be made");
    for n in 0..count {
        let path = dir.join(format!("photo-{n:03}.jpg"));
        if path.exists() {
            continue;
        }
        photo(n, width, height)
            .save_with_format(&path, image::ImageFormat::Jpeg)
            .expect("the photo can be written");
    }
}
