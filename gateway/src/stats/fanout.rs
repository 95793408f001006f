//! Asking regions for their figures: every region at once, each over the gateway's
//! own channel to its node, each within the deadline. A region that fails or is
//! late is reported as such; it never fails the others.

use std::time::Duration;

use passage_proto::months::MonthSpan;
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

/// Asks every region in `regions` for its figures over `span`, concurrently, and
/// gives each `deadline` to answer. Replies come back in the order of `regions`.
pub async fn ask_regions(
    regions: Vec<RegionRoute>,
    span: MonthSpan,
    deadline: Duration,
) -> Vec<RegionReply> {
    let order: Vec<String> = regions.iter().map(|r| r.slug.clone()).collect();
    let mut asking = JoinSet::new();
    for region in regions {
        asking.spawn(async move {
            let figures = ask_region(&region, span, deadline).await;
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

async fn ask_region(
    region: &RegionRoute,
    span: MonthSpan,
    deadline: Duration,
) -> Result<v1::RegionStats, String> {
    let mut client = RegionStatsServiceClient::new(region.channel());
    let mut request = tonic::Request::new(v1::GetRegionStatsRequest {
        months: Some(span.to_wire()),
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
