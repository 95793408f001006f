//! Mail written as `.eml` files, when the node has no SMTP server (the demo, a
//! trial): `<folder>/<member id>/<notification id>.eml`, one folder per member
//! so that erasing her takes her folder, and a retry rewrites the same file.

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::error::{Error, Result};

/// The file of notification `id`'s mail to member `member_id`, relative to the
/// mail folder.
pub fn relative_path(member_id: Uuid, id: Uuid) -> PathBuf {
    Path::new(&member_id.simple().to_string()).join(format!("{}.eml", id.simple()))
}

/// Writes `message` (the mail as sent) to `folder`; returns the path written,
/// relative to the folder. The file is written whole, then renamed into place.
pub async fn write(folder: &Path, member_id: Uuid, id: Uuid, message: &[u8]) -> Result<String> {
    let relative = relative_path(member_id, id);
    let path = folder.join(&relative);
    let failed = |e: std::io::Error| Error::Internal(format!("writing {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(failed)?;
    }
    let partial = path.with_extension("eml.partial");
    tokio::fs::write(&partial, message).await.map_err(failed)?;
    tokio::fs::rename(&partial, &path).await.map_err(failed)?;
    Ok(relative.to_string_lossy().into_owned())
}

/// Every `.eml` file written for member `member_id`: (relative path, contents).
pub async fn read_member(folder: &Path, member_id: Uuid) -> Result<Vec<(String, String)>> {
    let member_folder = folder.join(member_id.simple().to_string());
    let mut found = Vec::new();
    let mut entries = match tokio::fs::read_dir(&member_folder).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => {
            return Err(Error::Internal(format!(
                "reading {}: {e}",
                member_folder.display()
            )));
        }
    };
    let failed = |e: std::io::Error| Error::Internal(format!("reading mail files: {e}"));
    while let Some(entry) = entries.next_entry().await.map_err(failed)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".eml") {
            continue;
        }
        let text = tokio::fs::read_to_string(entry.path())
            .await
            .map_err(failed)?;
        found.push((format!("{}/{name}", member_id.simple()), text));
    }
    found.sort();
    Ok(found)
}

/// Adds member `member_id`'s `.eml` files to her exported records, as
/// `mail_files` (each its path and its text); returns how many.
pub async fn export_for(
    context: &crate::context::NodeContext,
    member_id: Uuid,
    records: &mut serde_json::Value,
) -> Result<u32> {
    let Some(folder) = &context.mail_folder else {
        return Ok(0);
    };
    let files = read_member(folder, member_id).await?;
    let count = files.len() as u32;
    if let Some(records) = records.as_object_mut() {
        records.insert(
            "mail_files".to_owned(),
            serde_json::Value::Array(
                files
                    .into_iter()
                    .map(|(path, text)| serde_json::json!({ "path": path, "text": text }))
                    .collect(),
            ),
        );
    }
    Ok(count)
}

/// After member `member_id`'s erasure committed: removes her `.eml` files from
/// the node's mail folder, if it writes any.
pub async fn erase_for(context: &crate::context::NodeContext, member_id: Uuid) {
    if let Some(folder) = &context.mail_folder {
        erase(folder, member_id).await;
    }
}

/// Removes every `.eml` file written for member `member_id` (after her erasure
/// committed). A failure is logged: the rows are gone, the next erasure of her
/// tries again.
pub async fn erase(folder: &Path, member_id: Uuid) {
    let member_folder = folder.join(member_id.simple().to_string());
    match tokio::fs::remove_dir_all(&member_folder).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::error!(
            %error, folder = %member_folder.display(),
            "erasing a member's mail files failed"
        ),
    }
}
