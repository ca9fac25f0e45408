//! COPY text format: a row buffer that the (pure) table emitters write into, and the loader
//! that streams those buffers into `copy ... from stdin` while the next chunk is formatted
//! on another thread.

use std::{fmt::Write as _, ops::Range, sync::Arc};

use anyhow::Context;
use bytes::Bytes;
use futures_util::SinkExt;
use indicatif::ProgressBar;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::{generate::World, tables::Table};

/// Seconds east of UTC of India Standard Time (no daylight saving).
pub const IST_OFFSET: i64 = 19_800;

/// One chunk of COPY text rows. Fields are written left to right; `end` closes a row.
#[derive(Default)]
pub struct RowBuf {
    pub buf: Vec<u8>,
    col: usize,
    pub rows: u64,
}

impl RowBuf {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            col: 0,
            rows: 0,
        }
    }

    fn sep(&mut self) {
        if self.col > 0 {
            self.buf.push(b'\t');
        }
        self.col += 1;
    }

    /// Text, escaped for the COPY text format (backslash, tab, newline, carriage return).
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.sep();
        if !s.bytes().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
            self.buf.extend_from_slice(s.as_bytes());
            return self;
        }
        for b in s.bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        push_int(&mut self.buf, v);
        self
    }

    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf.push(if v { b't' } else { b'f' });
        self
    }

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.sep();
        let mut out = [0u8; 36];
        self.buf
            .extend_from_slice(id.hyphenated().encode_lower(&mut out).as_bytes());
        self
    }

    pub fn opt_uuid(&mut self, id: Option<Uuid>) -> &mut Self {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    /// A fixed-point decimal: `v` in units of 10^-`scale` (numeric columns).
    pub fn decimal(&mut self, v: i64, scale: u32) -> &mut Self {
        self.sep();
        push_decimal(&mut self.buf, v, scale);
        self
    }

    /// A coordinate with 6 decimals (about 10 cm), enough for numeric(10,8) columns.
    pub fn coord(&mut self, v: f64) -> &mut Self {
        self.decimal((v * 1e6).round() as i64, 6)
    }

    /// A geography point in EWKT, which PostGIS's geography input accepts.
    pub fn point(&mut self, lat: f64, lon: f64) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"SRID=4326;POINT(");
        push_decimal(&mut self.buf, (lon * 1e6).round() as i64, 6);
        self.buf.push(b' ');
        push_decimal(&mut self.buf, (lat * 1e6).round() as i64, 6);
        self.buf.push(b')');
        self
    }

    /// A timestamptz from seconds since the Unix epoch, written in UTC.
    pub fn ts(&mut self, secs: i64) -> &mut Self {
        self.sep();
        push_timestamp(&mut self.buf, secs);
        self
    }

    pub fn opt_ts(&mut self, secs: Option<i64>) -> &mut Self {
        match secs {
            Some(s) => self.ts(s),
            None => self.null(),
        }
    }

    /// A date from days since the Unix epoch.
    pub fn date(&mut self, day: i64) -> &mut Self {
        self.sep();
        push_date(&mut self.buf, day);
        self
    }

    /// A time of day from minutes after midnight (1440 is written as 24:00).
    pub fn time(&mut self, minutes: i64) -> &mut Self {
        self.sep();
        push_2(&mut self.buf, minutes / 60);
        self.buf.push(b':');
        push_2(&mut self.buf, minutes % 60);
        self.buf.extend_from_slice(b":00");
        self
    }

    /// A Postgres array literal of already-safe elements (uuids, numbers, plain words).
    pub fn array<I, T>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: std::fmt::Display,
    {
        let mut s = String::from("{");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{item}");
        }
        s.push('}');
        self.str(&s)
    }

    /// A text[] literal with every element quoted.
    pub fn text_array<'a, I>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut s = String::from("{");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push('"');
            for c in item.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push('"');
        }
        s.push('}');
        self.str(&s)
    }

    pub fn json(&mut self, v: &serde_json::Value) -> &mut Self {
        let s = v.to_string();
        self.str(&s)
    }

    pub fn end(&mut self) {
        self.buf.push(b'\n');
        self.col = 0;
        self.rows += 1;
    }
}

fn push_int(buf: &mut Vec<u8>, v: i64) {
    let mut tmp = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_decimal(buf: &mut Vec<u8>, v: i64, scale: u32) {
    let unit = 10i64.pow(scale);
    if v < 0 {
        buf.push(b'-');
    }
    let a = v.unsigned_abs() as i64;
    push_int(buf, a / unit);
    if scale > 0 {
        buf.push(b'.');
        let frac = a % unit;
        let digits = frac.to_string();
        for _ in digits.len()..scale as usize {
            buf.push(b'0');
        }
        buf.extend_from_slice(digits.as_bytes());
    }
}

fn push_2(buf: &mut Vec<u8>, v: i64) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// (year, month, day) of a day number counted from 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_date(buf: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_int(buf, y);
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
}

fn push_timestamp(buf: &mut Vec<u8>, secs: i64) {
    let day = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    push_date(buf, day);
    buf.push(b' ');
    push_2(buf, rem / 3600);
    buf.push(b':');
    push_2(buf, rem % 3600 / 60);
    buf.push(b':');
    push_2(buf, rem % 60);
    buf.extend_from_slice(b"+00");
}

/// `YYYYMMDD` of a day number, for booking numbers.
pub fn compact_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}{m:02}{d:02}")
}

/// Items per formatted chunk: small enough to keep memory flat, large enough that each
/// chunk is a few hundred kilobytes of COPY data.
const CHUNK_ITEMS: usize = 2_000;

/// Streams one table into the open transaction. Formatting runs on a blocking thread while
/// the previous chunk is being sent, so Rust and Postgres work at the same time.
pub async fn copy_table(
    tx: &Transaction<'_>,
    table: &'static Table,
    world: Arc<World>,
    bars: &[&ProgressBar],
) -> anyhow::Result<u64> {
    let statement = format!("copy {} ({}) from stdin", table.name, table.columns.join(", "));
    let sink = tx
        .copy_in::<_, Bytes>(&statement)
        .await
        .with_context(|| format!("starting copy into {}", table.name))?;
    let mut sink = std::pin::pin!(sink);
    let total = (table.len)(&world);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Bytes, u64, usize)>(4);
    let producer = tokio::task::spawn_blocking(move || {
        let mut start = 0;
        while start < total {
            let range: Range<usize> = start..(start + CHUNK_ITEMS).min(total);
            let items = range.len();
            let mut rows = RowBuf::with_capacity(256 * 1024);
            (table.emit)(&world, range, &mut rows);
            if sender.blocking_send((Bytes::from(rows.buf), rows.rows, items)).is_err() {
                return;
            }
            start += items;
        }
    });
    let mut sent = 0u64;
    while let Some((chunk, rows, items)) = receiver.recv().await {
        sent += rows;
        if !chunk.is_empty() {
            sink.send(chunk)
                .await
                .with_context(|| format!("copying into {}", table.name))?;
        }
        for bar in bars {
            bar.inc(items as u64);
        }
    }
    producer.await.context("formatting rows")?;
    let copied = sink
        .as_mut()
        .finish()
        .await
        .with_context(|| format!("finishing copy into {}", table.name))?;
    anyhow::ensure!(
        copied == sent,
        "{}: sent {sent} rows, Postgres copied {copied}",
        table.name
    );
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fields() {
        let mut r = RowBuf::default();
        r.str("a\tb\\c\n")
            .null()
            .int(-42)
            .decimal(1234, 2)
            .decimal(-5, 2)
            .ts(0)
            .date(20_000)
            .time(1440)
            .bool(true);
        r.end();
        assert_eq!(
            String::from_utf8(r.buf).unwrap(),
            "a\\tb\\\\c\\n\t\\N\t-42\t12.34\t-0.05\t1970-01-01 00:00:00+00\t2024-10-04\t24:00:00\tt\n"
        );
    }

    #[test]
    fn arrays_quote_text() {
        let mut r = RowBuf::default();
        r.text_array(["a b", "c\"d"]).array([60, 90]);
        assert_eq!(String::from_utf8(r.buf).unwrap(), "{\"a b\",\"c\\\\\"d\"}\t{60,90}");
    }
}
