//! A member row: shared profile and region-local record together. Which columns may
//! leave the region is decided in the sync code, never here.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    pub home_region: String,
    pub profession: String,
    /// JSON array of sector slugs.
    pub sectors: Json,
    /// JSON array of skills.
    pub skills: Json,
    /// JSON array of ISO 639-1 codes.
    pub languages: Json,
    pub education_level: String,
    pub experience_years: i32,
    pub available_hours_per_week: i32,
    pub share_across_regions: bool,
    pub role: String,
    pub residence_status: String,
    pub asylum_application_date: Option<Date>,
    /// JSON array of `{kind, valid_until}`.
    pub permits: Json,
    pub civic_integration: String,
    /// ISO 3166-1 alpha-2, upper case; empty when not recorded.
    pub nationality: String,
    pub safe_country_national: bool,
    pub in_reception_centre: bool,
    pub asylum_clock_stopped_days: i32,
    /// How many newcomers a local can buddy at once; 0 = not a buddy.
    pub buddy_capacity: i32,
    /// Follows an education programme of which an internship is part (BPV).
    pub in_school_programme: bool,
    /// The authorities hold the member's identity to be unclear (AufenthG §60b).
    pub identity_unclear: bool,
    /// JSON map of shared field → HLC of its last write (see `federation::publish`).
    pub profile_stamps: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it (`SpreadsheetService`),
    /// unique in the region; `None` for records made any other way.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
