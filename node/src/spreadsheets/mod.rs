//! Spreadsheets in and out of the region (`SpreadsheetService`): a chapter's own
//! CSV lists of members, organisations and opportunities, and its history of
//! applications, placements, reviews, events and their registrations, cohorts
//! and their participants, helpdesk questions and buddy pairs with their dates, read,
//! checked line by line with the create RPCs' own validation and written in one
//! transaction (`import` and the `import_*` of each kind, `history`); and CSV reports for funders and
//! municipalities, a page at a time (`export`). `csv_file` reads what
//! spreadsheets write and writes what they read without running formulas;
//! `cells` turns one cell into a field's value.

pub mod cells;
pub mod csv_file;
pub mod export;
mod history;
pub mod import;
pub mod import_applications;
pub mod import_buddies;
pub mod import_cohorts;
pub mod import_events;
pub mod import_market;
pub mod import_members;
pub mod import_placements;
pub mod import_questions;
pub mod import_reviews;
