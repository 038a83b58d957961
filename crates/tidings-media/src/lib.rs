//! Processing uploaded images, with no I/O beyond what the caller hands in.
//!
//! The file's bytes decide its type (never its name). Dimensions are read from the header before
//! any pixel is decoded, so a decompression bomb is refused cheaply. Decoding and re-encoding
//! drops every metadata block (EXIF, GPS location, XMP, comments). Narrower variants are made for
//! `srcset`, and a WebP copy of each is kept only where it is smaller than the original format.
//! [`library`] puts the result into the media folder and makes the store's record of it.

pub mod brand;
pub mod library;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Largest upload accepted, in bytes.
pub const MAX_BYTES: usize = 15 * 1024 * 1024;
/// Largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Largest pixel count accepted (a 40-megapixel photo).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Widths of the variants made for `srcset` (only those narrower than the original).
pub const VARIANT_WIDTHS: [u32; 4] = [480, 800, 1200, 1600];

/// Why an upload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// Not JPEG, PNG, WebP or GIF, whatever the name says.
    #[error("this file is not a JPEG, PNG, WebP or GIF image")]
    UnsupportedType,
    /// More than [`MAX_BYTES`].
    #[error("the file is larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// More pixels than [`MAX_PIXELS`] or a side over [`MAX_SIDE`].
    #[error(
        "the image is {0}×{1} pixels; the limit is {MAX_SIDE} pixels a side and 40 megapixels"
    )]
    TooManyPixels(u32, u32),
    /// The header or pixel data is broken.
    #[error("the image could not be read: {0}")]
    Corrupt(String),
}

/// The stored format of a processed image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Photographs without transparency.
    Jpeg,
    /// Graphics, or anything with transparency.
    Png,
}

impl Stored {
    /// File extension.
    pub fn ext(self) -> &'static str {
        match self {
            Stored::Jpeg => "jpg",
            Stored::Png => "png",
        }
    }

    /// MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Stored::Jpeg => "image/jpeg",
            Stored::Png => "image/png",
        }
    }
}

/// One file to write: `<stem><suffix>.<ext>`.
#[derive(Debug, Clone)]
pub struct Output {
    /// `""` for the original size, `-480w` for a variant.
    pub suffix: String,
    /// `jpg`, `png` or `webp`.
    pub ext: &'static str,
    /// Encoded bytes.
    pub bytes: Vec<u8>,
}

/// A processed upload, ready to be written.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Format of the main files.
    pub format: Stored,
    /// Pixel width of the original size.
    pub width: u32,
    /// Pixel height of the original size.
    pub height: u32,
    /// Widths of the narrower variants made.
    pub widths: Vec<u32>,
    /// Whether WebP copies were kept (they were smaller).
    pub webp: bool,
    /// Every file to write.
    pub files: Vec<Output>,
}

/// Validates and processes an uploaded image.
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    let (img, format) = decode(bytes)?;
    let stored = if img.color().has_alpha() || matches!(format, ImageFormat::Png | ImageFormat::Gif)
    {
        Stored::Png
    } else {
        Stored::Jpeg
    };
    process_decoded(img, stored)
}

/// Checks an upload's type and size, then decodes it within the pixel and memory limits.
pub(crate) fn decode(bytes: &[u8]) -> Result<(DynamicImage, ImageFormat), MediaError> {
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| MediaError::UnsupportedType)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(MediaError::UnsupportedType);
    }
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(MediaError::TooManyPixels(w, h));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok((img, format))
}

fn process_decoded(img: DynamicImage, stored: Stored) -> Result<Processed, MediaError> {
    let mut files = Vec::new();
    let mut widths = Vec::new();
    let mut webp_smaller = true;
    let mut webp_files = Vec::new();
    let mut sizes: Vec<(String, DynamicImage)> = vec![(String::new(), img.clone())];
    for vw in VARIANT_WIDTHS.into_iter().filter(|vw| *vw < img.width()) {
        let vh = ((u64::from(img.height()) * u64::from(vw)) / u64::from(img.width())).max(1) as u32;
        sizes.push((
            format!("-{vw}w"),
            img.resize_exact(vw, vh, FilterType::Lanczos3),
        ));
        widths.push(vw);
    }
    for (suffix, pic) in sizes {
        let main = encode(&pic, stored)?;
        let webp = encode_webp(&pic)?;
        webp_smaller &= webp.len() < main.len();
        webp_files.push(Output {
            suffix: suffix.clone(),
            ext: "webp",
            bytes: webp,
        });
        files.push(Output {
            suffix,
            ext: stored.ext(),
            bytes: main,
        });
    }
    // A WebP set is offered only when every size is smaller than its original-format twin.
    if webp_smaller {
        files.extend(webp_files);
    }
    Ok(Processed {
        format: stored,
        width: img.width(),
        height: img.height(),
        widths,
        webp: webp_smaller,
        files,
    })
}

pub(crate) fn encode(img: &DynamicImage, stored: Stored) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let result = match stored {
        Stored::Jpeg => img
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85)),
        Stored::Png => img.write_with_encoder(PngEncoder::new(&mut out)),
    };
    result.map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out)
}

fn encode_webp(img: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let rgba = img.to_rgba8();
    rgba.write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Test helpers for code that handles uploads.
#[cfg(feature = "testing")]
pub mod testing {
    use image::codecs::png::PngEncoder;
    use image::{ImageBuffer, Rgba};

    /// A valid 1×1 PNG whose header claims `width`×`height` pixels: a decompression bomb in
    /// miniature, with a correct chunk checksum so only the size gives it away.
    pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = Vec::new();
        ImageBuffer::from_pixel(1, 1, Rgba([0u8, 0, 0, 0]))
            .write_with_encoder(PngEncoder::new(&mut png))
            .expect("encode to memory");
        // IHDR's width and height sit at bytes 16..24, its CRC at 29..33.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    /// CRC-32 as PNG chunks use it (ISO 3309).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    /// A JPEG with an APP1 EXIF block carrying GPS-like text, inserted after SOI.
    fn jpeg_with_exif() -> Vec<u8> {
        let plain = jpeg(64, 48);
        let payload = b"Exif\0\0MM\0*GPSLatitude 59.9139 N secret-camera-serial";
        let len = (payload.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn photos_get_variants_and_lose_their_metadata() {
        let src = jpeg_with_exif();
        assert!(src.windows(11).any(|w| w == b"GPSLatitude"));
        let p = process(&src).unwrap();
        assert_eq!((p.width, p.height, p.format), (64, 48, Stored::Jpeg));
        for f in &p.files {
            assert!(
                !f.bytes.windows(11).any(|w| w == b"GPSLatitude"),
                "metadata stripped"
            );
            assert!(!f.bytes.windows(4).any(|w| w == b"Exif"));
        }
        let big = process(&jpeg(1000, 500)).unwrap();
        assert_eq!(big.widths, vec![480, 800]);
        assert!(big
            .files
            .iter()
            .any(|f| f.suffix == "-480w" && f.ext == "jpg"));
    }

    #[test]
    fn type_is_decided_by_content_not_name() {
        assert_eq!(
            process(b"<html>not an image</html>").unwrap_err(),
            MediaError::UnsupportedType
        );
        assert!(process(b"GIF89a")
            .unwrap_err()
            .to_string()
            .contains("could not be read"));
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 60]);
        assert_eq!(process(&bmp).unwrap_err(), MediaError::UnsupportedType);
    }

    #[test]
    fn decompression_bombs_and_huge_files_are_refused() {
        // A tiny PNG whose header claims 20000×20000 pixels: refused before decoding.
        let png = testing::png_claiming(20_000, 20_000);
        assert_eq!(
            process(&png).unwrap_err(),
            MediaError::TooManyPixels(20_000, 20_000)
        );
        assert_eq!(
            process(&vec![0u8; MAX_BYTES + 1]).unwrap_err(),
            MediaError::TooLarge
        );
    }

    #[test]
    fn graphics_stay_png_and_webp_is_kept_only_when_smaller() {
        let flat = ImageBuffer::from_pixel(600, 300, Rgba([20u8, 120, 200, 255]));
        let mut png = Vec::new();
        flat.write_with_encoder(PngEncoder::new(&mut png)).unwrap();
        let p = process(&png).unwrap();
        assert_eq!(p.format, Stored::Png);
        for f in p.files.iter().filter(|f| f.ext == "webp") {
            let twin = p
                .files
                .iter()
                .find(|g| g.ext == "png" && g.suffix == f.suffix)
                .unwrap();
            assert!(f.bytes.len() < twin.bytes.len());
        }
        let photo = process(&jpeg(900, 600)).unwrap();
        if photo.webp {
            for f in photo.files.iter().filter(|f| f.ext == "webp") {
                let twin = photo
                    .files
                    .iter()
                    .find(|g| g.ext == "jpg" && g.suffix == f.suffix)
                    .unwrap();
                assert!(f.bytes.len() < twin.bytes.len());
            }
        } else {
            assert!(photo.files.iter().all(|f| f.ext != "webp"));
        }
    }
}
