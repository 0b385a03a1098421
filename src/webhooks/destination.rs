//! Where a webhook may send. Griffin requires HTTPS on port 443 to a public address; live-mode
//! organizations keep that rule, and every address the host resolves to must be public, so a
//! webhook is no way into the server's own network (the sender checks the addresses again
//! when it connects, against DNS rebinding). Test-mode organizations may also use `http://`,
//! any port and loopback or private addresses: a sandbox user receives on their own machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{DomainError, DomainResult};
use crate::organizations::OrganizationMode;

/// Longest destination URL taken.
pub const MAX_LEN: usize = 2048;

const POINTER: &str = "/webhook-destination-url";

/// A destination URL that passed the rules of its organization's mode (all but the DNS
/// check, which needs the network: see [`check_addresses`]).
#[derive(Debug, Clone)]
pub struct Destination {
    url: url::Url,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.url.as_str().fmt(f)
    }
}

impl Destination {
    /// Checks `text` against the rules of `mode`: 422 `webhook-destination-invalid`, at the
    /// body's `webhook-destination-url`, with what is wrong.
    pub fn parse(text: &str, mode: OrganizationMode) -> DomainResult<Self> {
        if text.len() > MAX_LEN {
            return Err(refused(format!("is longer than {MAX_LEN} characters")));
        }
        let url = url::Url::parse(text).map_err(|e| refused(format!("is not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused("must not carry credentials".to_string()));
        }
        if url.fragment().is_some() {
            return Err(refused("must not have a fragment".to_string()));
        }
        let Some(host) = url.host() else {
            return Err(refused("has no host".to_string()));
        };
        match mode {
            OrganizationMode::TestMode => {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(refused("must be http:// or https://".to_string()));
                }
            }
            OrganizationMode::LiveMode => {
                if url.scheme() != "https" {
                    return Err(refused("must be https:// in live mode".to_string()));
                }
                if url.port_or_known_default() != Some(443) {
                    return Err(refused("must use port 443 in live mode".to_string()));
                }
                let literal = match host {
                    url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                    url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                    url::Host::Domain(_) => None,
                };
                if let Some(ip) = literal {
                    check_addresses(&[ip])?;
                }
            }
        }
        Ok(Destination { url })
    }

    /// [`Destination::parse`], then for a live-mode name the check of the addresses it
    /// resolved to (see [`resolve`]).
    pub fn parse_resolved(
        text: &str,
        mode: OrganizationMode,
        resolved: &[IpAddr],
    ) -> DomainResult<Self> {
        let destination = Self::parse(text, mode)?;
        if mode == OrganizationMode::LiveMode && destination.url.domain().is_some() {
            check_addresses(resolved)?;
        }
        Ok(destination)
    }
}

/// The addresses the host of an `https://` URL with a name resolves to; empty for any other
/// URL, or a name that does not resolve within five seconds. Looked up before a write's
/// transaction, which should not wait on DNS.
pub async fn resolve(text: &str) -> Vec<IpAddr> {
    let Ok(url) = url::Url::parse(text) else {
        return Vec::new();
    };
    let (Some(domain), "https") = (url.domain(), url.scheme()) else {
        return Vec::new();
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((domain.to_string(), port));
    match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
        Ok(Ok(found)) => found.map(|address| address.ip()).collect(),
        _ => Vec::new(),
    }
}

/// Refuses addresses a live-mode webhook may not reach (422 at the destination URL).
pub fn check_addresses(addresses: &[IpAddr]) -> DomainResult<()> {
    if addresses.is_empty() {
        return Err(refused("names a host that does not resolve".to_string()));
    }
    match addresses.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(refused(format!(
            "resolves to {ip}, which is not a public address"
        ))),
        None => Ok(()),
    }
}

fn refused(why: String) -> DomainError {
    DomainError::unprocessable(
        "webhook-destination-invalid",
        format!("The webhook destination URL {why}."),
    )
    .at(POINTER)
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), documentation, benchmarking, multicast, broadcast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || first == 0x0064 && ip.segments()[1] == 0xff9b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(text: &str) -> Result<Destination, String> {
        Destination::parse(text, OrganizationMode::LiveMode).map_err(|e| e.to_string())
    }

    fn test(text: &str) -> Result<Destination, String> {
        Destination::parse(text, OrganizationMode::TestMode).map_err(|e| e.to_string())
    }

    #[test]
    fn live_mode_takes_public_https_on_443_only() {
        assert!(live("https://hooks.example.com/griffin").is_ok());
        assert!(live("https://hooks.example.com:443/x").is_ok());
        assert!(live("https://93.184.216.34/x").is_ok());
        for refused in [
            "http://hooks.example.com/x",
            "https://hooks.example.com:8443/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://100.64.0.1/x",
            "https://user:secret@hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "not a url",
        ] {
            assert!(live(refused).is_err(), "{refused} was taken");
        }
    }

    #[test]
    fn test_mode_takes_http_and_loopback() {
        assert!(test("http://127.0.0.1:9000/hooks").is_ok());
        assert!(test("http://localhost:3000/").is_ok());
        assert!(test("https://10.0.0.2/x").is_ok());
        assert!(test("ftp://127.0.0.1/x").is_err());
        assert!(test("/relative").is_err());
    }

    #[test]
    fn urls_longer_than_the_limit_are_refused() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_LEN));
        assert!(test(&long).is_err());
    }

    #[test]
    fn resolved_addresses_must_all_be_public() {
        let public: IpAddr = "93.184.216.34".parse().expect("an address");
        let private: IpAddr = "192.168.1.1".parse().expect("an address");
        assert!(check_addresses(&[public]).is_ok());
        assert!(check_addresses(&[public, private]).is_err());
        assert!(check_addresses(&[]).is_err());
    }
}
