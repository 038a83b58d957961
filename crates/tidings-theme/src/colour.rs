//! The outlet's accent colour: parsed, checked for WCAG AA contrast against the default theme's
//! backgrounds, and turned into the small stylesheet that applies it.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The light theme's page background and the text on accent-coloured buttons.
pub const LIGHT_BACKGROUND: Rgb = Rgb(0xff, 0xff, 0xff);
/// The dark theme's page background.
pub const DARK_BACKGROUND: Rgb = Rgb(0x14, 0x14, 0x14);
/// WCAG 2 AA for normal-size text.
pub const AA: f64 = 4.5;

/// `#rrggbb` or `#rgb`.
pub fn parse(value: &str) -> Option<Rgb> {
    let hex = value.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        6 => Some(Rgb(byte(&hex[0..2])?, byte(&hex[2..4])?, byte(&hex[4..6])?)),
        3 => {
            let d = |i: usize| byte(&hex[i..i + 1]).map(|v| v * 17);
            Some(Rgb(d(0)?, d(1)?, d(2)?))
        }
        _ => None,
    }
}

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2 relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// Mixed toward white by `t` (0 to 1).
    fn lighter(self, t: f64) -> Rgb {
        let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

/// WCAG 2 contrast ratio between two colours (1 to 21).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (x, y) = (a.luminance(), b.luminance());
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Why an accent cannot be used, with the ratio it reaches; `None` when it reads well. The accent
/// colours text on the white page and carries white text on buttons: one ratio covers both.
pub fn unreadable(accent: Rgb) -> Option<String> {
    let ratio = contrast(accent, LIGHT_BACKGROUND);
    (ratio < AA).then(|| {
        format!(
            "{} has a contrast of {ratio:.2}:1 against white; it needs at least 4.5:1 (WCAG AA). Try a darker shade.",
            accent.hex()
        )
    })
}

/// The accent for the dark theme: the same hue lightened until it reads on the dark background.
pub fn for_dark(accent: Rgb) -> Rgb {
    (0..=20)
        .map(|step| accent.lighter(f64::from(step) / 20.0))
        .find(|c| contrast(*c, DARK_BACKGROUND) >= AA)
        .unwrap_or(LIGHT_BACKGROUND)
}

/// The stylesheet that applies the accent over the theme's own (a file, so that the security
/// policy keeps refusing inline styles).
pub fn stylesheet(accent: Rgb) -> String {
    format!(
        ":root{{--accent:{};--accent-text:#ffffff}}\n@media (prefers-color-scheme: dark){{:root{{--accent:{};--accent-text:#141414}}}}\n",
        accent.hex(),
        for_dark(accent).hex()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_match_wcag_reference_values() {
        assert!((contrast(Rgb(0, 0, 0), Rgb(255, 255, 255)) - 21.0).abs() < 0.01);
        // #767676 is the classic lightest grey that passes AA on white (4.54:1).
        assert!((contrast(parse("#767676").unwrap(), LIGHT_BACKGROUND) - 4.54).abs() < 0.01);
        assert_eq!(parse("#abc"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("#ggg000"), None);
    }

    #[test]
    fn a_pale_accent_is_refused_with_its_ratio_and_a_dark_one_gets_a_readable_dark_twin() {
        let pale = unreadable(parse("#ffcc00").unwrap()).unwrap();
        assert!(pale.contains("1.") && pale.contains(":1"), "{pale}");
        let red = parse("#a4161a").unwrap();
        assert_eq!(unreadable(red), None);
        let dark = for_dark(red);
        assert!(contrast(dark, DARK_BACKGROUND) >= AA);
        assert!(stylesheet(red).contains("--accent:#a4161a"));
    }
}
