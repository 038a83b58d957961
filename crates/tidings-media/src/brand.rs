//! The outlet's own images: logos (through the usual pipeline, SVG refused since it can carry
//! script), and square icons made in the sizes browsers and phones ask for.

use image::imageops::FilterType;

use crate::{decode, encode, MediaError, Output, Stored};

/// Icon sizes made from one upload: the browser tab, the Apple touch icon, and the two sizes
/// installable web apps and search results use.
pub const ICON_SIZES: [u32; 4] = [32, 180, 192, 512];

/// Whether an upload is an SVG document (refused for logos and icons: it can carry script).
pub fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<svg")
        || (text.starts_with("<?xml") && text.contains("<svg"))
        || (text.starts_with("<!doctype svg"))
}

/// Square PNG icons (`-32.png` … `-512.png`) cut from the middle of the image, which should be
/// square and at least 512 pixels a side.
pub fn icons(bytes: &[u8]) -> Result<Vec<Output>, MediaError> {
    let (img, _) = decode(bytes)?;
    let side = img.width().min(img.height());
    let square = img.crop_imm(
        (img.width() - side) / 2,
        (img.height() - side) / 2,
        side,
        side,
    );
    ICON_SIZES
        .iter()
        .map(|&size| {
            Ok(Output {
                suffix: format!("-{size}"),
                ext: "png",
                bytes: encode(
                    &square.resize_exact(size, size, FilterType::Lanczos3),
                    Stored::Png,
                )?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            w,
            h,
            image::Rgba([164, 22, 26, 255]),
        ));
        encode(&img, Stored::Png).unwrap()
    }

    #[test]
    fn icons_come_square_in_every_size_from_an_oblong_upload() {
        let made = icons(&png(700, 520)).unwrap();
        assert_eq!(made.len(), ICON_SIZES.len());
        for (out, size) in made.iter().zip(ICON_SIZES) {
            let img = image::load_from_memory(&out.bytes).unwrap();
            assert_eq!((img.width(), img.height()), (size, size));
            assert_eq!(out.suffix, format!("-{size}"));
        }
    }

    #[test]
    fn svg_is_recognised_however_it_starts() {
        assert!(is_svg(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"));
        assert!(is_svg(
            b"\xef\xbb\xbf  <?xml version=\"1.0\"?>\n<svg onload=\"alert(1)\">"
        ));
        assert!(!is_svg(&png(4, 4)));
        assert_eq!(
            icons(b"<svg></svg>").unwrap_err(),
            MediaError::UnsupportedType
        );
    }
}
