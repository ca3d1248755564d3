//! `--url http://HOST[:PORT][/PATH]` as `stampede load` and `stampede conformance` take it:
//! plain HTTP only (the driver and the probes speak raw HTTP/1.1, not TLS).

use std::net::{SocketAddr, ToSocketAddrs};

/// Why a `--url` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not `http://`.
    #[error("--url {url}: give a plain http:// URL (the requests are raw HTTP/1.1, not TLS)")]
    NotHttp {
        /// The URL given.
        url: String,
    },
    /// The host did not resolve.
    #[error("--url {url}: cannot resolve {authority}")]
    Resolve {
        /// The URL given.
        url: String,
        /// Its host and port.
        authority: String,
        /// Why.
        source: std::io::Error,
    },
    /// The host resolved to nothing.
    #[error("--url {url}: {authority} has no address")]
    NoAddress {
        /// The URL given.
        url: String,
        /// Its host and port.
        authority: String,
    },
}

/// Splits `http://host[:port][/path]` into the first address the host resolves to (port 80
/// when none is named) and the path (`/` when none is named).
pub fn parse_http_url(url: &str) -> Result<(SocketAddr, String), UrlError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| UrlError::NotHttp {
            url: url.to_owned(),
        })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = authority
        .to_socket_addrs()
        .map_err(|source| UrlError::Resolve {
            url: url.to_owned(),
            authority: authority.clone(),
            source,
        })?
        .next()
        .ok_or_else(|| UrlError::NoAddress {
            url: url.to_owned(),
            authority,
        })?;
    Ok((addr, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_path_with_port_80_and_slash_by_default() {
        let (addr, path) = parse_http_url("http://127.0.0.1:8080/plaintext?x=1").unwrap();
        assert_eq!(addr.to_string(), "127.0.0.1:8080");
        assert_eq!(path, "/plaintext?x=1");
        let (addr, path) = parse_http_url("http://127.0.0.1").unwrap();
        assert_eq!((addr.port(), path.as_str()), (80, "/"));
    }

    #[test]
    fn an_https_url_is_refused_with_the_reason() {
        let err = parse_http_url("https://127.0.0.1:8443").unwrap_err();
        assert!(
            err.to_string().contains("give a plain http:// URL"),
            "{err}"
        );
    }
}
