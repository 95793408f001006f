//! The published statistics as JSON, for `passage admin stats --json` and the
//! dashboard's `/api/stats`. A suppressed count is `null` with `"suppressed": true`
//! and `"shown": "<10"`; nothing else is hidden or added.

use passage_proto::v1;
use serde_json::{Value, json};

fn time(timestamp: Option<&prost_types::Timestamp>) -> Value {
    timestamp
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
}

fn cell(cell: Option<&v1::PublishedCell>, threshold: i64) -> Value {
    match cell {
        Some(cell) if !cell.suppressed => json!({
            "category": cell.category,
            "value": cell.value,
            "suppressed": false,
        }),
        Some(cell) => json!({
            "category": cell.category,
            "value": Value::Null,
            "suppressed": true,
            "shown": format!("<{threshold}"),
        }),
        None => Value::Null,
    }
}

fn row(row: &v1::RegionRow, threshold: i64) -> Value {
    json!({
        "region": row.region,
        "cells": row.cells.iter().map(|c| cell(Some(c), threshold)).collect::<Vec<_>>(),
        "row_total": cell(row.row_total.as_ref(), threshold),
    })
}

/// `stats` as a JSON value.
pub fn stats_json(stats: &v1::GlobalStats) -> Value {
    let threshold = stats.threshold;
    json!({
        "computed_time": time(stats.computed_time.as_ref()),
        "from_month": stats.months.as_ref().map(|m| m.from_month.clone()).unwrap_or_default(),
        "to_month": stats.months.as_ref().map(|m| m.to_month.clone()).unwrap_or_default(),
        "threshold": threshold,
        "rounding": stats.rounding,
        "regions": stats.regions.iter().map(|answer| json!({
            "region": answer.region,
            "answered": answer.answered,
            "stale": answer.stale,
            "reason": answer.reason,
            "figures_time": time(answer.figures_time.as_ref()),
        })).collect::<Vec<_>>(),
        "tables": stats.tables.iter().map(|table| json!({
            "table": table.table,
            "month": table.month,
            "categories": table
                .total
                .as_ref()
                .map(|total| total.cells.iter().map(|c| c.category.clone()).collect::<Vec<_>>())
                .unwrap_or_default(),
            "rows": table.rows.iter().map(|r| row(r, threshold)).collect::<Vec<_>>(),
            "total": table.total.as_ref().map_or(Value::Null, |t| row(t, threshold)),
        })).collect::<Vec<_>>(),
        "medians": stats.medians.iter().map(|median| json!({
            "region": median.region,
            "table": median.table,
            "month": median.month,
            "median": if median.suppressed { Value::Null } else { json!(median.median) },
            "suppressed": median.suppressed,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_suppressed_cell_is_null_and_shown_below_the_threshold() {
        let stats = v1::GlobalStats {
            threshold: 10,
            tables: vec![v1::PublishedTable {
                table: "members_by_role".into(),
                rows: vec![v1::RegionRow {
                    region: "miami".into(),
                    cells: vec![v1::PublishedCell {
                        category: "newcomer".into(),
                        suppressed: true,
                        ..Default::default()
                    }],
                    row_total: None,
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let value = stats_json(&stats);
        let shown = &value["tables"][0]["rows"][0]["cells"][0];
        assert_eq!(shown["value"], Value::Null);
        assert_eq!(shown["shown"], "<10");
        assert_eq!(shown["suppressed"], true);
    }
}
