//! `--metrics ADDR` as `stampede serve` takes it: a bare port listens on loopback only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Why `--metrics` is not an address.
#[derive(Debug, thiserror::Error)]
#[error("bad metrics address {text:?}: give a port (9464) or HOST:PORT (127.0.0.1:9464)")]
pub struct MetricsAddrError {
    /// What was given.
    pub text: String,
}

/// `9464` (127.0.0.1:9464) or `HOST:PORT`.
pub fn parse_metrics_addr(text: &str) -> Result<SocketAddr, MetricsAddrError> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse().map_err(|_| MetricsAddrError {
        text: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_metrics_port_listens_on_loopback() {
        assert_eq!(
            parse_metrics_addr("9464").unwrap().to_string(),
            "127.0.0.1:9464"
        );
        assert_eq!(
            parse_metrics_addr("0.0.0.0:9").unwrap().to_string(),
            "0.0.0.0:9"
        );
        let err = parse_metrics_addr("localhost").unwrap_err();
        assert!(err.to_string().contains("give a port (9464)"), "{err}");
    }
}
