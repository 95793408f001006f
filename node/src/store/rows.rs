//! Reads and writes shared by every entity: find by id, keyset paging, and
//! read-change-write inside the caller's write transaction.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::{Page, PageRequest};
use crate::error::{Error, Result};

/// The row of `E` with this id, or `NotFound` naming `kind`.
pub async fn find<E>(db: &impl ConnectionTrait, id: Uuid, kind: &'static str) -> Result<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(kind, id))
}

/// One page of `select`, ordered by the UUIDv7 `id_column` (that is, by creation).
pub async fn page<E, C>(
    db: &impl ConnectionTrait,
    mut select: Select<E>,
    id_column: C,
    request: PageRequest,
    id: impl Fn(&E::Model) -> Uuid,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    if let Some(after) = request.after {
        select = select.filter(id_column.gt(after));
    }
    let rows = select
        .order_by_asc(id_column)
        .limit(request.size + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, request.size, id))
}

/// Reads the row, lets `change` produce its new value (or refuse), and writes it,
/// inside the caller's write transaction (`NodeContext::begin_write`, the one way
/// a node opens one): a refused change writes nothing once the caller drops it.
pub async fn update<E>(
    txn: &DatabaseTransaction,
    id: Uuid,
    kind: &'static str,
    change: impl FnOnce(E::Model) -> Result<E::Model> + Send,
) -> Result<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let current = find::<E>(txn, id, kind).await?;
    let changed = change(current)?;
    Ok(changed.into_active_model().reset_all().update(txn).await?)
}

/// Writes a new row and returns it as stored.
pub async fn insert<E>(db: &impl ConnectionTrait, row: E::Model) -> Result<E::Model>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    Ok(row.into_active_model().reset_all().insert(db).await?)
}
