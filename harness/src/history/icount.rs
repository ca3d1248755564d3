//! `stampede icount` results as history records, IDs `<workload>/<target>/icount`. Stored with
//! mode `icount`: instruction counts form series of their own, and a change point in them is a
//! change in the code's user-space work, not the machine's mood.

use serde_json::{Value, json};

use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};
use crate::icount::IcountRecord;

/// The history record of one target and workload's count, the whole count kept beside the
/// figure the history follows; refused when the target's name holds a '/'.
pub fn record(count: &IcountRecord) -> Result<Value, BenchmarkIdError> {
    let id = BenchmarkId::of_icount(&count.workload, &count.target)?;
    Ok(json!({
        "id": &id,
        "workload": count.workload,
        "target": count.target,
        "param": id.case(),
        "instructions_per_request": count.instructions_per_request,
        "toolchain": count.tool,
        "time": count.time,
        "icount": count,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark_id::ICOUNT_CASE;
    use crate::evidence::RunMode;
    use crate::history::Metric;
    use crate::icount::record::fixture;

    #[test]
    fn the_icount_mode_is_named_as_its_ids_case() {
        assert_eq!(RunMode::Icount.as_str(), ICOUNT_CASE);
    }

    #[test]
    fn a_count_becomes_a_record_whose_figure_is_its_median_per_request() {
        let out = record(&fixture("actix", "plaintext", &[16610.0, 16613.0, 16620.0])).unwrap();
        assert_eq!(out["id"], "plaintext/actix/icount");
        assert_eq!(Metric::Instructions.extract(&out), Some(16613.0));
        assert_eq!(Metric::RequestsPerSec.extract(&out), None);
        assert_eq!(
            out["icount"]["repetitions"].as_array().map(Vec::len),
            Some(3)
        );
    }
}
