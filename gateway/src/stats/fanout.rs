//! Asking regions for their figures: every region at once, each over the gateway's
//! own channel to its node, each within the deadline. A region that fails or is
//! late is reported as such; it never fails the others.
//!
//! A range of months is asked for **one calendar month at a time**: each region
//! is asked once for every month of the range, each on its own (`by_month`), and
//! a table a node sums over the range it is asked for (the retention tables)
//! comes back as one table per month — from a node too old to answer so, by a
//! call per month ([`by_calendar_month`]). So no answer is a total over months
//! that another answer (a range one month shorter) could be subtracted from: each
//! month is suppressed on its own, and June's small counts stay hidden whichever
//! ranges are asked.

use std::time::Duration;

use passage_proto::months::{Month, MonthSpan};
use passage_proto::v1::{self, region_stats_service_client::RegionStatsServiceClient};
use tokio::task::JoinSet;

use crate::route::RegionRoute;

/// One region's answer.
#[derive(Debug, Clone)]
pub struct RegionReply {
    pub region: String,
    /// The exact figures, or why there are none.
    pub figures: Result<v1::RegionStats, String>,
}

/// Tables a node counts over the whole range it is asked for, with no month: the
/// gateway asks for them month by month and publishes one table per month.
pub const SUMMED_OVER_THE_RANGE: [&str; 3] = [
    "retention_3_months",
    "retention_6_months",
    "retention_12_months",
];

/// Asks every region in `regions` for its figures over `span`, one calendar month
/// at a time, concurrently, and gives each `deadline` to answer. Replies come back
/// in the order of `regions`.
pub async fn ask_regions(
    regions: Vec<RegionRoute>,
    span: MonthSpan,
    deadline: Duration,
) -> Vec<RegionReply> {
    let order: Vec<String> = regions.iter().map(|r| r.slug.clone()).collect();
    let mut asking = JoinSet::new();
    for region in regions {
        asking.spawn(async move {
            let figures = ask_region_by_month(&region, span, deadline).await;
            RegionReply {
                region: region.slug,
                figures,
            }
        });
    }
    let mut replies = Vec::with_capacity(order.len());
    while let Some(joined) = asking.join_next().await {
        match joined {
            Ok(reply) => replies.push(reply),
            Err(error) => tracing::error!(%error, "a statistics request task failed"),
        }
    }
    // A task that panicked still gets its row, marked as failed.
    for slug in &order {
        if !replies.iter().any(|reply| &reply.region == slug) {
            replies.push(RegionReply {
                region: slug.clone(),
                figures: Err("the request failed inside the gateway".into()),
            });
        }
    }
    replies.sort_by_key(|reply| order.iter().position(|slug| *slug == reply.region));
    replies
}

/// One region's figures over `span`, each month on its own: in one call that
/// asks for them so (`by_month`), or — from a node that answered with a table
/// summed over the range, one that does not know the question yet — a call per
/// month, all at once.
async fn ask_region_by_month(
    region: &RegionRoute,
    span: MonthSpan,
    deadline: Duration,
) -> Result<v1::RegionStats, String> {
    let figures = ask_region(region, span, true, deadline).await?;
    if answered_by_month(&figures) || span.from == span.to {
        return Ok(figures);
    }
    tracing::debug!(region = %region.slug, "the node summed over the range; asking month by month");
    let mut asking = JoinSet::new();
    for month in span.months() {
        let region = region.clone();
        asking.spawn(async move {
            let one = MonthSpan {
                from: month,
                to: month,
            };
            (month, ask_region(&region, one, false, deadline).await)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = asking.join_next().await {
        let (month, figures) = joined.map_err(|_| "the request failed inside the gateway")?;
        answers.push((
            month,
            figures.map_err(|reason| format!("{month}: {reason}"))?,
        ));
    }
    answers.sort_by_key(|(month, _)| *month);
    by_calendar_month(answers).ok_or_else(|| "no month was asked".to_owned())
}

/// Whether every table summed over a range ([`SUMMED_OVER_THE_RANGE`]) came
/// labelled with its month, as an answer asked `by_month` does.
fn answered_by_month(figures: &v1::RegionStats) -> bool {
    figures
        .counts
        .iter()
        .filter(|count| SUMMED_OVER_THE_RANGE.contains(&count.table.as_str()))
        .all(|count| !count.month.is_empty())
}

/// A region's answers for single months, as one answer for their range: each
/// month's monthly tables and medians from that month's answer, a table summed
/// over the range ([`SUMMED_OVER_THE_RANGE`]) as one table per month, and the
/// tables of how things stand now from the latest answer. `answers` are in month
/// order; `None` when there are none.
pub fn by_calendar_month(answers: Vec<(Month, v1::RegionStats)>) -> Option<v1::RegionStats> {
    let latest = answers.len().checked_sub(1)?;
    let mut merged: Option<v1::RegionStats> = None;
    for (index, (month, figures)) in answers.into_iter().enumerate() {
        let label = month.to_string();
        let kept = figures.counts.into_iter().filter_map(|mut count| {
            if SUMMED_OVER_THE_RANGE.contains(&count.table.as_str()) {
                count.month = label.clone();
                Some(count)
            } else if count.month.is_empty() {
                (index == latest).then_some(count)
            } else {
                (count.month == label).then_some(count)
            }
        });
        let kept: Vec<v1::StatCount> = kept.collect();
        let medians = figures.medians.into_iter().filter(|m| m.month == label);
        match &mut merged {
            None => {
                merged = Some(v1::RegionStats {
                    region: figures.region,
                    computed_time: figures.computed_time,
                    counts: kept,
                    medians: medians.collect(),
                });
            }
            Some(all) => {
                all.counts.extend(kept);
                all.medians.extend(medians);
                // The figures are as old as the oldest answer.
                if let (Some(now), Some(then)) = (&figures.computed_time, &all.computed_time)
                    && (now.seconds, now.nanos) < (then.seconds, then.nanos)
                {
                    all.computed_time = Some(*now);
                }
            }
        }
    }
    merged
}

async fn ask_region(
    region: &RegionRoute,
    span: MonthSpan,
    by_month: bool,
    deadline: Duration,
) -> Result<v1::RegionStats, String> {
    let mut client = RegionStatsServiceClient::new(region.channel());
    let mut request = tonic::Request::new(v1::GetRegionStatsRequest {
        months: Some(span.to_wire()),
        by_month,
    });
    request.set_timeout(deadline);
    region.seal_own_call(
        &mut request,
        "/passage.v1.RegionStatsService/GetRegionStats",
    );
    let answer = tokio::time::timeout(deadline, client.get_region_stats(request)).await;
    let figures = match answer {
        Err(_) => {
            return Err(format!(
                "no answer within the deadline of {} ms",
                deadline.as_millis()
            ));
        }
        Ok(Err(status)) => {
            tracing::warn!(region = %region.slug, %status, "region statistics unavailable");
            return Err(format!("{:?}: {}", status.code(), status.message()));
        }
        Ok(Ok(response)) => response.into_inner(),
    };
    if figures.region != region.slug {
        return Err(format!(
            "the node answered for region {:?}, not {}",
            figures.region, region.slug
        ));
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn count(table: &str, month: &str, category: &str, value: i64) -> v1::StatCount {
        v1::StatCount {
            table: table.into(),
            month: month.into(),
            category: category.into(),
            value,
        }
    }

    /// What Miami's node answers for one month: retention summed over the month
    /// asked, members as they stand now, and the month's new members.
    fn miami(month: &str, retained: i64, members: i64, joined: i64) -> (Month, v1::RegionStats) {
        (
            Month::parse(month).unwrap(),
            v1::RegionStats {
                region: "miami".into(),
                computed_time: None,
                counts: vec![
                    count("retention_3_months", "", "retained", retained),
                    count("members_by_role", "", "newcomer", members),
                    count("members_joined", month, "all", joined),
                ],
                medians: vec![],
            },
        )
    }

    #[test]
    fn a_range_of_months_is_answered_month_by_month() {
        // January to June, with June's 2 retained placements: they are June's
        // table, never part of a total over months.
        let months = [
            "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
        ];
        let answers: Vec<_> = months
            .iter()
            .enumerate()
            .map(|(i, m)| miami(m, if i == 5 { 2 } else { 30 }, 41, 12))
            .collect();
        let merged = by_calendar_month(answers).unwrap();
        let retention: Vec<(String, i64)> = merged
            .counts
            .iter()
            .filter(|c| c.table == "retention_3_months")
            .map(|c| (c.month.clone(), c.value))
            .collect();
        assert_eq!(
            retention,
            months
                .iter()
                .enumerate()
                .map(|(i, m)| (m.to_string(), if i == 5 { 2 } else { 30 }))
                .collect::<Vec<_>>()
        );
        // How things stand now is there once, each month's new members once.
        let members: Vec<_> = merged
            .counts
            .iter()
            .filter(|c| c.table == "members_by_role")
            .collect();
        assert_eq!(members.len(), 1);
        let joined = merged
            .counts
            .iter()
            .filter(|c| c.table == "members_joined")
            .count();
        assert_eq!(joined, 6);
        assert!(
            merged
                .counts
                .iter()
                .all(|c| !c.month.is_empty() || c.table == "members_by_role")
        );
    }
}
