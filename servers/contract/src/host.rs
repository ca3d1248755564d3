//! The Host rule of RFC 9112 section 3.2 and the answer to `OPTIONS *`, the same in every
//! target (go-targets/internal/contract/host.go, node-targets/host.js).

/// The methods some route answers: the `Allow` header of the answer to `OPTIONS *`
/// (RFC 9110 section 9.3.7).
pub const ALLOW: &str = "GET, HEAD, POST";

/// True when `value`, one Host field value, is `uri-host [ ":" port ]` (RFC 9110 section
/// 7.2): an IP-literal in brackets or a reg-name (unreserved, sub-delims and pct-encoded
/// characters of RFC 3986 section 3.2.2; an IPv4 address is one), then an optional port of
/// digits. An empty value is valid.
pub fn valid_host(value: &[u8]) -> bool {
    if let Some(literal) = value.strip_prefix(b"[") {
        let Some(end) = literal.iter().position(|&b| b == b']') else {
            return false;
        };
        let (inside, rest) = (&literal[..end], &literal[end + 1..]);
        let port_ok = match rest.split_first() {
            None => true,
            Some((b':', port)) => port.iter().all(u8::is_ascii_digit),
            Some(_) => false,
        };
        return !inside.is_empty()
            && inside.iter().all(|&b| in_reg_name(b) || b == b':')
            && port_ok;
    }
    let (host, port) = match value.iter().position(|&b| b == b':') {
        Some(colon) => (&value[..colon], &value[colon + 1..]),
        None => (value, &b""[..]),
    };
    port.iter().all(u8::is_ascii_digit) && reg_name(host)
}

/// unreserved / sub-delims of RFC 3986.
fn in_reg_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

/// `*( unreserved / pct-encoded / sub-delims )`.
fn reg_name(mut host: &[u8]) -> bool {
    while let Some((&b, rest)) = host.split_first() {
        host = match (b, rest) {
            (b'%', [h1, h2, rest @ ..]) if h1.is_ascii_hexdigit() && h2.is_ascii_hexdigit() => rest,
            _ if in_reg_name(b) => rest,
            _ => return false,
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_addresses_literals_and_ports_are_valid_host_values() {
        for value in [
            "x",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:8080",
            "[v1.fe]",
            "a%20b",
            "",
            "x:",
        ] {
            assert!(valid_host(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn userinfo_paths_spaces_bad_ports_and_open_brackets_are_not() {
        for value in [
            "user@host",
            "host/path",
            "a, b",
            "x:http",
            "x:1:2",
            "[::1",
            "[::1]x",
            "a%2",
            "a b",
            "ho?st",
            "[]",
        ] {
            assert!(!valid_host(value.as_bytes()), "{value}");
        }
    }
}
