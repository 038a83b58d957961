//! A streaming reader for WordPress eXtended RSS (WXR 1.0 to 1.2): one record at a time (the
//! channel's facts, an author, a category, a tag, an item), with memory bounded by the largest
//! single item, never by the file. It refuses what a WordPress export never contains and an attack
//! would: a DOCTYPE (and so any entity definition), nesting deeper than [`MAX_DEPTH`], an item
//! larger than [`MAX_ITEM_BYTES`], text that is not UTF-8, and a WXR version newer than 1.2.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Deepest element nesting accepted (a WXR file needs five).
pub const MAX_DEPTH: usize = 64;
/// Largest single item (its text, all fields together).
pub const MAX_ITEM_BYTES: usize = 32 * 1024 * 1024;

/// Why the file cannot be read, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", element.as_deref().map(|e| format!(", in <{e}>")).unwrap_or_default())]
pub struct WxrError {
    /// 1-based line of the problem (where reading had got to).
    pub line: u64,
    /// The innermost element open there, if any.
    pub element: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A WordPress author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    /// `wp:author_login`
    pub login: String,
    /// `wp:author_email`
    pub email: String,
    /// `wp:author_display_name`
    pub display_name: String,
}

/// A category or tag as the channel declares it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// `wp:category_nicename` or `wp:tag_slug` (percent-encoded for non-ASCII).
    pub slug: String,
    /// `wp:cat_name` or `wp:tag_name`.
    pub name: String,
    /// The parent category's slug, if nested.
    pub parent: String,
    /// `wp:category_description` or `wp:tag_description`.
    pub description: String,
}

/// A category or tag an item is filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    /// `category`, `post_tag`, `post_format`, …
    pub domain: String,
    /// The term's slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// A post, page, attachment or any other item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// `title`
    pub title: String,
    /// `link`: the item's permalink on the old site.
    pub link: String,
    /// `guid`
    pub guid: String,
    /// `dc:creator`: the author's login.
    pub creator: String,
    /// `content:encoded`
    pub content: String,
    /// `excerpt:encoded`
    pub excerpt: String,
    /// `wp:post_id`
    pub post_id: i64,
    /// `wp:post_date` (site-local).
    pub post_date: String,
    /// `wp:post_date_gmt` (`0000-00-00 00:00:00` on drafts).
    pub post_date_gmt: String,
    /// `wp:post_name` (percent-encoded for non-ASCII).
    pub post_name: String,
    /// `wp:status`
    pub status: String,
    /// `wp:post_parent`
    pub post_parent: i64,
    /// `wp:post_type`
    pub post_type: String,
    /// `wp:post_password`
    pub post_password: String,
    /// `wp:is_sticky`
    pub is_sticky: bool,
    /// `wp:attachment_url`
    pub attachment_url: String,
    /// Terms it is filed under, in file order.
    pub terms: Vec<ItemTerm>,
    /// `wp:postmeta` pairs.
    pub meta: Vec<(String, String)>,
    /// How many `wp:comment` it carries.
    pub comments: usize,
}

impl Item {
    /// A post meta value by key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One thing read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `wp:wxr_version` and the old site's address, when read.
    Channel {
        /// `1.0`, `1.1` or `1.2`.
        version: String,
        /// `wp:base_blog_url` (or the channel `link`).
        blog_url: String,
    },
    /// `wp:author`
    Author(Author),
    /// `wp:category`
    Category(Term),
    /// `wp:tag`
    Tag(Term),
    /// `item`
    Item(Box<Item>),
}

/// Counts lines as the parser consumes bytes, so that an error can say where it is.
struct Lines<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.line += out[..n].iter().filter(|b| **b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = n.min(buf.len());
            self.line += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        self.inner.consume(n);
    }
}

/// What the reader is in the middle of.
enum Open {
    Nothing,
    Author(Author),
    Category(Term),
    Tag(Term),
    Item(Box<Item>, usize),
}

/// Reads records one by one.
pub struct WxrReader<R: BufRead> {
    reader: Reader<Lines<R>>,
    buf: Vec<u8>,
    path: Vec<String>,
    text: String,
    open: Open,
    version: Option<String>,
    blog_url: String,
    channel_sent: bool,
    meta_key: String,
    item_term: Option<ItemTerm>,
    seen_rss: bool,
    done: bool,
}

impl<R: BufRead> WxrReader<R> {
    /// A reader over a WXR document.
    pub fn new(input: R) -> Self {
        let mut reader = Reader::from_reader(Lines {
            inner: input,
            line: 1,
        });
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        WxrReader {
            reader,
            buf: Vec::with_capacity(64 * 1024),
            path: Vec::new(),
            text: String::new(),
            open: Open::Nothing,
            version: None,
            blog_url: String::new(),
            channel_sent: false,
            meta_key: String::new(),
            item_term: None,
            seen_rss: false,
            done: false,
        }
    }

    fn error(&self, message: impl Into<String>) -> WxrError {
        WxrError {
            line: self.reader.get_ref().line,
            element: self.path.last().cloned(),
            message: message.into(),
        }
    }

    /// The next record, or `None` at the end of the document.
    pub fn next_record(&mut self) -> Result<Option<Record>, WxrError> {
        loop {
            if self.done {
                return Ok(None);
            }
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e.into_owned(),
                Err(e) => return Err(self.error(format!("not well-formed XML: {e}"))),
            };
            match event {
                Event::Decl(decl) => {
                    if let Some(Ok(enc)) = decl.encoding() {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        if enc != "utf-8" && enc != "utf8" {
                            return Err(self.error(format!(
                                "the file declares encoding {enc}; WordPress exports are UTF-8 (convert it first)"
                            )));
                        }
                    }
                }
                Event::DocType(_) => return Err(self.error(
                    "a DOCTYPE (with its entity definitions) has no place in a WordPress export",
                )),
                Event::Start(start) => {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    if self.path.len() >= MAX_DEPTH {
                        return Err(
                            self.error(format!("elements nested deeper than {MAX_DEPTH} levels"))
                        );
                    }
                    if self.path.is_empty() {
                        if name != "rss" {
                            return Err(self.error(format!(
                                "the document is <{name}>, not a WordPress export (<rss>)"
                            )));
                        }
                        self.seen_rss = true;
                    }
                    if name == "category" && matches!(self.open, Open::Item(..)) {
                        let attr = |key: &str| {
                            start
                                .try_get_attribute(key)
                                .ok()
                                .flatten()
                                .and_then(|a| {
                                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                        .ok()
                                        .map(|v| v.into_owned())
                                })
                                .unwrap_or_default()
                        };
                        self.item_term = Some(ItemTerm {
                            domain: attr("domain"),
                            slug: attr("nicename"),
                            name: String::new(),
                        });
                    }
                    if self.path.len() == 2 {
                        if let Some(record) = self.start_record(&name)? {
                            self.path.push(name);
                            return Ok(Some(record));
                        }
                    }
                    self.path.push(name);
                    self.text.clear();
                }
                Event::End(_) => {
                    let name = self.path.pop().unwrap_or_default();
                    let text = std::mem::take(&mut self.text);
                    if let Some(record) = self.end_element(&name, text)? {
                        return Ok(Some(record));
                    }
                }
                Event::Text(t) => {
                    let s = t
                        .decode()
                        .map_err(|e| self.error(format!("text is not UTF-8: {e}")))?;
                    self.push_text(&s)?;
                }
                Event::CData(c) => {
                    let s = c
                        .decode()
                        .map_err(|e| self.error(format!("CDATA is not UTF-8: {e}")))?;
                    self.push_text(&s)?;
                }
                Event::GeneralRef(r) => {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                        .map_err(|_| self.error(format!("unknown entity &{name};")))?
                        .into_owned();
                    self.push_text(&resolved)?;
                }
                Event::Eof => {
                    if !self.path.is_empty() {
                        return Err(self.error(format!(
                            "the file ends inside <{}> (truncated?)",
                            self.path.last().cloned().unwrap_or_default()
                        )));
                    }
                    if !self.seen_rss {
                        return Err(self.error("the file is empty or not XML"));
                    }
                    self.done = true;
                    return Ok(None);
                }
                Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
            }
        }
    }

    fn push_text(&mut self, s: &str) -> Result<(), WxrError> {
        if self.path.len() < 3 && s.trim().is_empty() {
            return Ok(());
        }
        self.text.push_str(s);
        if let Open::Item(_, size) = &mut self.open {
            *size += s.len();
            if *size > MAX_ITEM_BYTES {
                return Err(self.error(format!(
                    "an item larger than {} MB",
                    MAX_ITEM_BYTES / 1024 / 1024
                )));
            }
        } else if self.text.len() > MAX_ITEM_BYTES {
            return Err(self.error("a text larger than any export holds"));
        }
        Ok(())
    }

    /// A channel-level element starts: opens a record, or reports the channel's facts first.
    fn start_record(&mut self, name: &str) -> Result<Option<Record>, WxrError> {
        self.open = match name {
            "wp:author" => Open::Author(Author::default()),
            "wp:category" => Open::Category(Term::default()),
            "wp:tag" => Open::Tag(Term::default()),
            "item" => {
                if !self.channel_sent {
                    self.channel_sent = true;
                    let version = self.version.clone().ok_or_else(|| {
                        self.error(
                            "no <wp:wxr_version> before the first item: not a WordPress export",
                        )
                    })?;
                    self.open = Open::Item(Box::default(), 0);
                    self.text.clear();
                    return Ok(Some(Record::Channel {
                        version,
                        blog_url: self.blog_url.clone(),
                    }));
                }
                Open::Item(Box::default(), 0)
            }
            _ => Open::Nothing,
        };
        Ok(None)
    }

    fn end_element(&mut self, name: &str, text: String) -> Result<Option<Record>, WxrError> {
        let depth = self.path.len();
        if depth == 2 {
            // A channel-level element ended.
            match name {
                "wp:wxr_version" => {
                    let v = text.trim().to_string();
                    if !matches!(v.as_str(), "1.0" | "1.1" | "1.2") {
                        return Err(self.error(format!(
                            "WXR version {v} is newer than this importer knows (1.0 to 1.2)"
                        )));
                    }
                    self.version = Some(v);
                }
                "wp:base_blog_url" => self.blog_url = text.trim().to_string(),
                "link" if self.blog_url.is_empty() => self.blog_url = text.trim().to_string(),
                _ => {}
            }
            let record = match std::mem::replace(&mut self.open, Open::Nothing) {
                Open::Author(a) if name == "wp:author" => Some(Record::Author(a)),
                Open::Category(t) if name == "wp:category" => Some(Record::Category(t)),
                Open::Tag(t) if name == "wp:tag" => Some(Record::Tag(t)),
                Open::Item(i, _) if name == "item" => Some(Record::Item(i)),
                other => {
                    self.open = other;
                    None
                }
            };
            return Ok(record);
        }
        if depth == 1 && name == "channel" && !self.channel_sent {
            // A file with no items still reports its version.
            self.channel_sent = true;
            let version = self
                .version
                .clone()
                .ok_or_else(|| self.error("no <wp:wxr_version>: not a WordPress export"))?;
            return Ok(Some(Record::Channel {
                version,
                blog_url: self.blog_url.clone(),
            }));
        }
        let text_trimmed = || text.trim().to_string();
        match &mut self.open {
            Open::Author(a) => match name {
                "wp:author_login" => a.login = text_trimmed(),
                "wp:author_email" => a.email = text_trimmed(),
                "wp:author_display_name" => a.display_name = text_trimmed(),
                _ => {}
            },
            Open::Category(t) => match name {
                "wp:category_nicename" => t.slug = text_trimmed(),
                "wp:cat_name" => t.name = text_trimmed(),
                "wp:category_parent" => t.parent = text_trimmed(),
                "wp:category_description" => t.description = text_trimmed(),
                _ => {}
            },
            Open::Tag(t) => match name {
                "wp:tag_slug" => t.slug = text_trimmed(),
                "wp:tag_name" => t.name = text_trimmed(),
                "wp:tag_description" => t.description = text_trimmed(),
                _ => {}
            },
            Open::Item(item, _) => {
                let number = |s: &str| s.trim().parse::<i64>().unwrap_or(0);
                if depth == 3 {
                    match name {
                        "title" => item.title = text_trimmed(),
                        "link" => item.link = text_trimmed(),
                        "guid" => item.guid = text_trimmed(),
                        "dc:creator" => item.creator = text_trimmed(),
                        "content:encoded" => item.content = text,
                        "excerpt:encoded" => item.excerpt = text,
                        "wp:post_id" => item.post_id = number(&text),
                        "wp:post_date" => item.post_date = text_trimmed(),
                        "wp:post_date_gmt" => item.post_date_gmt = text_trimmed(),
                        "wp:post_name" => item.post_name = text_trimmed(),
                        "wp:status" => item.status = text_trimmed(),
                        "wp:post_parent" => item.post_parent = number(&text),
                        "wp:post_type" => item.post_type = text_trimmed(),
                        "wp:post_password" => item.post_password = text,
                        "wp:is_sticky" => item.is_sticky = text.trim() == "1",
                        "wp:attachment_url" => item.attachment_url = text_trimmed(),
                        "category" => {
                            if let Some(mut t) = self.item_term.take() {
                                t.name = text_trimmed();
                                item.terms.push(t);
                            }
                        }
                        "wp:comment" => item.comments += 1,
                        _ => {}
                    }
                } else if depth == 4 && self.path.get(3).is_some_and(|p| p == "wp:postmeta") {
                    match name {
                        "wp:meta_key" => self.meta_key = text_trimmed(),
                        "wp:meta_value" => {
                            let key = std::mem::take(&mut self.meta_key);
                            item.meta.push((key, text));
                        }
                        _ => {}
                    }
                }
            }
            Open::Nothing => {}
        }
        Ok(None)
    }
}
