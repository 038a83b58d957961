//! The export document: what its header says and how it is read, one row at a time.
//!
//! `{"format": "tidings-export", "version": 1, "schema": …, "exported_at": "…", "tables": {"settings":
//! [{…}, …], …}}`, described for people in docs/export-format.md. The header comes before the
//! tables, so that a document of a newer version is refused before any row is looked at.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tidings_store::Cell;

/// What the `format` field of every export says.
pub const FORMAT: &str = "tidings-export";
/// The version of the document this build writes, and the newest it reads.
pub const VERSION: i64 = 1;

/// What reading a document found in its header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The document's version.
    pub version: i64,
    /// The schema (newest migration) of the site it came from.
    pub schema: i64,
    /// When it was written (RFC 3339).
    pub exported_at: String,
}

/// Receives each row as it is read.
pub trait RowSink {
    /// One row of `table`; an error stops the reading.
    fn row(&mut self, table: &str, row: Vec<(String, Cell)>) -> Result<(), String>;
}

/// Reads a whole document from `reader`, handing every row to `sink`; the error names the place
/// (line and column) and what is wrong there.
pub fn read(reader: impl Read, sink: &mut dyn RowSink) -> Result<Header, String> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let header = Document { sink }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(header)
}

struct Document<'a> {
    sink: &'a mut dyn RowSink,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = Header;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Header, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = Header;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Tidings export (a JSON object with format, version and tables)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut format_seen = false;
        let mut tables_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let f: String = map.next_value()?;
                    if f != FORMAT {
                        return Err(de::Error::custom(format!(
                            "this is not a Tidings export (format \"{f}\", expected \"{FORMAT}\")"
                        )));
                    }
                    format_seen = true;
                }
                "version" => {
                    header.version = map.next_value()?;
                    if header.version > VERSION {
                        return Err(de::Error::custom(format!(
                            "export format version {} is newer than this Tidings reads ({VERSION}); upgrade Tidings first",
                            header.version
                        )));
                    }
                    if header.version < 1 {
                        return Err(de::Error::custom("export format version must be 1 or more"));
                    }
                }
                "schema" => header.schema = map.next_value()?,
                "exported_at" => header.exported_at = map.next_value()?,
                "tables" => {
                    if !format_seen || header.version == 0 {
                        return Err(de::Error::custom(
                            "format and version must come before the tables",
                        ));
                    }
                    map.next_value_seed(Tables {
                        sink: &mut *self.sink,
                    })?;
                    tables_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !format_seen || header.version == 0 {
            return Err(de::Error::custom(
                "this is not a Tidings export (no format or version)",
            ));
        }
        if !tables_seen {
            return Err(de::Error::custom("the export has no tables"));
        }
        Ok(header)
    }
}

struct Tables<'a> {
    sink: &'a mut dyn RowSink,
}

impl<'de> DeserializeSeed<'de> for Tables<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Tables<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(table) = map.next_key::<String>()? {
            map.next_value_seed(Rows {
                table: &table,
                sink: &mut *self.sink,
            })?;
        }
        Ok(())
    }
}

struct Rows<'a> {
    table: &'a str,
    sink: &'a mut dyn RowSink,
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of rows for {}", self.table)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0usize;
        while let Some(row) = seq.next_element::<Row>()? {
            n += 1;
            self.sink
                .row(self.table, row.0)
                .map_err(|e| de::Error::custom(format!("{} row {n}: {e}", self.table)))?;
        }
        Ok(())
    }
}

/// One row: column names and their values (null, a whole number or text).
struct Row(Vec<(String, Cell)>);

impl<'de> de::Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        d.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (an object of column values)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut cells = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let value: CellValue = map.next_value()?;
            cells.push((name, value.0));
        }
        Ok(Row(cells))
    }
}

struct CellValue(Cell);

impl<'de> de::Deserialize<'de> for CellValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CellValue, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = CellValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null, a whole number or text")
    }
    fn visit_unit<E: de::Error>(self) -> Result<CellValue, E> {
        Ok(CellValue(Cell::Null))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<CellValue, E> {
        Ok(CellValue(Cell::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<CellValue, E> {
        i64::try_from(v)
            .map(|v| CellValue(Cell::Int(v)))
            .map_err(|_| E::custom("a number too large"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<CellValue, E> {
        Ok(CellValue(Cell::Text(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<CellValue, E> {
        Ok(CellValue(Cell::Text(v)))
    }
}

/// Writes one row as a JSON object on its own line.
pub(crate) fn write_row(
    out: &mut impl std::io::Write,
    row: &[(&str, Cell)],
) -> std::io::Result<()> {
    out.write_all(b"{")?;
    for (i, (name, cell)) in row.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, name)?;
        out.write_all(b":")?;
        match cell {
            Cell::Null => out.write_all(b"null")?,
            Cell::Int(v) => write!(out, "{v}")?,
            Cell::Text(s) => serde_json::to_writer(&mut *out, s)?,
        }
    }
    out.write_all(b"}")
}
