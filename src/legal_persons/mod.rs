//! Legal persons: the individuals and corporations an organization banks for, and the
//! organization itself (its own legal person, created with it).

pub mod handlers;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::ids::LegalPersonId;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::legal_persons;
use crate::time::{self, Micros};
use crate::urls;

pub const INDIVIDUAL: &str = "individual";
pub const CORPORATION: &str = "corporation";

/// Griffin's application statuses and legal person statuses, for filters.
pub const APPLICATION_STATUSES: [&str; 5] =
    ["referred", "errored", "declined", "submitted", "accepted"];
pub const LEGAL_PERSON_STATUSES: [&str; 5] = [
    "onboarding",
    "onboarded",
    "onboarding-declined",
    "verified",
    "restricted",
];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = legal_persons, treat_none_as_default_value = false)]
pub struct LegalPersonRow {
    pub id: LegalPersonId,
    pub organization_id: OrganizationId,
    pub legal_person_type: String,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub application_status: Option<String>,
    pub legal_person_status: Option<String>,
    pub status_changed_at: Micros,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for LegalPersonRow {
    type Kind = crate::ids::LegalPersonKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::LegalPersonKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl LegalPersonRow {
    /// The position of the row under `sort` (`created-at` or `status-changed-at`).
    pub fn cursor(&self, sort: &str) -> Cursor {
        let key = if sort == STATUS_CHANGED_AT {
            self.status_changed_at
        } else {
            self.created_at
        };
        Cursor::new(key, &self.id)
    }
}

pub const STATUS_CHANGED_AT: &str = "status-changed-at";

/// A new legal person of the organization, not yet in any application.
pub fn new_row(
    id: LegalPersonId,
    organization_id: &OrganizationId,
    legal_person_type: &str,
    display_name: &str,
) -> LegalPersonRow {
    let now = time::now();
    LegalPersonRow {
        id,
        organization_id: organization_id.clone(),
        legal_person_type: legal_person_type.to_string(),
        display_name: display_name.to_string(),
        legal_name: None,
        application_status: None,
        legal_person_status: None,
        status_changed_at: now,
        created_at: now,
        updated_at: now,
    }
}

pub async fn insert(conn: &mut Conn<'_>, row: &LegalPersonRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(legal_persons::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::LegalPersonId,
) -> QueryResult<Option<LegalPersonRow>> {
    dispatch!(conn, c => legal_persons::table
        .find(id)
        .select(LegalPersonRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn find_many(
    conn: &mut Conn<'_>,
    ids: &[LegalPersonId],
) -> QueryResult<Vec<LegalPersonRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => legal_persons::table
        .filter(legal_persons::id.eq_any(ids))
        .order((legal_persons::created_at.asc(), legal_persons::id.asc()))
        .select(LegalPersonRow::as_select())
        .load(c)
        .await)
}

pub async fn set_legal_name(
    conn: &mut Conn<'_>,
    id: &str,
    legal_name: Option<&str>,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(legal_persons::table.find(id))
        .set((
            legal_persons::legal_name.eq(legal_name),
            legal_persons::updated_at.eq(time::now()),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn rename(conn: &mut Conn<'_>, id: &str, display_name: &str) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(legal_persons::table.find(id))
        .set((
            legal_persons::display_name.eq(display_name),
            legal_persons::updated_at.eq(time::now()),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub application_status: Option<String>,
    pub legal_person_statuses: Vec<String>,
    /// Only legal persons that have an application status.
    pub has_application_status: bool,
}

pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<LegalPersonRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = legal_persons::table
            .filter(legal_persons::organization_id.eq(organization_id))
            .select(LegalPersonRow::as_select())
            .into_boxed();
        if let Some(status) = &filter.application_status {
            query = query.filter(legal_persons::application_status.eq(status.clone()));
        }
        if !filter.legal_person_statuses.is_empty() {
            query = query.filter(
                legal_persons::legal_person_status.eq_any(filter.legal_person_statuses.clone()),
            );
        }
        if filter.has_application_status {
            query = query.filter(legal_persons::application_status.is_not_null());
        }
        if page.sort == STATUS_CHANGED_AT {
            paginate!(query, legal_persons::status_changed_at, legal_persons::id, page).load(c).await
        } else {
            paginate!(query, legal_persons::created_at, legal_persons::id, page).load(c).await
        }
    })?;
    Ok(Page::from_rows(rows, page, |row| row.cursor(page.sort)))
}

/// Legal persons of the organization whose display or legal name contains `text` (any
/// case), newest first, at most `limit`.
pub async fn search(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    text: &str,
    legal_person_status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<LegalPersonRow>> {
    let pattern = crate::store::like_contains(text);
    dispatch!(conn, c => {
        let mut query = legal_persons::table
            .filter(legal_persons::organization_id.eq(organization_id))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(LOWER(display_name) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR LOWER(COALESCE(legal_name, '')) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\')"),
            )
            .select(LegalPersonRow::as_select())
            .into_boxed();
        if let Some(status) = legal_person_status {
            query = query.filter(legal_persons::legal_person_status.eq(status));
        }
        query
            .order((legal_persons::created_at.desc(), legal_persons::id.desc()))
            .limit(limit)
            .load(c)
            .await
    })
}

/// A legal person as Griffin shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LegalPersonView {
    pub legal_person_url: String,
    pub legal_person_type: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_status: Option<String>,
    pub status_changed_at: String,
    pub created_at: String,
    pub legal_person_claims_url: String,
    pub legal_person_verifications_url: String,
    pub legal_person_decisions_url: String,
    pub legal_person_documents_url: String,
    pub legal_person_bank_payees_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_decision: Option<crate::decisions::DecisionView>,
}

/// The views of `rows`, each with its latest decision (one query for all).
pub async fn views(
    conn: &mut Conn<'_>,
    rows: Vec<LegalPersonRow>,
) -> QueryResult<Vec<LegalPersonView>> {
    let ids: Vec<LegalPersonId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut latest = crate::decisions::latest_for(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let decision = latest.remove(&row.id);
            LegalPersonView::new(row, decision)
        })
        .collect())
}

pub async fn view(conn: &mut Conn<'_>, row: LegalPersonRow) -> QueryResult<LegalPersonView> {
    views(conn, vec![row])
        .await?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

impl LegalPersonView {
    pub fn new(
        row: LegalPersonRow,
        latest_decision: Option<crate::decisions::DecisionView>,
    ) -> Self {
        let id = row.id;
        let url = urls::legal_person(&id);
        LegalPersonView {
            legal_person_claims_url: format!("{url}/claims"),
            legal_person_verifications_url: format!("{url}/verifications"),
            legal_person_decisions_url: format!("{url}/decisions"),
            legal_person_documents_url: format!("{url}/documents"),
            legal_person_bank_payees_url: format!("{url}/bank/payees"),
            legal_person_url: url,
            legal_person_type: row.legal_person_type,
            display_name: row.display_name,
            legal_name: row.legal_name,
            application_status: row.application_status,
            legal_person_status: row.legal_person_status,
            status_changed_at: time::format(row.status_changed_at),
            created_at: time::format(row.created_at),
            latest_decision,
        }
    }
}
