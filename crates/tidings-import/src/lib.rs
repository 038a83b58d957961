//! Moving in from other platforms: WordPress (a streaming WXR reader that checks the whole file
//! before anything is written, and the import that keeps every old URL working), Ghost, Substack,
//! and GiveWP's donations and donors.

pub mod ghost;
pub mod givewp;
mod story;
pub mod substack;
mod uploads;
pub mod wordpress;
