//! The gateway's region registry in its database, kept in step with its settings.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use crate::error::Result;
use crate::settings::RegionEntry;
use crate::store::entity::region;

/// Records every configured region; a region seen before keeps its registration time.
pub async fn register(db: &impl ConnectionTrait, regions: &[RegionEntry]) -> Result<()> {
    let now = Utc::now();
    for entry in regions {
        let row = region::ActiveModel {
            slug: Set(entry.slug.clone()),
            name: Set(entry.name.clone()),
            endpoint: Set(entry.endpoint.clone()),
            registered_at: Set(now),
            updated_at: Set(now),
        };
        region::Entity::insert(row)
            .on_conflict(
                OnConflict::column(region::Column::Slug)
                    .update_columns([
                        region::Column::Name,
                        region::Column::Endpoint,
                        region::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}
