//! CSV as spreadsheets write it: UTF-8 with or without a byte-order mark, or
//! Windows-1252 (what Excel saves as "CSV" on many Western European machines);
//! `,` or `;` between cells (Excel's choice follows the machine's decimal comma),
//! read from the header row. And CSV as they read it back: every cell that a
//! spreadsheet would take for a formula (`=`, `+`, `-`, `@`) escaped.

use passage_proto::v1::RefusalKind;

use crate::error::{Error, Refusal, Result};

/// The largest file an import reads.
pub const MAX_FILE_BYTES: usize = 32 << 20;

/// A file read: its header and its data lines.
#[derive(Debug)]
pub struct Sheet {
    /// Column names as the header gives them, trimmed and in lower case.
    pub columns: Vec<String>,
    /// Each data line: its number in the file (the header is line 1) and its cells.
    pub lines: Vec<(u32, Vec<String>)>,
    pub separator: char,
    pub encoding: &'static str,
}

/// Windows-1252's characters for the bytes 0x80 to 0x9F (the rest is Latin-1);
/// the five bytes it leaves undefined read as the C1 control of the same number,
/// as browsers read them.
const WINDOWS_1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The file's text and the encoding it was read as.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest).into_owned(), "UTF-8");
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let text = bytes
                .iter()
                .map(|&byte| match byte {
                    0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(byte - 0x80)],
                    _ => char::from(byte),
                })
                .collect();
            (text, "Windows-1252")
        }
    }
}

/// The separator of the header row: `;` when it has more of them than commas.
fn separator_of(header: &str) -> char {
    let count = |wanted: char| header.chars().filter(|&c| c == wanted).count();
    if count(';') > count(',') { ';' } else { ',' }
}

/// The whole file is not CSV.
fn not_csv(reason: String) -> Error {
    Error::refused("file", reason, Refusal::of(RefusalKind::NotCsv, "", []))
}

/// The file has no header line.
fn empty() -> Error {
    Error::refused(
        "file",
        "is empty; the first line must name the columns",
        Refusal::of(RefusalKind::EmptyFile, "", []),
    )
}

/// Reads a file into its header and lines; refuses what is not a CSV file.
pub fn read(bytes: &[u8]) -> Result<Sheet> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::refused(
            "file",
            format!(
                "must be at most {} MiB, got {} bytes",
                MAX_FILE_BYTES >> 20,
                bytes.len()
            ),
            Refusal::of(
                RefusalKind::FileTooLarge,
                &bytes.len().to_string(),
                [(MAX_FILE_BYTES >> 20).to_string()],
            ),
        ));
    }
    let (text, encoding) = decode(bytes);
    if text.contains('\0') {
        return Err(not_csv(
            "is not a CSV file (it holds binary data; save the sheet as CSV)".to_owned(),
        ));
    }
    let header = text.split(['\r', '\n']).next().unwrap_or_default();
    if header.trim().is_empty() {
        return Err(empty());
    }
    let separator = separator_of(header);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let columns: Vec<String> = match records.next() {
        Some(Ok(record)) => record
            .iter()
            .map(|cell| cell.trim().to_lowercase())
            .collect(),
        Some(Err(error)) => {
            return Err(not_csv(format!("is not a CSV file: {error}")));
        }
        None => {
            return Err(empty());
        }
    };
    let mut lines = Vec::new();
    // The line a record starts on, counted from its byte offset: the reader's own
    // count leaves out the blank lines it skips, and people look for the line
    // their editor shows.
    let (mut counted_to, mut line) = (0, 1u32);
    for record in records {
        let record = record.map_err(|error| not_csv(format!("is not a CSV file: {error}")))?;
        let start = record
            .position()
            .map_or(counted_to, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(counted_to, text.len());
        // The position is where the reader began, before the blank lines it skipped.
        let start = start
            + text.as_bytes()[start..]
                .iter()
                .take_while(|&&byte| byte == b'\n' || byte == b'\r')
                .count();
        let newlines = line_ends(&text.as_bytes()[counted_to..start]);
        line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        counted_to = start;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        lines.push((line, cells));
    }
    Ok(Sheet {
        columns,
        lines,
        separator,
        encoding,
    })
}

/// How many line ends `bytes` holds: LF, CRLF, or a CR alone (old Macs).
fn line_ends(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(at, &byte)| {
            byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'))
        })
        .count()
}

/// A cell as a spreadsheet shows it, not as a formula it runs: one that starts
/// with `=`, `+`, `-` or `@` (or a tab or carriage return, which some read past)
/// gets a leading `'`.
pub fn escape(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Writes rows as CSV (`,`, CRLF, quoted where needed), every cell escaped.
#[derive(Debug, Default)]
pub struct CsvOut {
    bytes: Vec<u8>,
}

impl CsvOut {
    /// Adds one row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                self.bytes.push(b',');
            }
            let cell = escape(cell.as_ref());
            if cell.contains([',', '"', '\n', '\r', ';']) {
                self.bytes.push(b'"');
                self.bytes
                    .extend_from_slice(cell.replace('"', "\"\"").as_bytes());
                self.bytes.push(b'"');
            } else {
                self.bytes.extend_from_slice(cell.as_bytes());
            }
        }
        self.bytes.extend_from_slice(b"\r\n");
    }

    /// The CSV written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn windows_1252_and_byte_order_mark_are_read() {
        assert_eq!(decode(b"Zo\xEB"), ("Zoë".to_owned(), "Windows-1252"));
        assert_eq!(decode(b"\x80 5"), ("€ 5".to_owned(), "Windows-1252"));
        assert_eq!(
            decode("\u{feff}Zoë".as_bytes()),
            ("Zoë".to_owned(), "UTF-8")
        );
    }

    #[test]
    fn the_separator_comes_from_the_header() {
        let sheet = read(b"a;b\n\"1,5\";2\n\n3;4\n").unwrap();
        assert_eq!(sheet.separator, ';');
        assert_eq!(sheet.columns, ["a", "b"]);
        assert_eq!(
            sheet.lines,
            [
                (2, vec!["1,5".into(), "2".into()]),
                (4, vec!["3".into(), "4".into()])
            ]
        );
    }

    #[test]
    fn a_line_is_numbered_as_an_editor_shows_it() {
        let sheet = read(b"a,b\r\n\"two\r\nlines\",1\r\n\r\n,\r\n3,4\r\n").unwrap();
        let numbers: Vec<u32> = sheet.lines.iter().map(|(line, _)| *line).collect();
        assert_eq!(numbers, [2, 6]);
    }

    #[test]
    fn formulas_are_escaped() {
        let mut out = CsvOut::default();
        out.row(&["=1+1", "-2", "@SUM(A1)", "+31 6", "plain, text"]);
        assert_eq!(
            String::from_utf8(out.into_bytes()).unwrap(),
            "'=1+1,'-2,'@SUM(A1),'+31 6,\"plain, text\"\r\n"
        );
    }
}
