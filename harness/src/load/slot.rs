//! A connection's place in a client thread: where it goes (the server, from its share of the
//! source addresses), its socket while open, and where it is in the request mix.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::ErrorKind;
use super::conn::Connection;

/// Pause after a failed reconnect, so a dead server does not make a hot loop.
pub(crate) const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Where a client thread's connections go, and the source addresses they are spread over.
#[derive(Clone, Debug)]
pub(crate) struct Destination {
    pub(crate) addr: SocketAddr,
    pub(crate) sources: Arc<Vec<IpAddr>>,
}

impl Destination {
    /// Opens connection number `index`, from its share of the source addresses.
    pub(crate) async fn open(&self, index: usize) -> Result<Connection, ErrorKind> {
        let source = (!self.sources.is_empty()).then(|| self.sources[index % self.sources.len()]);
        Connection::open_from(self.addr, source).await
    }
}

/// A connection's place: its socket (reopened after errors), where it is in the mix, how many
/// answers it has had (for sampling checks), and how many successes in the current job (to
/// show whether the server serves its connections fairly).
pub(crate) struct Slot {
    pub(crate) index: usize,
    pub(crate) conn: Option<Connection>,
    pub(crate) next_request: usize,
    pub(crate) answers: u64,
    pub(crate) job_successes: u64,
}

impl Slot {
    /// Connection `index`'s place in a mix of `mix_len` requests, with `conn` if it opened.
    pub(crate) fn new(index: usize, conn: Option<Connection>, mix_len: usize) -> Self {
        Self {
            index,
            conn,
            next_request: spread(index, mix_len),
            answers: 0,
            job_successes: 0,
        }
    }
}

/// Where connection `index` starts in a mix of `len` requests: spread over the whole mix, so
/// that with a pool of bodies the connections do not send the same ones at the same time.
fn spread(index: usize, len: usize) -> usize {
    // A large odd stride visits every position of any mix length that is a power of two, and
    // scatters the others well enough.
    index.wrapping_mul(2_654_435_761) % len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_start_at_every_place_of_a_power_of_two_mix() {
        for len in [1, 2, 8, 64] {
            let mut starts: Vec<usize> = (0..len).map(|index| spread(index, len)).collect();
            starts.sort_unstable();
            assert_eq!(starts, (0..len).collect::<Vec<_>>(), "mix of {len}");
        }
    }

    #[test]
    fn neighbouring_connections_do_not_start_on_neighbouring_requests() {
        let starts: Vec<usize> = (0..4).map(|index| spread(index, 1024)).collect();
        assert!(
            starts.windows(2).all(|w| w[0].abs_diff(w[1]) > 1),
            "{starts:?}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_spreads_over_the_source_addresses_by_its_index() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sources = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
        let target = Destination {
            addr: listener.local_addr().unwrap(),
            sources: Arc::new(sources),
        };
        let mut seen = Vec::new();
        for index in 0..3 {
            let _conn = target.open(index).await.unwrap();
            let (_, peer) = listener.accept().await.unwrap();
            seen.push(peer.ip().to_string());
        }
        assert_eq!(seen, ["127.0.0.2", "127.0.0.3", "127.0.0.2"]);
    }
}
