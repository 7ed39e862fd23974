//! The `/metrics` text, written in chunks: a scrape of 10,000 SLOs is tens of megabytes, and
//! one growing buffer would copy it as it grows, join the families' bodies into it once more,
//! and ask the allocator for fresh pages (page faults) every scrape. Here every byte is
//! written once, into chunks of [`CHUNK`] bytes, which a family's body hands over whole and
//! the HTTP response sends as they are ([`Body`]). A chunk whose last reference is dropped
//! (the response sent, the evaluation's shared text gone) is kept for the next scrape, up to
//! [`MAX_SPARE`] of them: memory the scrapes use anyway, held between them rather than
//! returned to the system and faulted in again.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// Bytes per chunk: below glibc's default mmap threshold (128 KiB), so chunks come from the
/// heap's free lists rather than a fresh mapping each.
pub const CHUNK: usize = 64 * 1024;

/// Chunks kept for reuse at most (64 MiB: a scrape of 10,000 SLOs is about 45 MB).
pub const MAX_SPARE: usize = 1024;

/// Chunks given back by dropped texts, empty, for the next ones.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty chunk: a spare one, or a new one.
fn chunk() -> Vec<u8> {
    let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
    spare.unwrap_or_else(|| Vec::with_capacity(CHUNK))
}

/// A written chunk behind [`Bytes`]: given back to [`SPARE`] when the last reference drops.
struct Written(Vec<u8>);

impl AsRef<[u8]> for Written {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        let mut chunk = std::mem::take(&mut self.0);
        if chunk.capacity() != CHUNK {
            return;
        }
        chunk.clear();
        if let Ok(mut spare) = SPARE.lock()
            && spare.len() < MAX_SPARE
        {
            spare.push(chunk);
        }
    }
}

/// Text built in chunks; [`fmt::Write`] appends to it.
#[derive(Debug, Default)]
pub struct Text {
    full: Vec<Bytes>,
    current: Vec<u8>,
    len: usize,
}

impl Text {
    /// Appends `s`, in the current chunk if it fits, else in a new one.
    pub fn push_str(&mut self, s: &str) {
        if self.current.capacity() - self.current.len() < s.len() {
            self.seal();
            self.current = if s.len() <= CHUNK {
                chunk()
            } else {
                Vec::with_capacity(s.len())
            };
        }
        self.current.extend_from_slice(s.as_bytes());
        self.len += s.len();
    }

    /// Appends `c`.
    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Appends `other`'s chunks without copying them.
    pub fn append(&mut self, mut other: Text) {
        self.seal();
        other.seal();
        self.full.append(&mut other.full);
        self.len += other.len;
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order.
    pub fn into_chunks(mut self) -> Vec<Bytes> {
        self.seal();
        self.full
    }

    fn seal(&mut self) {
        if !self.current.is_empty() {
            let written = Written(std::mem::take(&mut self.current));
            self.full.push(Bytes::from_owner(written));
        }
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl From<Text> for String {
    /// The whole text in one string (tests and tools; the server sends the chunks).
    fn from(text: Text) -> Self {
        let mut out = Vec::with_capacity(text.len);
        for chunk in text.into_chunks() {
            out.extend_from_slice(&chunk);
        }
        // Every chunk holds whole strings pushed as `&str`.
        String::from_utf8(out).expect("chunks of UTF-8 strings")
    }
}

/// A response body sending chunks as they are, with their total length known up front (so
/// the response has a `Content-Length`).
#[derive(Debug)]
pub struct Body {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl Body {
    /// A body of `chunks`, in order.
    pub fn new(chunks: Vec<Bytes>) -> Self {
        Self {
            remaining: chunks.iter().map(|c| c.len() as u64).sum(),
            chunks: chunks.into(),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let chunk = self.chunks.pop_front();
        if let Some(c) = &chunk {
            self.remaining -= c.len() as u64;
        }
        Poll::Ready(chunk.map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn chunks_hold_whole_pushes_and_join_to_what_was_written() {
        let mut want = String::new();
        let mut text = Text::default();
        for i in 0..20_000 {
            let line = format!("series{{i=\"{i}\",é=\"ü\"}} {}\n", i as f64 / 7.0);
            text.push_str(&line);
            want.push_str(&line);
        }
        let mut body = Text::default();
        writeln!(body, "# a family of {} bytes", 3).unwrap();
        body.push('√');
        want.push_str("# a family of 3 bytes\n√");
        text.append(body);
        text.append(Text::default());
        text.push_str("tail\n");
        want.push_str("tail\n");
        let big = "x".repeat(3 * CHUNK);
        text.push_str(&big);
        want.push_str(&big);
        assert_eq!(text.len(), want.len());
        let chunks = text.into_chunks();
        assert!(chunks.len() > 10, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| !c.is_empty()));
        assert!(chunks.iter().all(|c| std::str::from_utf8(c).is_ok()));
        assert!(chunks.iter().rev().skip(1).all(|c| c.len() <= CHUNK));
        let joined: Vec<u8> = chunks.concat();
        assert_eq!(String::from_utf8(joined).unwrap(), want);
    }

    #[test]
    fn chunks_of_a_dropped_text_are_written_again() {
        // nextest runs each test in its own process, so nothing else takes or gives chunks.
        let spare = || SPARE.lock().unwrap().len();
        let mut text = Text::default();
        let line = "x".repeat(1_000);
        while text.len() < 3 * CHUNK {
            text.push_str(&line);
        }
        let chunks = text.into_chunks();
        assert_eq!(chunks.len(), 4);
        let before = spare();
        let kept = chunks[0].clone();
        drop(chunks);
        // The chunk still referenced stays out; the other three are kept.
        assert_eq!(spare(), before + 3);
        drop(kept);
        assert_eq!(spare(), before + 4);
        let mut next = Text::default();
        next.push_str("a");
        assert_eq!(spare(), before + 3, "a new text takes a kept chunk");
        // One bigger than a chunk is its own size and not kept.
        next.push_str(&"y".repeat(2 * CHUNK));
        drop(next.into_chunks());
        assert_eq!(spare(), before + 4);
    }

    #[tokio::test]
    async fn the_body_sends_every_chunk_with_its_exact_length() {
        let chunks = vec![Bytes::from("abc"), Bytes::from("de"), Bytes::from("f\n")];
        let body = Body::new(chunks);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(7));
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"abcdef\n");
        let empty = Body::new(Vec::new());
        assert!(http_body::Body::is_end_stream(&empty));
        assert_eq!(http_body::Body::size_hint(&empty).exact(), Some(0));
    }
}
