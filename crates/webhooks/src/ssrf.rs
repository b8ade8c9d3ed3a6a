//! The guard against server-side request forgery: a webhook endpoint must be a public
//! address on the internet, so an admin (or a stolen admin session) cannot make the
//! server call its own loopback, the cloud metadata service or the bank's internal
//! network.
//!
//! A URL is checked when an endpoint is created or changed, and again before every
//! delivery after resolving its host; the HTTP client's resolver ([`GuardedResolver`])
//! checks the addresses it actually connects to, so a name that resolves to a public
//! address at the check and to a private one a moment later (DNS rebinding) is refused
//! too. `allow_private` (`SPENDLENS_WEBHOOKS_ALLOW_PRIVATE`) lifts the address rule and
//! allows plain `http`, for tests and closed networks.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use reqwest::Url;

/// Longest URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

/// How long resolving an endpoint's host may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an endpoint URL is refused. The message is for the admin who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("is not a valid URL ({0})")]
    Invalid(String),
    #[error("must be at most {MAX_URL_LENGTH} characters")]
    TooLong,
    #[error(
        "must start with https:// (plain http is allowed only with SPENDLENS_WEBHOOKS_ALLOW_PRIVATE=true)"
    )]
    NotHttps,
    #[error(
        "must not contain a user name or password; authenticate the messages by their signature"
    )]
    Credentials,
    #[error("must name a host")]
    NoHost,
    /// A literal address the admin typed, named with its kind.
    #[error(
        "{address} is {kind}: webhooks are only sent to public internet addresses \
         (set SPENDLENS_WEBHOOKS_ALLOW_PRIVATE=true to allow private networks)"
    )]
    ForbiddenAddress { address: IpAddr, kind: &'static str },
    /// A name with a non-public address. Neither the address nor its kind is said (nor
    /// kept here, so no log line can show it): that would tell whoever can set an
    /// endpoint's URL what the server's internal names resolve to.
    #[error(
        "{host} resolves to a non-public address: webhooks are only sent to public \
         internet addresses (set SPENDLENS_WEBHOOKS_ALLOW_PRIVATE=true to allow private \
         networks)"
    )]
    ForbiddenName { host: String },
    #[error("{host} could not be resolved: {error}")]
    Unresolvable { host: String, error: String },
}

/// What kind of non-public address `ip` is, or `None` for a public unicast address.
pub fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if ip.is_unspecified() || a == 0 => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_private() => "a private address",
        _ if ip.is_link_local() => "a link-local address",
        _ if a == 100 && (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        _ if ip.is_multicast() => "a multicast address",
        _ if ip.is_broadcast() => "the broadcast address",
        _ if ip.is_documentation() => "a documentation address",
        _ if a == 192 && b == 0 && c == 0 => "an IETF protocol assignment",
        _ if a == 198 && (18..20).contains(&b) => "a benchmarking address",
        _ if a >= 240 => "a reserved address",
        _ => return None,
    })
}

/// The IPv4 address in the last 32 bits of `segments`.
fn embedded_v4(segments: [u16; 8]) -> Ipv4Addr {
    let [a, b] = segments[6].to_be_bytes();
    let [c, d] = segments[7].to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // IPv4-mapped (::ffff:0:0/96): the connection goes to the IPv4 address, so it is
    // judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    // The well-known NAT64 prefix (64:ff9b::/96, RFC 6052) reaches the IPv4 address it
    // embeds through a translator: judged by that address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_kind(embedded_v4(segments));
    }
    // The deprecated IPv4-compatible form (::a.b.c.d): refused even when the IPv4
    // address is public (nothing legitimate uses it).
    if segments[..6] == [0; 6] && segments[6] != 0 {
        return v4_kind(embedded_v4(segments)).or(Some("an IPv4-compatible address"));
    }
    Some(match () {
        // Local-use NAT64 (RFC 8215): a network's own translator, whose prefix length
        // and IPv4 side this check cannot know.
        _ if segments[..3] == [0x64, 0xff9b, 0x0001] => "a local-use NAT64 address",
        // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765): a translator's address too.
        _ if segments[..6] == [0, 0, 0, 0, 0xffff, 0] => "an IPv4-translated address",
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_unique_local() => "a unique-local address",
        _ if ip.is_unicast_link_local() => "a link-local address",
        _ if segments[0] & 0xffc0 == 0xfec0 => "a site-local address",
        _ if ip.is_multicast() => "a multicast address",
        _ if segments[0] == 0x2001 && segments[1] == 0x0db8 => "a documentation address",
        _ if segments[0] & 0xfff0 == 0x3ff0 => "a documentation address",
        _ if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] => "a discard-only address",
        // 6to4 and Teredo tunnel to addresses this check cannot see.
        _ if segments[0] == 0x2002 => "a 6to4 address",
        _ if segments[0] == 0x2001 && segments[1] == 0 => "a Teredo address",
        // Only 2000::/3 is allocated as global unicast; the rest is reserved.
        _ if segments[0] & 0xe000 != 0x2000 => "a reserved address",
        _ => return None,
    })
}

/// Reads an endpoint URL as typed: a well-formed absolute `https` URL (or `http` with
/// `allow_private`) naming a host, without credentials. Does not resolve it.
pub fn parse_endpoint_url(text: &str, allow_private: bool) -> Result<Url, UrlRefused> {
    let text = text.trim();
    if text.len() > MAX_URL_LENGTH {
        return Err(UrlRefused::TooLong);
    }
    let url = Url::parse(text).map_err(|e| UrlRefused::Invalid(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(UrlRefused::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefused::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlRefused::NoHost);
    }
    Ok(url)
}

/// The host of `url` as a literal address, if it is one.
fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Refuses `addresses` of `host` if any is not public (unless `allow_private`): a name
/// with one public and one private address could be steered to the private one. The
/// refusal names the address only when `host` is that address itself.
pub fn check_addresses(
    host: &str,
    addresses: &[IpAddr],
    allow_private: bool,
) -> Result<(), UrlRefused> {
    if allow_private {
        return Ok(());
    }
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    for &address in addresses {
        if let Some(kind) = forbidden_kind(address) {
            return Err(if literal == Some(address) {
                UrlRefused::ForbiddenAddress { address, kind }
            } else {
                UrlRefused::ForbiddenName {
                    host: host.to_owned(),
                }
            });
        }
    }
    Ok(())
}

/// Resolves the URL's host and checks every address it has. Answers the addresses.
pub async fn check_endpoint_url(url: &Url, allow_private: bool) -> Result<Vec<IpAddr>, UrlRefused> {
    let host = url.host_str().ok_or(UrlRefused::NoHost)?;
    let addresses = match literal_address(url) {
        Some(address) => vec![address],
        None => resolve(host, url.port_or_known_default().unwrap_or(443)).await?,
    };
    check_addresses(host, &addresses, allow_private)?;
    Ok(addresses)
}

async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, UrlRefused> {
    let unresolvable = |error: String| UrlRefused::Unresolvable {
        host: host.to_owned(),
        error,
    };
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| unresolvable("timed out".to_owned()))?
        .map_err(|e| unresolvable(e.to_string()))?;
    let addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    if addresses.is_empty() {
        return Err(unresolvable("no addresses".to_owned()));
    }
    Ok(addresses)
}

/// The HTTP client's resolver: resolves with the system's resolver, then refuses the
/// name if any address is not public. The check and the connection use the same
/// answer, so DNS rebinding cannot slip a private address in between.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve(&host, 0).await?;
            check_addresses(&host, &addresses, allow_private)?;
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<&'static str> {
        forbidden_kind(text.parse().unwrap())
    }

    #[test]
    fn non_public_addresses_are_named() {
        for (address, expected) in [
            ("127.0.0.1", "a loopback address"),
            ("127.255.0.9", "a loopback address"),
            ("10.1.2.3", "a private address"),
            ("172.16.0.1", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.1.1", "a private address"),
            ("169.254.169.254", "a link-local address"),
            ("0.0.0.0", "an unspecified address"),
            ("0.1.2.3", "an unspecified address"),
            ("100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("224.0.0.1", "a multicast address"),
            ("255.255.255.255", "the broadcast address"),
            ("192.0.2.10", "a documentation address"),
            ("198.51.100.1", "a documentation address"),
            ("203.0.113.7", "a documentation address"),
            ("198.18.0.1", "a benchmarking address"),
            ("240.0.0.1", "a reserved address"),
            ("::1", "a loopback address"),
            ("::", "an unspecified address"),
            ("fc00::1", "a unique-local address"),
            ("fd12:3456::1", "a unique-local address"),
            ("fe80::1", "a link-local address"),
            ("ff02::1", "a multicast address"),
            ("2001:db8::1", "a documentation address"),
            ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:10.0.0.1", "a private address"),
            ("::ffff:169.254.169.254", "a link-local address"),
            ("64:ff9b::a00:1", "a private address"),
            ("2002:7f00:1::", "a 6to4 address"),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_are_judged_by_their_ipv4_address() {
        for (address, expected) in [
            ("::ffff:0.0.0.0", "an unspecified address"),
            ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:7f00:1", "a loopback address"),
            ("::ffff:192.168.0.1", "a private address"),
            ("::ffff:100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("::ffff:224.0.0.1", "a multicast address"),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
        assert_eq!(kind("::ffff:1.1.1.1"), None);
    }

    #[test]
    fn well_known_nat64_is_judged_by_its_ipv4_address_and_local_use_nat64_is_refused() {
        for (address, expected) in [
            ("64:ff9b::7f00:1", "a loopback address"),
            ("64:ff9b::169.254.169.254", "a link-local address"),
            ("64:ff9b::c0a8:1", "a private address"),
            (
                "64:ff9b::100.64.0.1",
                "a shared (carrier-grade NAT) address",
            ),
            ("64:ff9b:1::", "a local-use NAT64 address"),
            ("64:ff9b:1::808:808", "a local-use NAT64 address"),
            (
                "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
                "a local-use NAT64 address",
            ),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
        // Public IPv4 addresses through the well-known translator are public.
        assert_eq!(kind("64:ff9b::808:808"), None);
        assert_eq!(kind("64:ff9b::1.1.1.1"), None);
    }

    #[test]
    fn other_ipv4_embedding_and_unallocated_ipv6_addresses_are_refused() {
        for (address, expected) in [
            ("::ffff:0:7f00:1", "an IPv4-translated address"),
            ("::ffff:0:808:808", "an IPv4-translated address"),
            ("::808:808", "an IPv4-compatible address"),
            ("::a00:1", "a private address"),
            ("64:ff9b:2::1", "a reserved address"),
            ("4000::1", "a reserved address"),
            ("::2", "a reserved address"),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(kind(address), None, "{address}");
        }
    }

    #[test]
    fn urls_must_be_https_without_credentials_unless_private_is_allowed() {
        assert!(parse_endpoint_url("https://hooks.example.com/spendlens", false).is_ok());
        assert_eq!(
            parse_endpoint_url("http://hooks.example.com/", false),
            Err(UrlRefused::NotHttps)
        );
        assert!(parse_endpoint_url("http://127.0.0.1:9000/", true).is_ok());
        assert_eq!(
            parse_endpoint_url("ftp://hooks.example.com/", true),
            Err(UrlRefused::NotHttps)
        );
        assert_eq!(
            parse_endpoint_url("https://user:pw@hooks.example.com/", false),
            Err(UrlRefused::Credentials)
        );
        assert!(matches!(
            parse_endpoint_url("not a url", false),
            Err(UrlRefused::Invalid(_))
        ));
        assert_eq!(
            parse_endpoint_url(&format!("https://a.example/{}", "x".repeat(2001)), false),
            Err(UrlRefused::TooLong)
        );
    }

    #[tokio::test]
    async fn literal_and_resolved_private_addresses_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://10.0.0.8:8443/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
        ] {
            let parsed = parse_endpoint_url(url, false).unwrap();
            match check_endpoint_url(&parsed, false).await {
                Err(UrlRefused::ForbiddenAddress { .. } | UrlRefused::ForbiddenName { .. }) => {}
                other => panic!("{url}: {other:?}"),
            }
            assert!(check_endpoint_url(&parsed, true).await.is_ok(), "{url}");
        }
        let public = parse_endpoint_url("https://1.1.1.1/hook", false).unwrap();
        assert!(check_endpoint_url(&public, false).await.is_ok());
    }

    #[test]
    fn a_refused_name_does_not_say_what_it_resolves_to() {
        let addresses: [IpAddr; 3] = [
            "93.184.215.14".parse().unwrap(),
            "10.20.30.40".parse().unwrap(),
            "fd00::1234".parse().unwrap(),
        ];
        let refused = check_addresses("billing.internal.example", &addresses, false).unwrap_err();
        for text in [refused.to_string(), format!("{refused:?}")] {
            assert!(
                text.contains("billing.internal.example"),
                "the name is said: {text}"
            );
            for secret in [
                "10.20.30.40",
                "fd00::1234",
                "93.184",
                "a private address",
                "unique-local",
            ] {
                assert!(!text.contains(secret), "{secret} in: {text}");
            }
        }
        assert!(
            refused
                .to_string()
                .starts_with("billing.internal.example resolves to a non-public address:"),
            "{refused}"
        );
        // An address typed as such is named, with its kind: it reveals nothing.
        let typed: IpAddr = "10.20.30.40".parse().unwrap();
        let refused = check_addresses("10.20.30.40", &[typed], false).unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("10.20.30.40 is a private address:"),
            "{refused}"
        );
        let typed: IpAddr = "::1".parse().unwrap();
        let refused = check_addresses("[::1]", &[typed], false).unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("::1 is a loopback address:"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn a_refused_resolved_name_does_not_say_what_it_resolves_to() {
        let url = parse_endpoint_url("https://localhost:8443/hooks", false).unwrap();
        let refused = check_endpoint_url(&url, false).await.unwrap_err();
        let text = refused.to_string();
        assert!(
            text.starts_with("localhost resolves to a non-public address:"),
            "{text}"
        );
        for secret in ["127.0.0.1", "::1", "loopback"] {
            assert!(!text.contains(secret), "{secret} in: {text}");
        }
    }
}
