//! Processing uploaded images, with no I/O beyond what the caller hands in.
//!
//! The file's bytes decide its type (never its name). Dimensions are read from the header before
//! any pixel is decoded, so a decompression bomb is refused cheaply. Decoding and re-encoding
//! drops every metadata block (EXIF, GPS location, XMP, comments). Narrower variants are made for
//! `srcset`. Photos get lossy WebP copies, graphics lossless ones; the WebP set is kept only where
//! every one of its sizes is smaller than the original format.
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
/// libwebp's quality for lossy photos (0-100): about JPEG 85's look at half its bytes (ADR 019).
const WEBP_QUALITY: f32 = 80.0;

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

/// Processes a photograph made in code (the demo's drawings) exactly as an uploaded one.
pub fn process_photo(img: image::RgbImage) -> Result<Processed, MediaError> {
    process_decoded(DynamicImage::ImageRgb8(img), Stored::Jpeg)
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
    let mut widths = Vec::new();
    let mut sizes: Vec<(String, DynamicImage)> = Vec::new();
    for vw in VARIANT_WIDTHS.into_iter().filter(|vw| *vw < img.width()) {
        let vh = ((u64::from(img.height()) * u64::from(vw)) / u64::from(img.width())).max(1) as u32;
        sizes.push((
            format!("-{vw}w"),
            img.resize_exact(vw, vh, FilterType::Lanczos3),
        ));
        widths.push(vw);
    }
    let (width, height) = (img.width(), img.height());
    sizes.push((String::new(), img));
    let mut files = Vec::new();
    // A set is given up at its first size that is not smaller, and not encoded further.
    let mut webp_set = Some(Vec::new());
    for (suffix, pic) in sizes {
        let main = encode(&pic, stored)?;
        if let Some(set) = webp_set.as_mut() {
            let webp = encode_webp(&pic, stored)?;
            if webp.len() < main.len() {
                set.push(Output {
                    suffix: suffix.clone(),
                    ext: "webp",
                    bytes: webp,
                });
            } else {
                webp_set = None;
            }
        }
        files.push(Output {
            suffix,
            ext: stored.ext(),
            bytes: main,
        });
    }
    let webp = webp_set.map(|set| files.extend(set)).is_some();
    Ok(Processed {
        format: stored,
        width,
        height,
        widths,
        webp,
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

/// AV1's quality for photos (1-100, ravif's scale): at about the WebP's look, a third fewer bytes
/// (ADR 022).
const AVIF_QUALITY: f32 = 60.0;
/// rav1e's speed preset (1 slowest, 10 fastest): ADR 022 weighs bytes against seconds.
const AVIF_SPEED: u8 = 10;

/// A photo as AVIF, on the calling thread only (a background job must not take every core
/// from the site).
pub fn encode_avif(img: &image::RgbImage) -> Result<Vec<u8>, MediaError> {
    let pixels: Vec<ravif::RGB8> = img
        .pixels()
        .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
        .collect();
    let encoded = ravif::Encoder::new()
        .with_quality(AVIF_QUALITY)
        .with_speed(AVIF_SPEED)
        .with_num_threads(Some(1))
        .encode_rgb(ravif::Img::new(
            &pixels[..],
            img.width() as usize,
            img.height() as usize,
        ))
        .map_err(|e| MediaError::Corrupt(format!("AVIF encoding failed: {e}")))?;
    Ok(encoded.avif_file)
}

/// Lossy WebP for photos, lossless for graphics (whose flat colours and sharp edges lossy
/// coding would smear).
fn encode_webp(img: &DynamicImage, stored: Stored) -> Result<Vec<u8>, MediaError> {
    if stored == Stored::Png {
        let mut out = Vec::new();
        img.to_rgba8()
            .write_with_encoder(WebPEncoder::new_lossless(&mut out))
            .map_err(|e| MediaError::Corrupt(e.to_string()))?;
        return Ok(out);
    }
    let rgb = img.to_rgb8();
    let encoded = webp::Encoder::from_rgb(rgb.as_raw(), rgb.width(), rgb.height())
        .encode_simple(false, WEBP_QUALITY)
        .map_err(|e| MediaError::Corrupt(format!("WebP encoding failed: {e:?}")))?;
    Ok(encoded.to_vec())
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

    #[test]
    fn photos_get_lossy_webp_at_every_size() {
        let p = process(&jpeg(1700, 120)).unwrap();
        assert_eq!(p.widths, vec![480, 800, 1200, 1600]);
        assert!(p.webp, "a smooth photo is smaller as lossy WebP");
        let webps: Vec<_> = p.files.iter().filter(|f| f.ext == "webp").collect();
        assert_eq!(webps.len(), 5);
        for f in &webps {
            let twin = p
                .files
                .iter()
                .find(|g| g.ext == "jpg" && g.suffix == f.suffix)
                .unwrap();
            assert!(f.bytes.len() < twin.bytes.len());
            assert_eq!(&f.bytes[12..16], b"VP8 ", "lossy WebP, not VP8L");
            let want: u32 = f.suffix.trim_matches(['-', 'w']).parse().unwrap_or(1700);
            assert_eq!(image::load_from_memory(&f.bytes).unwrap().width(), want);
        }
    }
}
