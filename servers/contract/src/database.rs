//! The data access of the four database routes (spec/CONTRACT.md, "Database endpoints"), the
//! same for both Rust targets: one sqlx `PgPool` of `DB_POOL_SIZE` connections per server,
//! opened lazily, and the queries of `/db`, `/queries`, `/fortunes` and `/updates`. sqlx keeps
//! a prepared statement per connection for each query text, so each row costs one round trip.
//! Every row comes from a query made for the request that answers it; nothing is cached.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use crate::fortunes::Fortune;

/// Ids of `World` are 1..=WORLD_ROWS, and so are its random numbers.
pub const WORLD_ROWS: i32 = 10_000;
/// The body of every database route's 503 when `DATABASE_URL` is unset or empty.
pub const NOT_SET: &str = "DATABASE_URL is not set";

const SELECT_WORLD: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
const SELECT_FORTUNES: &str = "SELECT id, message FROM fortune";
/// One statement for the whole batch; its ids arrive sorted, so concurrent batches take their
/// row locks in one order and cannot deadlock.
const UPDATE_WORLDS: &str = "UPDATE world SET randomnumber = v.r \
    FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS v \
    WHERE world.id = v.id";

/// One row of `World`, as the routes answer it: `{"id":ID,"randomNumber":N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct World {
    /// `world.id`.
    pub id: i32,
    /// `world.randomnumber`.
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// Why a database route cannot answer with rows.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` is unset or empty: answer 503 with [`NOT_SET`].
    #[error("DATABASE_URL is not set")]
    NotSet,
    /// `DATABASE_URL` is not a PostgreSQL URL: every request answers 500, the server stays up.
    #[error("DATABASE_URL is not a PostgreSQL URL")]
    BadUrl,
    /// A connection or query failed: answer 500.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// The HTTP status this failure answers.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotSet => 503,
            Self::BadUrl | Self::Query(_) => 500,
        }
    }

    /// The body of that answer: [`NOT_SET`] for 503, empty otherwise (no details leak).
    pub fn body(&self) -> &'static str {
        match self {
            Self::NotSet => NOT_SET,
            Self::BadUrl | Self::Query(_) => "",
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    NotSet,
    BadUrl,
    Ready(PgPool),
}

/// The server's one pool, or why there is none. Cloning shares the pool (an `Arc`), so every
/// worker of a server draws on the same `DB_POOL_SIZE` connections.
#[derive(Debug, Clone)]
pub struct Database {
    pool: Pool,
}

impl Database {
    /// A pool of at most `pool_size` connections to `url`, none opened yet. Needs no runtime:
    /// with no idle timeout, lifetime or minimum, sqlx spawns no maintenance task, and each
    /// connection is opened by the first request that finds none free.
    pub fn new(url: Option<&str>, pool_size: usize) -> Self {
        let pool = match url.map(str::parse::<PgConnectOptions>) {
            None => Pool::NotSet,
            Some(Err(_)) => Pool::BadUrl,
            Some(Ok(options)) => Pool::Ready(
                PgPoolOptions::new()
                    .max_connections(u32::try_from(pool_size).unwrap_or(u32::MAX))
                    // sqlx would otherwise ping every connection it hands out, a round trip
                    // per request that pgxpool and pg.Pool do not make; a broken connection
                    // still fails its query (500) and is dropped.
                    .test_before_acquire(false)
                    // Connections live as long as the server, as a benchmark wants: none is
                    // closed and reopened in the middle of a measurement.
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_lazy_with(options),
            ),
        };
        Self { pool }
    }

    fn pool(&self) -> Result<&PgPool, DbError> {
        match &self.pool {
            Pool::NotSet => Err(DbError::NotSet),
            Pool::BadUrl => Err(DbError::BadUrl),
            Pool::Ready(pool) => Ok(pool),
        }
    }

    /// `/db`: one random row, one query.
    pub async fn world(&self) -> Result<World, DbError> {
        let mut connection = self.pool()?.acquire().await?;
        select_world(&mut connection, random_id()).await
    }

    /// `/queries`: `count` random rows (repeats allowed), one query each, in turn on one
    /// connection, so a request holds one connection of the pool, never `count` of them.
    pub async fn worlds(&self, count: usize) -> Result<Vec<World>, DbError> {
        let mut connection = self.pool()?.acquire().await?;
        let mut rows = Vec::with_capacity(count);
        for _ in 0..count {
            rows.push(select_world(&mut connection, random_id()).await?);
        }
        Ok(rows)
    }

    /// `/fortunes`: every row of `Fortune`, in the order PostgreSQL returns them.
    pub async fn fortunes(&self) -> Result<Vec<Fortune>, DbError> {
        let rows: Vec<(i32, String)> = sqlx::query_as(SELECT_FORTUNES)
            .fetch_all(self.pool()?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, message)| Fortune { id, message })
            .collect())
    }

    /// `/updates`: reads `count` random rows as [`Self::worlds`] does, gives each a new random
    /// number and writes them all with one `UPDATE` before answering them.
    pub async fn update_worlds(&self, count: usize) -> Result<Vec<World>, DbError> {
        let mut connection = self.pool()?.acquire().await?;
        let mut rows = Vec::with_capacity(count);
        for _ in 0..count {
            let row = select_world(&mut connection, random_id()).await?;
            rows.push(World {
                random_number: random_id(),
                ..row
            });
        }
        let (ids, numbers) = batch(&mut rows);
        sqlx::query(UPDATE_WORLDS)
            .bind(ids)
            .bind(numbers)
            .execute(&mut *connection)
            .await?;
        Ok(rows)
    }
}

async fn select_world(connection: &mut PgConnection, id: i32) -> Result<World, DbError> {
    let (id, random_number): (i32, i32) = sqlx::query_as(SELECT_WORLD)
        .bind(id)
        .fetch_one(connection)
        .await?;
    Ok(World { id, random_number })
}

/// A uniform draw from 1..=10,000: an id of `World`, or a new random number for one.
fn random_id() -> i32 {
    fastrand::i32(1..=WORLD_ROWS)
}

/// The ids and numbers of one batched `UPDATE`, sorted by id, each id once. A repeated id
/// keeps its last number, as one `UPDATE` per row in turn would leave it, and every row of the
/// answer is set to that number, so the answer shows what was written.
fn batch(rows: &mut [World]) -> (Vec<i32>, Vec<i32>) {
    let latest: BTreeMap<i32, i32> = rows.iter().map(|w| (w.id, w.random_number)).collect();
    for row in rows.iter_mut() {
        if let Some(&number) = latest.get(&row.id) {
            row.random_number = number;
        }
    }
    latest.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(id: i32, random_number: i32) -> World {
        World { id, random_number }
    }

    #[test]
    fn a_world_row_serialises_with_techempowers_field_names() {
        let json = serde_json::to_string(&world(42, 7)).expect("a row serialises");
        assert_eq!(json, r#"{"id":42,"randomNumber":7}"#);
    }

    #[test]
    fn a_batch_is_sorted_by_id_and_a_repeated_id_keeps_its_last_number() {
        let mut rows = vec![world(9, 1), world(3, 2), world(9, 3), world(5, 4)];
        let (ids, numbers) = batch(&mut rows);
        assert_eq!((ids, numbers), (vec![3, 5, 9], vec![2, 4, 3]));
        assert_eq!(
            rows,
            vec![world(9, 3), world(3, 2), world(9, 3), world(5, 4)],
            "the answer shows the numbers written"
        );
    }

    #[test]
    fn random_ids_stay_within_the_rows_of_world() {
        for _ in 0..10_000 {
            assert!((1..=WORLD_ROWS).contains(&random_id()));
        }
    }

    #[tokio::test]
    async fn without_a_url_every_route_answers_503_with_the_shared_text() {
        let database = Database::new(None, 16);
        let error = database.world().await.expect_err("there is no database");
        assert_eq!((error.status(), error.body()), (503, NOT_SET));
        assert!(matches!(database.worlds(3).await, Err(DbError::NotSet)));
        assert!(matches!(database.fortunes().await, Err(DbError::NotSet)));
        assert!(matches!(
            database.update_worlds(3).await,
            Err(DbError::NotSet)
        ));
    }

    #[tokio::test]
    async fn a_url_that_does_not_parse_answers_500_and_is_no_start_up_failure() {
        let database = Database::new(Some("postgres://u:p@127.0.0.1:port/hello_world"), 16);
        let error = database
            .fortunes()
            .await
            .expect_err("the port is not a number");
        assert!(matches!(error, DbError::BadUrl), "{error:?}");
        assert_eq!(error.status(), 500);
    }
}
