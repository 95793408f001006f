//! Spreadsheets in and out of the region (`SpreadsheetService`): a chapter's own
//! CSV lists of members, organisations and opportunities, and its history of
//! applications and placements with their dates, read, checked line by line
//! with the create RPCs' own validation and written in one transaction
//! (`import`, `import_members`, `import_market`, `import_applications`,
//! `import_placements`, `history`); and CSV reports for funders and
//! municipalities, a page at a time (`export`). `csv_file` reads what
//! spreadsheets write and writes what they read without running formulas;
//! `cells` turns one cell into a field's value.

pub mod cells;
pub mod csv_file;
pub mod export;
mod history;
pub mod import;
pub mod import_applications;
pub mod import_market;
pub mod import_members;
pub mod import_placements;
