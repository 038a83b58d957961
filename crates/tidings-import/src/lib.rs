//! Moving in from other platforms. WordPress first: a streaming WXR reader that checks the whole
//! file before anything is written, and the import that keeps every old URL working.

pub mod wordpress;
