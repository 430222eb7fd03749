//! Printable text inside payloads: whether bytes read as text, and text cut
//! to a width. A leaf that the protocol decoders (text, generic, audit) and
//! the summaries share, so none of them imports another for it.

use std::borrow::Cow;

/// The payload as text when it is printable UTF-8 (NULs at the end allowed).
pub fn as_text(data: &[u8]) -> Option<String> {
    let mut end = data.len();
    while end > 0 && data[end - 1] == 0 {
        end -= 1;
    }
    if end == 0 {
        return None;
    }
    let text = std::str::from_utf8(&data[..end]).ok()?;
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .then(|| text.to_string())
}

/// The first `max` characters of `text`, with `…` when cut.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    // No more bytes than `max` means no more characters either.
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}
