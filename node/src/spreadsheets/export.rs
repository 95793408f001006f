//! CSV reports for funders and municipalities, a page at a time (keyset on the
//! rows' UUIDv7 ids), so a region of 30,000 members is never read whole into
//! memory: the region's members (shared fields; the region-local ones only with
//! a stated purpose, which the audit log records), one cohort's participants,
//! applications with their placements and retention, one event's attendance.

use std::collections::HashMap;

use chrono::Utc;
use passage_proto::v1;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::csv_file::CsvOut;
use crate::convert::enums::{WireEnum, from_stored};
use crate::convert::member::permits_from_json;
use crate::error::{Error, Refusal, Result};
use crate::retention::{self, MARKS, Stay};
use crate::store::entity::{
    application, coaching_attendance, coaching_cohort, coaching_enrolment, coaching_session,
    community_event, event_registration, member, opportunity, placement,
};
use crate::store::{PageRequest, strings_from_json, token_after};
use crate::validate;

/// Rows per page when the caller asks for none, and the most it gets.
const DEFAULT_ROWS: u64 = 1_000;
const MAX_ROWS: u64 = 5_000;

/// Members' columns every export has.
const SHARED: [&str; 12] = [
    "id",
    "external_id",
    "display_name",
    "profession",
    "sectors",
    "skills",
    "languages",
    "education_level",
    "experience_years",
    "available_hours_per_week",
    "share_across_regions",
    "joined_on",
];
/// Members' region-local columns, only with a purpose.
const REGION_LOCAL: [&str; 11] = [
    "role",
    "residence_status",
    "asylum_application_date",
    "permits",
    "civic_integration",
    "nationality",
    "safe_country_national",
    "in_reception_centre",
    "asylum_clock_stopped_days",
    "in_school_programme",
    "identity_unclear",
];

/// A checked export request.
#[derive(Debug)]
pub struct Asked {
    pub kind: v1::ExportKind,
    /// The stated purpose, for members' region-local fields.
    pub purpose: Option<String>,
    pub of: Option<Uuid>,
    size: u64,
    after: Option<Uuid>,
}

impl Asked {
    /// Checks a request; refusals name the field.
    pub fn parse(request: &v1::ExportRecordsRequest) -> Result<Self> {
        let kind = v1::ExportKind::try_from(request.kind).unwrap_or_default();
        if kind == v1::ExportKind::Unspecified {
            return Err(Error::missing(
                "kind",
                "must be set (EXPORT_KIND_MEMBERS, EXPORT_KIND_COHORT, EXPORT_KIND_APPLICATIONS or EXPORT_KIND_ATTENDANCE)",
            ));
        }
        let purpose = validate::optional_text("purpose", &request.purpose, 200)?;
        let purpose = match purpose.chars().count() {
            0 => None,
            1..=2 => {
                return Err(Error::refused(
                    "purpose",
                    "must say why, in at least 3 characters",
                    Refusal::of(v1::RefusalKind::NeedsAReason, &purpose, ["3".to_owned()]),
                ));
            }
            _ if kind != v1::ExportKind::Members => {
                return Err(Error::invalid(
                    "purpose",
                    "is only for a members export (it opens the region-local fields)",
                ));
            }
            _ => Some(purpose),
        };
        let of = match kind {
            v1::ExportKind::Cohort => Some(validate::id("cohort_id", &request.cohort_id)?),
            v1::ExportKind::Attendance => Some(validate::id("event_id", &request.event_id)?),
            _ => None,
        };
        let size = match request.page_size {
            size if size < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            0 => DEFAULT_ROWS,
            size => (size as u64).min(MAX_ROWS),
        };
        let after = PageRequest::parse(1, &request.page_token)?.after;
        Ok(Asked {
            kind,
            purpose,
            of,
            size,
            after,
        })
    }

    /// What the audit log records the call was about.
    pub fn subject(&self) -> String {
        let what = match (self.kind, self.of) {
            (v1::ExportKind::Members, _) => "export members".to_owned(),
            (v1::ExportKind::Cohort, Some(id)) => format!("export cohort {id}"),
            (v1::ExportKind::Attendance, Some(id)) => format!("export attendance of event {id}"),
            _ => "export applications".to_owned(),
        };
        match &self.purpose {
            Some(purpose) => format!("{what}, region-local fields, purpose: {purpose}"),
            None => what,
        }
    }
}

/// One page of the asked report.
pub async fn page(db: &DatabaseConnection, asked: &Asked) -> Result<v1::ExportPage> {
    let mut out = CsvOut::default();
    let (rows, last) = match asked.kind {
        v1::ExportKind::Members => members(db, asked, &mut out).await?,
        v1::ExportKind::Cohort => cohort(db, asked, &mut out).await?,
        v1::ExportKind::Attendance => attendance(db, asked, &mut out).await?,
        _ => applications(db, asked, &mut out).await?,
    };
    let next_page_token = match last {
        Some(id) if u64::from(rows) == asked.size => token_after(id),
        _ => String::new(),
    };
    Ok(v1::ExportPage {
        csv: out.into_bytes(),
        rows,
        next_page_token,
    })
}

fn yes(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

fn wire_name<E: WireEnum>(stored: &str) -> String {
    let value: E = from_stored(stored);
    if value == E::default() {
        return String::new();
    }
    value
        .name()
        .strip_prefix(E::PREFIX)
        .unwrap_or_default()
        .to_lowercase()
}

fn list(value: &serde_json::Value) -> String {
    strings_from_json(value).join("|")
}

/// Members' external ids and names, for the reports that name members.
async fn names(db: &DatabaseConnection, ids: Vec<Uuid>) -> Result<HashMap<Uuid, (String, String)>> {
    let rows: Vec<(Uuid, Option<String>, String)> = member::Entity::find()
        .select_only()
        .columns([
            member::Column::Id,
            member::Column::ExternalId,
            member::Column::DisplayName,
        ])
        .filter(member::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, external, name)| (id, (external.unwrap_or_default(), name)))
        .collect())
}

async fn members(
    db: &DatabaseConnection,
    asked: &Asked,
    out: &mut CsvOut,
) -> Result<(u32, Option<Uuid>)> {
    let local = asked.purpose.is_some();
    if asked.after.is_none() {
        let mut header: Vec<&str> = SHARED.to_vec();
        if local {
            header.extend(REGION_LOCAL);
        }
        out.row(&header);
    }
    let mut select = member::Entity::find()
        .order_by_asc(member::Column::Id)
        .limit(asked.size);
    if let Some(after) = asked.after {
        select = select.filter(member::Column::Id.gt(after));
    }
    let rows = select.all(db).await?;
    for row in &rows {
        let mut cells = vec![
            row.id.to_string(),
            row.external_id.clone().unwrap_or_default(),
            row.display_name.clone(),
            row.profession.clone(),
            list(&row.sectors),
            list(&row.skills),
            list(&row.languages),
            wire_name::<v1::EducationLevel>(&row.education_level),
            row.experience_years.to_string(),
            row.available_hours_per_week.to_string(),
            yes(row.share_across_regions),
            row.created_at.date_naive().to_string(),
        ];
        if local {
            let permits: Vec<String> = permits_from_json(&row.permits)
                .into_iter()
                .map(|p| match p.valid_until.as_str() {
                    "" => p.kind,
                    until => format!("{}:{until}", p.kind),
                })
                .collect();
            cells.extend([
                wire_name::<v1::MemberRole>(&row.role),
                wire_name::<v1::ResidenceStatus>(&row.residence_status),
                row.asylum_application_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                permits.join("|"),
                wire_name::<v1::CivicIntegration>(&row.civic_integration),
                row.nationality.clone(),
                yes(row.safe_country_national),
                yes(row.in_reception_centre),
                row.asylum_clock_stopped_days.to_string(),
                yes(row.in_school_programme),
                yes(row.identity_unclear),
            ]);
        }
        out.row(&cells);
    }
    Ok((rows.len() as u32, rows.last().map(|row| row.id)))
}

async fn cohort(
    db: &DatabaseConnection,
    asked: &Asked,
    out: &mut CsvOut,
) -> Result<(u32, Option<Uuid>)> {
    let cohort_id = asked.of.unwrap_or_default();
    coaching_cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("cohort", cohort_id))?;
    let today = Utc::now().date_naive();
    let held: Vec<Uuid> = coaching_session::Entity::find()
        .select_only()
        .column(coaching_session::Column::Id)
        .filter(coaching_session::Column::CohortId.eq(cohort_id))
        .filter(coaching_session::Column::HeldOn.lte(today))
        .into_tuple()
        .all(db)
        .await?;
    if asked.after.is_none() {
        out.row(&[
            "member_id",
            "external_id",
            "display_name",
            "enrolled_on",
            "sessions_held",
            "sessions_attended",
            "outcome",
            "outcome_recorded_on",
        ]);
    }
    let mut select = coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id))
        .order_by_asc(coaching_enrolment::Column::Id)
        .limit(asked.size);
    if let Some(after) = asked.after {
        select = select.filter(coaching_enrolment::Column::Id.gt(after));
    }
    let rows = select.all(db).await?;
    let member_ids: Vec<Uuid> = rows.iter().map(|row| row.member_id).collect();
    let attended: Vec<Uuid> = coaching_attendance::Entity::find()
        .select_only()
        .column(coaching_attendance::Column::MemberId)
        .filter(coaching_attendance::Column::CohortId.eq(cohort_id))
        .filter(coaching_attendance::Column::MemberId.is_in(member_ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<Uuid, usize> = HashMap::new();
    for id in attended {
        *counts.entry(id).or_default() += 1;
    }
    let names = names(db, member_ids).await?;
    for row in &rows {
        let (external, name) = names.get(&row.member_id).cloned().unwrap_or_default();
        out.row(&[
            row.member_id.to_string(),
            external,
            name,
            row.enrolled_at.date_naive().to_string(),
            held.len().to_string(),
            counts
                .get(&row.member_id)
                .copied()
                .unwrap_or_default()
                .to_string(),
            row.outcome.clone(),
            row.outcome_recorded_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ]);
    }
    Ok((rows.len() as u32, rows.last().map(|row| row.id)))
}

async fn attendance(
    db: &DatabaseConnection,
    asked: &Asked,
    out: &mut CsvOut,
) -> Result<(u32, Option<Uuid>)> {
    let event_id = asked.of.unwrap_or_default();
    let event = community_event::Entity::find_by_id(event_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("event", event_id))?;
    if asked.after.is_none() {
        out.row(&[
            "event",
            "starts_on",
            "member_id",
            "external_id",
            "display_name",
            "status",
            "registered_on",
        ]);
    }
    let mut select = event_registration::Entity::find()
        .filter(event_registration::Column::EventId.eq(event_id))
        .order_by_asc(event_registration::Column::Id)
        .limit(asked.size);
    if let Some(after) = asked.after {
        select = select.filter(event_registration::Column::Id.gt(after));
    }
    let rows = select.all(db).await?;
    let names = names(db, rows.iter().map(|row| row.member_id).collect()).await?;
    for row in &rows {
        let (external, name) = names.get(&row.member_id).cloned().unwrap_or_default();
        out.row(&[
            event.title.clone(),
            event.starts_at.date_naive().to_string(),
            row.member_id.to_string(),
            external,
            name,
            row.status.clone(),
            row.created_at.date_naive().to_string(),
        ]);
    }
    Ok((rows.len() as u32, rows.last().map(|row| row.id)))
}

async fn applications(
    db: &DatabaseConnection,
    asked: &Asked,
    out: &mut CsvOut,
) -> Result<(u32, Option<Uuid>)> {
    if asked.after.is_none() {
        let mut header = vec![
            "application_id",
            "member_id",
            "external_id",
            "opportunity",
            "stage",
            "applied_on",
            "placement_kind",
            "start_date",
            "end_date",
            "end_reason",
        ];
        header.extend([
            "retained_3_months",
            "retained_6_months",
            "retained_12_months",
        ]);
        out.row(&header);
    }
    let mut select = application::Entity::find()
        .order_by_asc(application::Column::Id)
        .limit(asked.size);
    if let Some(after) = asked.after {
        select = select.filter(application::Column::Id.gt(after));
    }
    let rows = select.all(db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let placements: HashMap<Uuid, placement::Model> = placement::Entity::find()
        .filter(placement::Column::ApplicationId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.application_id, row))
        .collect();
    let titles: HashMap<Uuid, String> = opportunity::Entity::find()
        .select_only()
        .columns([opportunity::Column::Id, opportunity::Column::Title])
        .filter(
            opportunity::Column::Id.is_in(
                rows.iter()
                    .map(|row| row.opportunity_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names = names(db, rows.iter().map(|row| row.member_id).collect()).await?;
    let today = Utc::now().date_naive();
    for row in &rows {
        let external = names
            .get(&row.member_id)
            .map(|n| n.0.clone())
            .unwrap_or_default();
        let mut cells = vec![
            row.id.to_string(),
            row.member_id.to_string(),
            external,
            titles.get(&row.opportunity_id).cloned().unwrap_or_default(),
            row.stage.clone(),
            row.created_at.date_naive().to_string(),
        ];
        match placements.get(&row.id) {
            Some(placement) => {
                let stay = Stay {
                    kind: placement.kind.clone(),
                    start: placement.start_date,
                    end: placement.end_date,
                };
                cells.extend([
                    placement.kind.clone(),
                    placement.start_date.to_string(),
                    placement
                        .end_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    placement.end_reason.clone(),
                ]);
                for months in MARKS {
                    cells.push(match retention::retained_at(&stay, months, today) {
                        Some(retained) => yes(retained),
                        None => "not yet".to_owned(),
                    });
                }
            }
            None => cells.extend(std::iter::repeat_n(String::new(), 4 + MARKS.len())),
        }
        out.row(&cells);
    }
    Ok((rows.len() as u32, rows.last().map(|row| row.id)))
}
