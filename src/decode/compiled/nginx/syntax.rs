//! The syntax of nginx `log_format`: a pasted directive taken apart (its name, `escape=`,
//! its quoted pieces joined as nginx joins them), and the format text split into text and
//! `$variables`.

use super::{CompileError, Var};
use crate::decode::compiled::{Escape, Part, Parts};

/// Takes a pasted directive apart: `log_format name [escape=…]` and the quoted pieces with
/// a final `;` are optional. Returns the escaping and the format text.
pub(super) fn directive(text: &str) -> Result<(Escape, String), CompileError> {
    let mut rest = text.trim();
    if let Some(after) = rest.strip_prefix("log_format") {
        // `log_format name`, then the pieces.
        let after = after.trim_start();
        let name_end = after.find(char::is_whitespace).unwrap_or(after.len());
        rest = after[name_end..].trim_start();
    }
    let mut escape = Escape::Backslash;
    if let Some(after) = rest.strip_prefix("escape=") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        escape = match &after[..end] {
            "default" | "json" => Escape::Backslash,
            "none" => Escape::None,
            other => return Err(CompileError::Escape(other.to_string())),
        };
        rest = after[end..].trim_start();
    }
    let rest = rest.strip_suffix(';').unwrap_or(rest).trim_end();
    Ok((escape, pieces(rest)?.unwrap_or_else(|| rest.to_string())))
}

/// The joined pieces when `text` is a run of quoted strings separated by whitespace (nginx
/// joins a directive's arguments); `None` when it is not (then it is the format itself).
fn pieces(text: &str) -> Result<Option<String>, CompileError> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(quote) = chars.next() else {
            return Ok(any.then_some(out));
        };
        if quote != '\'' && quote != '"' {
            return Ok(None);
        }
        let mut closed = false;
        let mut piece = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => piece.push('\n'),
                    Some('t') => piece.push('\t'),
                    Some('r') => piece.push('\r'),
                    Some(c @ ('\'' | '"' | '\\')) => piece.push(c),
                    Some(c) => {
                        piece.push('\\');
                        piece.push(c);
                    }
                    None => piece.push('\\'),
                },
                c if c == quote => {
                    closed = true;
                    break;
                }
                c => piece.push(c),
            }
        }
        if !closed {
            // A format that only starts with a quote (`"$time_local" …`) is not pieces.
            return if any {
                Err(CompileError::Unclosed)
            } else {
                Ok(None)
            };
        }
        // What follows a piece must be whitespace or the end; else this is not pieces.
        if chars.peek().is_some_and(|c| !c.is_whitespace()) {
            return Ok(None);
        }
        out.push_str(&piece);
        any = true;
    }
}

/// The text and variables of a format.
pub(super) fn parse(text: &str) -> Result<Parts<Var>, CompileError> {
    let bytes = text.as_bytes();
    let mut parts = Parts::new();
    let mut i = 0;
    while i < bytes.len() {
        let name = match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'{')) => {
                let close = text[i + 2..]
                    .find('}')
                    .ok_or_else(|| CompileError::Brace(text[i + 2..].chars().take(20).collect()))?;
                let name = &text[i + 2..i + 2 + close];
                i += close + 3;
                name
            }
            (b'$', Some(c)) if is_name_byte(*c) => {
                let len = bytes[i + 1..]
                    .iter()
                    .take_while(|&&b| is_name_byte(b))
                    .count();
                let name = &text[i + 1..i + 1 + len];
                i += len + 1;
                name
            }
            (b, _) => {
                parts.text(&[b]);
                i += 1;
                continue;
            }
        };
        let var = Var::of(name);
        parts.push(Part::Field {
            field: var,
            name: format!("${name}"),
            kind: var.kind(),
            slash: matches!(var, Var::RequestUri | Var::Uri),
            quotes: matches!(var, Var::Request | Var::RemoteUser | Var::Other),
            read: !matches!(var, Var::UpstreamOther | Var::RemoteUser | Var::Other),
        });
    }
    Ok(parts)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
