//! The published keys as a JWKS (RFC 7517), with Griffin's `links` beside `keys`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::PublicKeyRow;

/// Bytes of one P-521 coordinate.
const COORDINATE_LEN: usize = 66;

#[derive(Debug, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
    pub links: NoPages,
}

/// Griffin's `links` of a list that fits one page: both null.
#[derive(Debug, Default, Serialize)]
pub struct NoPages {
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub y: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl Jwks {
    pub fn new(rows: &[PublicKeyRow]) -> Self {
        Jwks {
            keys: rows.iter().filter_map(Jwk::new).collect(),
            links: NoPages::default(),
        }
    }
}

impl Jwk {
    /// `None` for a point that is not an uncompressed P-521 point (none is ever stored).
    fn new(row: &PublicKeyRow) -> Option<Self> {
        let point = row.public_point.strip_prefix(&[0x04])?;
        if point.len() != 2 * COORDINATE_LEN {
            return None;
        }
        let (x, y) = point.split_at(COORDINATE_LEN);
        Some(Jwk {
            kty: "EC",
            crv: "P-521",
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            kid: row.kid.clone(),
            alg: "ES512",
            use_: "sig",
        })
    }
}
