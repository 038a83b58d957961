//! Feature images and portraits drawn here, so the demo needs no network and no stock photos.

use image::{ImageBuffer, Rgb, RgbImage};

/// Size of the original feature images.
pub const FEATURE_SIZE: (u32, u32) = (1200, 675);

/// Colours for one picture: sky top, sky bottom, far land, near land, water.
#[derive(Debug, Clone, Copy)]
pub struct Palette(pub [[u8; 3]; 5]);

/// Draws a landscape-like scene (sky, sun, two hill ridges, water) at the given size.
pub fn scene(width: u32, height: u32, palette: Palette, seed: u32) -> RgbImage {
    let [sky_top, sky_bottom, far, near, water] = palette.0;
    let w = width as f32;
    let h = height as f32;
    let s = seed as f32;
    let sun_x = w * (0.2 + 0.6 * frac(s * 0.37));
    let sun_y = h * (0.18 + 0.15 * frac(s * 0.61));
    let sun_r = h * 0.09;
    let horizon = h * (0.62 + 0.08 * frac(s * 0.23));
    ImageBuffer::from_fn(width, height, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let u = xf / w;
        let far_ridge =
            h * 0.48 + h * 0.07 * ((u * 5.0 + s).sin() + 0.5 * (u * 13.0 + s * 2.0).sin());
        let near_ridge = h * 0.58 + h * 0.06 * ((u * 3.0 + s * 1.7).cos() + 0.4 * (u * 17.0).sin());
        let colour = if yf > horizon {
            // Water: darker with depth, with soft horizontal ripples.
            let depth = (yf - horizon) / (h - horizon);
            let ripple = 0.06 * ((yf * 0.9 + (xf * 0.03).sin() * 4.0).sin());
            shade(water, 1.0 - 0.35 * depth + ripple)
        } else if yf > near_ridge {
            shade(
                near,
                0.9 + 0.1 * (1.0 - (yf - near_ridge) / (horizon - near_ridge + 1.0)),
            )
        } else if yf > far_ridge {
            far
        } else {
            let d = ((xf - sun_x).powi(2) + (yf - sun_y).powi(2)).sqrt();
            if d < sun_r {
                [255, 244, 214]
            } else {
                let glow = (1.0 - (d - sun_r) / (h * 0.5)).clamp(0.0, 1.0) * 0.25;
                let sky = mix(sky_top, sky_bottom, yf / far_ridge.max(1.0));
                mix(sky, [255, 236, 200], glow)
            }
        };
        Rgb(colour)
    })
}

/// A simple portrait placeholder: a head and shoulders on a tinted background.
pub fn portrait(size: u32, background: [u8; 3], figure: [u8; 3]) -> RgbImage {
    let s = size as f32;
    ImageBuffer::from_fn(size, size, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let head = ((xf - s * 0.5).powi(2) + (yf - s * 0.4).powi(2)).sqrt() < s * 0.19;
        let shoulders =
            ((xf - s * 0.5) / (s * 0.36)).powi(2) + ((yf - s * 1.02) / (s * 0.42)).powi(2) < 1.0;
        let bg = shade(background, 1.05 - 0.2 * yf / s);
        Rgb(if head || shoulders { figure } else { bg })
    })
}

fn frac(v: f32) -> f32 {
    v.fract().abs()
}

fn shade(c: [u8; 3], k: f32) -> [u8; 3] {
    c.map(|v| (f32::from(v) * k).clamp(0.0, 255.0) as u8)
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8)
}
