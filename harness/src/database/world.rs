//! The `World` table as the harness read it, and the check of a `/db`, `/queries` or
//! `/updates` answer against it: a target that answers rows it did not read (a cache, made-up
//! numbers) is caught by its answers, as its counts catch it in `pg_stat_statements`.

use postgres::Client;
use serde::Deserialize;

use super::DatabaseError;

/// Rows of `World` (TechEmpower's: ids 1..=10,000).
pub const WORLD_ROWS: u32 = 10_000;
/// The most rows `/queries` and `/updates` answer (the contract clamps N to 1..=500).
pub const MAX_ROWS_PER_REQUEST: u32 = 500;
/// The range of `randomNumber`.
pub const RANDOM_NUMBER_MAX: i32 = 10_000;

/// `World` read at one moment: `random_number[id]`, index 0 unused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldTable {
    random_number: Vec<i32>,
}

/// One row of an answer, as the contract spells it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: i64,
    #[serde(rename = "randomNumber")]
    random_number: i64,
}

/// How many rows an answer holds: a bare object (`/db`) or an array of N (`/queries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowCount {
    /// One row as an object.
    Object,
    /// An array of this many.
    Array(u32),
}

impl WorldTable {
    /// Reads every row of `World`.
    pub fn read(client: &mut Client) -> Result<Self, DatabaseError> {
        let rows = client
            .query("SELECT id, randomnumber FROM world", &[])
            .map_err(|source| DatabaseError::query("reading the World table", source))?;
        let mut random_number = vec![0; WORLD_ROWS as usize + 1];
        for row in rows {
            let id: i32 = row.get(0);
            if let Some(slot) = usize::try_from(id)
                .ok()
                .and_then(|i| random_number.get_mut(i))
            {
                *slot = row.get(1);
            }
        }
        Ok(Self { random_number })
    }

    /// A table from `(id, randomNumber)` pairs, for tests.
    pub fn from_rows(rows: impl IntoIterator<Item = (u32, i32)>) -> Self {
        let mut random_number = vec![0; WORLD_ROWS as usize + 1];
        for (id, number) in rows {
            if let Some(slot) = random_number.get_mut(id as usize) {
                *slot = number;
            }
        }
        Self { random_number }
    }

    /// The randomNumber of `id`, when `id` is a row.
    pub fn get(&self, id: i64) -> Option<i32> {
        let index = usize::try_from(id).ok().filter(|&i| i >= 1)?;
        self.random_number.get(index).copied()
    }

    /// Checks an answer of `count` rows whose numbers must be the table's.
    pub fn check(&self, body: &[u8], count: RowCount) -> Result<(), String> {
        for row in rows_of(body, count)? {
            match self.get(row.id) {
                Some(number) if i64::from(number) == row.random_number => {}
                Some(number) => {
                    return Err(format!(
                        "row {} has randomNumber {} but World holds {number}",
                        row.id, row.random_number
                    ));
                }
                None => return Err(format!("no World row has id {}", row.id)),
            }
        }
        Ok(())
    }
}

/// Checks an `/updates` answer: `count` rows of ids and new numbers in range (their values are
/// the target's own draws, so only their shape can be checked under load; `verify` reads the
/// rows back).
pub fn check_shape(body: &[u8], count: RowCount) -> Result<(), String> {
    for row in rows_of(body, count)? {
        if !(1..=i64::from(WORLD_ROWS)).contains(&row.id) {
            return Err(format!("no World row has id {}", row.id));
        }
        if !(1..=i64::from(RANDOM_NUMBER_MAX)).contains(&row.random_number) {
            return Err(format!(
                "row {} has randomNumber {}, outside 1..={RANDOM_NUMBER_MAX}",
                row.id, row.random_number
            ));
        }
    }
    Ok(())
}

fn rows_of(body: &[u8], count: RowCount) -> Result<Vec<Row>, String> {
    let parsed = match count {
        RowCount::Object => serde_json::from_slice::<Row>(body).map(|row| vec![row]),
        RowCount::Array(_) => serde_json::from_slice::<Vec<Row>>(body),
    };
    let rows = parsed.map_err(|e| match count {
        RowCount::Object => format!("expected one {{\"id\":..,\"randomNumber\":..}} object: {e}"),
        RowCount::Array(n) => {
            format!("expected an array of {n} {{\"id\":..,\"randomNumber\":..}} objects: {e}")
        }
    })?;
    if let RowCount::Array(n) = count
        && rows.len() != n as usize
    {
        return Err(format!("expected {n} rows, got {}", rows.len()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> WorldTable {
        WorldTable::from_rows([(1, 42), (7, 9000)])
    }

    #[test]
    fn a_row_with_the_tables_number_passes_and_another_number_fails_naming_both() {
        let table = table();
        assert_eq!(
            table.check(br#"{"id":7,"randomNumber":9000}"#, RowCount::Object),
            Ok(())
        );
        let wrong = table
            .check(br#"{"id":7,"randomNumber":9001}"#, RowCount::Object)
            .unwrap_err();
        assert!(wrong.contains("9001") && wrong.contains("9000"), "{wrong}");
    }

    #[test]
    fn an_array_must_hold_exactly_the_asked_rows() {
        let table = table();
        let two = br#"[{"id":1,"randomNumber":42},{"id":7,"randomNumber":9000}]"#;
        assert_eq!(table.check(two, RowCount::Array(2)), Ok(()));
        assert!(table.check(two, RowCount::Array(3)).is_err());
        assert!(
            table.check(two, RowCount::Object).is_err(),
            "an array is not a /db answer"
        );
        assert!(
            table
                .check(br#"{"id":1,"randomNumber":42}"#, RowCount::Array(1))
                .is_err()
        );
    }

    #[test]
    fn ids_outside_the_table_and_misspelled_keys_fail() {
        let table = table();
        assert!(
            table
                .check(br#"{"id":0,"randomNumber":0}"#, RowCount::Object)
                .is_err()
        );
        assert!(
            table
                .check(br#"{"id":10001,"randomNumber":0}"#, RowCount::Object)
                .is_err()
        );
        assert!(
            table
                .check(br#"{"id":1,"randomnumber":42}"#, RowCount::Object)
                .is_err()
        );
    }

    #[test]
    fn an_updated_row_is_checked_for_its_range_only() {
        assert_eq!(
            check_shape(br#"[{"id":5,"randomNumber":10000}]"#, RowCount::Array(1)),
            Ok(())
        );
        assert!(check_shape(br#"[{"id":5,"randomNumber":10001}]"#, RowCount::Array(1)).is_err());
        assert!(check_shape(br#"[{"id":10001,"randomNumber":1}]"#, RowCount::Array(1)).is_err());
    }
}
