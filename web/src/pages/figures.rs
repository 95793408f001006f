//! The central team's figures, behind sign-in: every region's published,
//! suppressed statistics as the gateway gives them (`GetGlobalStats` with the
//! signed-in analyst's or operator's session — anyone else is refused by the
//! gateway, not here), drawn as tables a screen reader can walk, a small chart of
//! members joined per month, and each published table as a CSV file, suppressed
//! exactly as shown ("<10").

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::when::moment;
use super::{Frame, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/figures";

/// One cell as shown: the number, or "<10" for a suppressed count.
pub struct CellView {
    pub shown: String,
    pub suppressed: bool,
}

/// One region's row of a table.
pub struct RowView {
    pub region: String,
    pub cells: Vec<CellView>,
    pub total: CellView,
}

/// One published table for one month (or now).
pub struct TableView {
    pub name: String,
    pub title: String,
    pub categories: Vec<String>,
    pub rows: Vec<RowView>,
    pub total: Option<RowView>,
}

/// Whether a region answered.
pub struct RegionView {
    pub region: String,
    pub answered: bool,
    /// Why not, and since when its figures are, in plain words.
    pub note: String,
}

/// One bar of the members-joined chart.
pub struct BarView {
    pub month: String,
    /// The month's number, under its bar.
    pub label: String,
    pub shown: String,
    /// The bar's position and height in the chart's 100-unit-high box.
    pub x: u32,
    pub height: u32,
    pub y: u32,
}

/// One month in the month chooser.
pub struct MonthChoice {
    pub month: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    frame: Frame,
    period: String,
    computed: String,
    threshold_note: String,
    rounding_note: String,
    regions: Vec<RegionView>,
    now_tables: Vec<TableView>,
    months: Vec<MonthChoice>,
    month: String,
    month_tables: Vec<TableView>,
    bars: Vec<BarView>,
    chart_width: u32,
    chart_label: String,
    medians: Vec<MedianView>,
}

/// A region's median for the chosen month.
pub struct MedianView {
    pub title: String,
    pub region: String,
    pub shown: String,
}

#[derive(Deserialize)]
pub struct FiguresQuery {
    #[serde(default)]
    month: String,
}

/// `GET /figures[?month=YYYY-MM]`.
pub async fn show(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<FiguresQuery>,
) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let stats = match published(&app, &visit).await {
        Ok(stats) => stats,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let mut page = figures_page(&visit, text, &stats, &query.month);
    page.frame = page.frame.for_account(&account);
    render(&visit, StatusCode::OK, &page)
}

/// `GET /figures/{table}.csv`: one published table, every month it has, as shown.
pub async fn download(State(app): State<App>, visit: Visit, Path(file): Path<String>) -> Response {
    let (_, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let stats = match published(&app, &visit).await {
        Ok(stats) => stats,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let table = file.strip_suffix(".csv").unwrap_or(&file);
    match table_csv(&stats, table) {
        Some(csv) => visit.download(
            &format!("passage-{table}.csv"),
            "text/csv; charset=utf-8",
            csv,
        ),
        None => super::problem(
            &visit,
            text,
            HERE,
            StatusCode::NOT_FOUND,
            "problem-not-found",
            "problem-not-found-explained",
        ),
    }
}

async fn published(app: &App, visit: &Visit) -> Result<v1::GlobalStats, tonic::Status> {
    app.gateway
        .statistics()
        .get_global_stats(call(visit, None, v1::GetGlobalStatsRequest::default()))
        .await
        .map(tonic::Response::into_inner)
}

fn figures_page(visit: &Visit, text: Text, stats: &v1::GlobalStats, month: &str) -> FiguresPage {
    let threshold = stats.threshold.to_string();
    let months = months_of(stats);
    let chosen = months
        .iter()
        .find(|m| m.as_str() == month)
        .or_else(|| months.last())
        .cloned()
        .unwrap_or_default();
    let period = stats
        .months
        .as_ref()
        .map(|m| {
            text.t_with(
                "figures-period",
                &[("from", &m.from_month), ("to", &m.to_month)],
            )
        })
        .unwrap_or_default();
    let (bars, chart_width) = joined_bars(stats);
    FiguresPage {
        frame: Frame::new(visit, text, HERE, true),
        period,
        computed: stats
            .computed_time
            .as_ref()
            .map(|t| text.t1("figures-computed", "time", &moment(text, t.seconds)))
            .unwrap_or_default(),
        threshold_note: text.t1("figures-threshold", "threshold", &threshold),
        rounding_note: if stats.rounding > 1 {
            text.t1("figures-rounding", "rounding", &stats.rounding.to_string())
        } else {
            String::new()
        },
        regions: stats
            .regions
            .iter()
            .map(|answer| RegionView {
                region: answer.region.clone(),
                answered: answer.answered && !answer.stale,
                note: region_note(&text, answer),
            })
            .collect(),
        now_tables: stats
            .tables
            .iter()
            .filter(|table| table.month.is_empty())
            .map(|table| table_view(&text, table, stats.threshold))
            .collect(),
        months: months
            .iter()
            .map(|m| MonthChoice {
                month: m.clone(),
                chosen: *m == chosen,
            })
            .collect(),
        month_tables: stats
            .tables
            .iter()
            .filter(|table| !table.month.is_empty() && table.month == chosen)
            .map(|table| table_view(&text, table, stats.threshold))
            .collect(),
        chart_label: text.t("figures-joined-chart"),
        bars,
        chart_width,
        medians: stats
            .medians
            .iter()
            .filter(|median| median.month == chosen)
            .map(|median| MedianView {
                title: table_title(&text, &median.table),
                region: median.region.clone(),
                shown: if median.suppressed {
                    format!("<{threshold}")
                } else {
                    format!("{:.1}", median.median)
                },
            })
            .collect(),
        month: chosen,
    }
}

/// The months the monthly tables cover, oldest first.
fn months_of(stats: &v1::GlobalStats) -> Vec<String> {
    let mut months: Vec<String> = stats
        .tables
        .iter()
        .filter(|table| !table.month.is_empty())
        .map(|table| table.month.clone())
        .collect();
    months.sort();
    months.dedup();
    months
}

fn region_note(text: &Text, answer: &v1::RegionAnswer) -> String {
    if answer.answered && !answer.stale {
        return text.t("figures-region-answered");
    }
    let since = answer
        .figures_time
        .as_ref()
        .map(|t| moment(*text, t.seconds))
        .unwrap_or_default();
    if since.is_empty() {
        text.t("figures-region-silent")
    } else {
        text.t1("figures-region-stale", "time", &since)
    }
}

/// A table's title in the page's language (its name, made readable, when the
/// app has no words for it).
fn table_title(text: &Text, table: &str) -> String {
    text.t_or(&format!("figures-table-{table}"), &readable(table))
}

fn category_name(text: &Text, category: &str) -> String {
    text.t_or(&format!("figures-category-{category}"), &readable(category))
}

fn readable(name: &str) -> String {
    name.replace('_', " ")
}

fn cell_view(cell: Option<&v1::PublishedCell>, threshold: i64) -> CellView {
    match cell {
        Some(cell) if cell.suppressed => CellView {
            shown: format!("<{threshold}"),
            suppressed: true,
        },
        Some(cell) => CellView {
            shown: cell.value.to_string(),
            suppressed: false,
        },
        None => CellView {
            shown: "—".into(),
            suppressed: false,
        },
    }
}

fn row_view(row: &v1::RegionRow, threshold: i64) -> RowView {
    RowView {
        region: row.region.clone(),
        cells: row
            .cells
            .iter()
            .map(|cell| cell_view(Some(cell), threshold))
            .collect(),
        total: cell_view(row.row_total.as_ref(), threshold),
    }
}

fn table_view(text: &Text, table: &v1::PublishedTable, threshold: i64) -> TableView {
    let categories = table
        .total
        .as_ref()
        .or(table.rows.first())
        .map(|row| {
            row.cells
                .iter()
                .map(|cell| category_name(text, &cell.category))
                .collect()
        })
        .unwrap_or_default();
    TableView {
        name: table.table.clone(),
        title: table_title(text, &table.table),
        categories,
        rows: table
            .rows
            .iter()
            .map(|row| row_view(row, threshold))
            .collect(),
        total: table.total.as_ref().map(|row| row_view(row, threshold)),
    }
}

/// The federation's members joined per month (the total row), as bars; a
/// suppressed month is drawn as an empty slot and labelled "<10".
fn joined_bars(stats: &v1::GlobalStats) -> (Vec<BarView>, u32) {
    let joined: BTreeMap<&str, Option<i64>> = stats
        .tables
        .iter()
        .filter(|table| table.table == "members_joined")
        .map(|table| {
            let total = table.total.as_ref().and_then(|row| row.row_total.as_ref());
            let value = total.filter(|cell| !cell.suppressed).map(|cell| cell.value);
            (table.month.as_str(), value)
        })
        .collect();
    let highest = joined.values().flatten().copied().max().unwrap_or(0).max(1);
    let bars: Vec<BarView> = joined
        .iter()
        .enumerate()
        .map(|(index, (month, value))| {
            let height = value.map_or(0, |v| (v * 90 / highest) as u32);
            BarView {
                month: (*month).to_owned(),
                label: month.get(5..).unwrap_or(month).to_owned(),
                shown: value.map_or_else(|| format!("<{}", stats.threshold), |v| v.to_string()),
                x: index as u32 * 20 + 4,
                height,
                y: 100 - height,
            }
        })
        .collect();
    let width = (bars.len() as u32 * 20).max(20) + 8;
    (bars, width)
}

/// One published table, every month, as CSV: `month,region,<categories>,total`,
/// with suppressed cells as "<10" — exactly what the page shows. `None` when the
/// figures have no table of that name.
fn table_csv(stats: &v1::GlobalStats, name: &str) -> Option<String> {
    let tables: Vec<&v1::PublishedTable> = stats
        .tables
        .iter()
        .filter(|table| table.table == name)
        .collect();
    let first = tables.first()?;
    let categories: Vec<String> = first
        .total
        .as_ref()
        .or(first.rows.first())
        .map(|row| row.cells.iter().map(|cell| cell.category.clone()).collect())
        .unwrap_or_default();
    let mut csv = String::new();
    let mut header = vec!["month".to_owned(), "region".to_owned()];
    header.extend(categories);
    header.push("total".to_owned());
    push_line(&mut csv, &header);
    for table in tables {
        for row in table.rows.iter().chain(table.total.as_ref()) {
            let mut line = vec![table.month.clone(), row.region.clone()];
            line.extend(
                row.cells
                    .iter()
                    .map(|cell| cell_view(Some(cell), stats.threshold).shown),
            );
            line.push(cell_view(row.row_total.as_ref(), stats.threshold).shown);
            push_line(&mut csv, &line);
        }
    }
    Some(csv)
}

/// One CSV line (RFC 4180 quoting); a cell a spreadsheet would read as a formula
/// (starting `=`, `+`, `-`, `@`) is prefixed with `'`.
fn push_line(csv: &mut String, cells: &[String]) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| {
            let cell = if cell.starts_with(['=', '+', '-', '@']) {
                format!("'{cell}")
            } else {
                cell.clone()
            };
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell
            }
        })
        .collect();
    csv.push_str(&quoted.join(","));
    csv.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn cell(category: &str, value: Option<i64>) -> v1::PublishedCell {
        v1::PublishedCell {
            category: category.into(),
            month: String::new(),
            value: value.unwrap_or(0),
            suppressed: value.is_none(),
        }
    }

    fn stats() -> v1::GlobalStats {
        let row = |region: &str, a: Option<i64>, b: Option<i64>, t: Option<i64>| v1::RegionRow {
            region: region.into(),
            cells: vec![cell("newcomer", a), cell("local", b)],
            row_total: Some(cell("", t)),
        };
        v1::GlobalStats {
            threshold: 10,
            tables: vec![v1::PublishedTable {
                table: "members_by_role".into(),
                rows: vec![
                    row("amsterdam", Some(40), None, None),
                    row("miami", Some(12), Some(15), Some(27)),
                ],
                total: Some(row("total", Some(52), None, None)),
                month: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_table_downloads_as_it_is_shown_with_suppressed_counts_as_under_the_threshold() {
        let csv = table_csv(&stats(), "members_by_role").unwrap();
        assert_eq!(
            csv,
            "month,region,newcomer,local,total\r\n\
             ,amsterdam,40,<10,<10\r\n\
             ,miami,12,15,27\r\n\
             ,total,52,<10,<10\r\n"
        );
        assert!(table_csv(&stats(), "no_such_table").is_none());
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_escaped_and_quotes_are_doubled() {
        let mut csv = String::new();
        push_line(
            &mut csv,
            &["=SUM(A1)".into(), "say \"hi\", then".into(), "-3".into()],
        );
        assert_eq!(csv, "'=SUM(A1),\"say \"\"hi\"\", then\",'-3\r\n");
    }
}
