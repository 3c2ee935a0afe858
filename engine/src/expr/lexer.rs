//! The tokenizer shared by all five expression kinds. Its token set mirrors DynamoDB's grammar:
//! keywords are case-insensitive and are never identifiers, list indexes have no leading
//! zeros, whitespace is skipped (but kept between tokens for the `near` of syntax errors),
//! and any other character becomes a one-character `Unknown` token that the parser rejects.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Comma,
    LParen,
    RParen,
    Dot,
    LBracket,
    RBracket,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    In,
    Between,
    Not,
    And,
    Or,
    Set,
    Add,
    Delete,
    Remove,
    /// `0` or `[1-9][0-9]*`.
    Index,
    /// `[A-Za-z][A-Za-z0-9_]*` that is not a keyword.
    Id,
    /// `#[A-Za-z0-9_]+`
    NameSub,
    /// `:[A-Za-z0-9_]+`
    ValueSub,
    Unknown,
    Eof,
}

/// A token: its kind and its byte span in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn keyword(word: &str) -> Option<Tok> {
    const KEYWORDS: [(&str, Tok); 9] = [
        ("IN", Tok::In),
        ("BETWEEN", Tok::Between),
        ("NOT", Tok::Not),
        ("AND", Tok::And),
        ("OR", Tok::Or),
        ("SET", Tok::Set),
        ("ADD", Tok::Add),
        ("DELETE", Tok::Delete),
        ("REMOVE", Tok::Remove),
    ];
    KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, t)| *t)
}

/// Tokenizes `src`. The result always ends with one `Eof` token at `src.len()`.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let len = b.len();
    let mut out = Vec::with_capacity(len / 2 + 1);
    let mut i = 0;
    while i < len {
        let c = b[i];
        let start = i;
        let one = |k: Tok| (k, 1usize);
        let (kind, width) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b',' => one(Tok::Comma),
            b'(' => one(Tok::LParen),
            b')' => one(Tok::RParen),
            b'.' => one(Tok::Dot),
            b'[' => one(Tok::LBracket),
            b']' => one(Tok::RBracket),
            b'=' => one(Tok::Eq),
            b'+' => one(Tok::Plus),
            b'-' => one(Tok::Minus),
            b'<' => match b.get(i + 1) {
                Some(b'>') => (Tok::Ne, 2),
                Some(b'=') => (Tok::Le, 2),
                _ => one(Tok::Lt),
            },
            b'>' => match b.get(i + 1) {
                Some(b'=') => (Tok::Ge, 2),
                _ => one(Tok::Gt),
            },
            b'0' => one(Tok::Index),
            b'1'..=b'9' => {
                let n = b[i..].iter().take_while(|d| d.is_ascii_digit()).count();
                (Tok::Index, n)
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let n = b[i..].iter().take_while(|&&d| is_id_char(d)).count();
                let word = src.get(i..i + n).unwrap_or("");
                (keyword(word).unwrap_or(Tok::Id), n)
            }
            b'#' | b':' => {
                let n = b[i + 1..].iter().take_while(|&&d| is_id_char(d)).count();
                if n == 0 {
                    one(Tok::Unknown)
                } else if c == b'#' {
                    (Tok::NameSub, n + 1)
                } else {
                    (Tok::ValueSub, n + 1)
                }
            }
            _ => {
                // One whole character (it may be multi-byte UTF-8).
                let w = src
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (Tok::Unknown, w)
            }
        };
        i += width;
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Tok::Eof,
        start: len,
        end: len,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.kind).collect()
    }

    fn texts(s: &str) -> Vec<&str> {
        lex(s).into_iter().map(|t| &s[t.start..t.end]).collect()
    }

    #[test]
    fn punctuation_and_comparators() {
        use Tok::*;
        assert_eq!(
            kinds("a<>b <= >= < > = + - , . [ ] ( )"),
            vec![
                Id, Ne, Id, Le, Ge, Lt, Gt, Eq, Plus, Minus, Comma, Dot, LBracket, RBracket,
                LParen, RParen, Eof
            ]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_whole_words() {
        use Tok::*;
        assert_eq!(
            kinds("and AnD andy in_x BETWEEN between1 not Or"),
            vec![And, And, Id, Id, Between, Id, Not, Or, Eof]
        );
        assert_eq!(
            kinds("set ADD delete Remove"),
            vec![Set, Add, Delete, Remove, Eof]
        );
    }

    #[test]
    fn indexes_names_values_unknown() {
        use Tok::*;
        assert_eq!(
            kinds("0 01 123abc"),
            vec![Index, Index, Index, Index, Id, Eof]
        );
        assert_eq!(texts("01 123abc"), vec!["0", "1", "123", "abc", ""]);
        assert_eq!(
            kinds("#a_1 :v9 # : _x é"),
            vec![NameSub, ValueSub, Unknown, Unknown, Unknown, Id, Unknown, Eof]
        );
        assert_eq!(texts("_x é!"), vec!["_", "x", "é", "!", ""]);
        assert_eq!(kinds("a#b:c"), vec![Id, NameSub, ValueSub, Eof]);
    }

    #[test]
    fn whitespace_is_skipped_and_eof_is_at_the_end() {
        let t = lex(" \t\r\n a \n");
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].start, t[0].end), (5, 6));
        assert_eq!((t[1].kind, t[1].start), (Tok::Eof, 8));
        // Other Unicode whitespace is not whitespace to DynamoDB.
        assert_eq!(kinds("\u{a0}"), vec![Tok::Unknown, Tok::Eof]);
    }
}
