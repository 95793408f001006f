//! A demo CSV file through `SpreadsheetService.ImportRecords`, sent to its region
//! with the region's chapter admin's token, as a chapter moving to Passage
//! imports its records: a refused file is an error naming its first refused
//! lines (and nothing of it was written).

use anyhow::Context;
use passage_proto::v1::{self, spreadsheet_service_client::SpreadsheetServiceClient};
use tonic::transport::Channel;

use super::in_region;

/// Imports `csv` as a `kind` file into `region`; `name` is what errors call the
/// file. The import's report when every line was written.
pub async fn import(
    channel: Channel,
    region: &str,
    kind: v1::ImportKind,
    name: &str,
    csv: Vec<u8>,
) -> anyhow::Result<v1::ImportReport> {
    let answer = SpreadsheetServiceClient::new(channel)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
        .import_records(in_region(
            region,
            v1::ImportRecordsRequest {
                kind: kind as i32,
                file: csv,
                apply: true,
            },
        )?)
        .await
        .with_context(|| format!("importing {name}"))?
        .into_inner();
    if !answer.applied {
        let lines: Vec<String> = answer
            .refused
            .iter()
            .take(5)
            .map(|line| format!("line {} ({}): {}", line.line, line.column, line.reason))
            .collect();
        anyhow::bail!(
            "{name} was refused, {} lines: {}",
            answer.refused_count,
            lines.join("; ")
        );
    }
    Ok(answer)
}
