//! The part of Structured Field Values (RFC 8941) that message signatures use: dictionaries
//! whose members are items or inner lists, with parameters; bare items that are integers,
//! strings, tokens, byte sequences or booleans. Strict: anything else (decimals, duplicate
//! keys, a trailing comma, stray characters) is refused with a message saying where.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A bare item (decimals are not supported: no field of a signature uses them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bare {
    Integer(i64),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

pub type Parameters = Vec<(String, Bare)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub bare: Bare,
    pub params: Parameters,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Item(Item),
    InnerList(Vec<Item>, Parameters),
}

/// Parses a dictionary field value (members in order; a key twice is refused).
pub fn parse_dictionary(input: &str) -> Result<Vec<(String, Member)>, String> {
    let mut parser = Parser {
        input: input.as_bytes(),
        at: 0,
    };
    let mut members: Vec<(String, Member)> = Vec::new();
    parser.skip(b' ');
    while !parser.done() {
        let key = parser.key()?;
        if members.iter().any(|(k, _)| *k == key) {
            return Err(format!("the key {key:?} appears twice"));
        }
        let member = if parser.eat(b'=') {
            parser.member()?
        } else {
            let params = parser.parameters()?;
            Member::Item(Item {
                bare: Bare::Boolean(true),
                params,
            })
        };
        members.push((key, member));
        parser.skip_ows();
        if parser.done() {
            break;
        }
        if !parser.eat(b',') {
            return Err(parser.unexpected("`,`"));
        }
        parser.skip_ows();
        if parser.done() {
            return Err("a trailing comma".into());
        }
    }
    Ok(members)
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.at >= self.input.len()
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn skip(&mut self, byte: u8) {
        while self.eat(byte) {}
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.peek() {
            Some(c) => format!(
                "expected {expected} at character {} but found {:?}",
                self.at + 1,
                c as char
            ),
            None => format!("expected {expected} but the value ends"),
        }
    }

    fn key(&mut self) -> Result<String, String> {
        let start = self.at;
        if !matches!(self.peek(), Some(b'a'..=b'z' | b'*')) {
            return Err(self.unexpected("a key (lower case)"));
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.at += 1;
        }
        Ok(String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    fn member(&mut self) -> Result<Member, String> {
        if self.peek() == Some(b'(') {
            self.inner_list()
        } else {
            self.item().map(Member::Item)
        }
    }

    fn inner_list(&mut self) -> Result<Member, String> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip(b' ');
            if self.eat(b')') {
                let params = self.parameters()?;
                return Ok(Member::InnerList(items, params));
            }
            items.push(self.item()?);
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(self.unexpected("` ` or `)`"));
            }
        }
    }

    fn item(&mut self) -> Result<Item, String> {
        let bare = self.bare()?;
        let params = self.parameters()?;
        Ok(Item { bare, params })
    }

    fn parameters(&mut self) -> Result<Parameters, String> {
        let mut params: Parameters = Vec::new();
        while self.eat(b';') {
            self.skip(b' ');
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare()?
            } else {
                Bare::Boolean(true)
            };
            if params.iter().any(|(k, _)| *k == key) {
                return Err(format!("the parameter {key:?} appears twice"));
            }
            params.push((key, value));
        }
        Ok(params)
    }

    fn bare(&mut self) -> Result<Bare, String> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.integer(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => self.boolean(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => Ok(self.token()),
            _ => Err(self.unexpected("an item")),
        }
    }

    fn integer(&mut self) -> Result<Bare, String> {
        let negative = self.eat(b'-');
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let digits = &self.input[start..self.at];
        if digits.is_empty() || digits.len() > 15 {
            return Err(self.unexpected("an integer of 1 to 15 digits"));
        }
        if self.peek() == Some(b'.') {
            return Err("decimal numbers are not supported".into());
        }
        let value: i64 = String::from_utf8_lossy(digits)
            .parse()
            .map_err(|_| self.unexpected("an integer"))?;
        Ok(Bare::Integer(if negative { -value } else { value }))
    }

    fn string(&mut self) -> Result<Bare, String> {
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err("a string is not closed".into()),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Bare::String(text));
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => text.push(c as char),
                        _ => return Err(self.unexpected("`\\\"` or `\\\\`")),
                    }
                }
                Some(c @ 0x20..=0x7e) => text.push(c as char),
                Some(_) => return Err(self.unexpected("a printable ASCII character")),
            }
            self.at += 1;
        }
    }

    fn token(&mut self) -> Bare {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c))
        {
            self.at += 1;
        }
        Bare::Token(String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    fn bytes(&mut self) -> Result<Bare, String> {
        self.at += 1;
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))
        {
            self.at += 1;
        }
        let encoded = &self.input[start..self.at];
        if !self.eat(b':') {
            return Err(self.unexpected("`:` closing a byte sequence"));
        }
        STANDARD
            .decode(encoded)
            .map(Bare::Bytes)
            .map_err(|_| "a byte sequence is not valid base64".into())
    }

    fn boolean(&mut self) -> Result<Bare, String> {
        self.at += 1;
        if self.eat(b'1') {
            Ok(Bare::Boolean(true))
        } else if self.eat(b'0') {
            Ok(Bare::Boolean(false))
        } else {
            Err(self.unexpected("`?0` or `?1`"))
        }
    }
}

/// The serialization of an inner list with its parameters (RFC 8941 §4.1.1.1).
pub fn serialize_inner_list(items: &[Item], params: &Parameters) -> String {
    let items: Vec<String> = items.iter().map(serialize_item).collect();
    format!("({}){}", items.join(" "), serialize_parameters(params))
}

pub fn serialize_item(item: &Item) -> String {
    serialize_bare(&item.bare) + &serialize_parameters(&item.params)
}

fn serialize_parameters(params: &Parameters) -> String {
    params
        .iter()
        .map(|(key, value)| match value {
            Bare::Boolean(true) => format!(";{key}"),
            other => format!(";{key}={}", serialize_bare(other)),
        })
        .collect()
}

fn serialize_bare(bare: &Bare) -> String {
    match bare {
        Bare::Integer(n) => n.to_string(),
        Bare::String(text) => format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")),
        Bare::Token(token) => token.clone(),
        Bare::Bytes(bytes) => format!(":{}:", STANDARD.encode(bytes)),
        Bare::Boolean(true) => "?1".into(),
        Bare::Boolean(false) => "?0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> Item {
        Item {
            bare: Bare::String(text.into()),
            params: vec![],
        }
    }

    #[test]
    fn parses_a_signature_input() {
        let value =
            r#"sig1=("@method" "content-digest");created=1618884473;keyid="k";alg="ed25519", b=?0"#;
        let members = parse_dictionary(value).expect("valid");
        assert_eq!(members.len(), 2);
        let Member::InnerList(items, params) = &members[0].1 else {
            panic!("inner list expected");
        };
        assert_eq!(items, &[string("@method"), string("content-digest")]);
        assert_eq!(params[0], ("created".into(), Bare::Integer(1618884473)));
        assert_eq!(params[1], ("keyid".into(), Bare::String("k".into())));
        assert_eq!(
            serialize_inner_list(items, params),
            r#"("@method" "content-digest");created=1618884473;keyid="k";alg="ed25519""#
        );
        assert_eq!(
            members[1].1,
            Member::Item(Item {
                bare: Bare::Boolean(false),
                params: vec![]
            })
        );
    }

    #[test]
    fn parses_byte_sequences_tokens_and_escapes() {
        let members = parse_dictionary(r#"a=:aGk=:, b=tok/en:x;p, c="q\"\\""#).expect("valid");
        assert_eq!(
            members[0].1,
            Member::Item(Item {
                bare: Bare::Bytes(b"hi".to_vec()),
                params: vec![]
            })
        );
        let Member::Item(item) = &members[1].1 else {
            panic!()
        };
        assert_eq!(item.bare, Bare::Token("tok/en:x".into()));
        assert_eq!(item.params, vec![("p".into(), Bare::Boolean(true))]);
        assert_eq!(serialize_item(&string("q\"\\")), r#""q\"\\""#.to_string());
    }

    #[test]
    fn refuses_what_rfc_8941_refuses() {
        for bad in [
            "a=1,",
            "a=1, a=2",
            "A=1",
            "a=(\"x\"",
            "a=(\"x\"\"y\")",
            "a=\"unterminated",
            "a=:not base64!:",
            "a=1.5",
            "a=1;p=1;p=2",
            "a=1 b=2",
            "a=\"\u{e9}\"",
            "a=?2",
            "a=1234567890123456",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
