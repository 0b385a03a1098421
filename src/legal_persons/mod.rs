//! Legal persons: the individuals and corporations an organization banks for, and the
//! organization itself (its own legal person, created with it).

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::claims::{self, NewClaim};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{LegalPersonId, OrganizationId};
use crate::organizations::OrganizationRow;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::legal_persons;
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};

pub use view::{Included, LegalPersonView, verification_includes, views};

crate::text_enum! {
    pub enum LegalPersonType {
        Individual = "individual",
        Corporation = "corporation",
    }
}

crate::text_enum! {
    /// Where the legal person's latest application stands (Griffin's values; none until it
    /// applies).
    pub enum ApplicationStatus {
        Referred = "referred",
        Errored = "errored",
        Declined = "declined",
        Submitted = "submitted",
        Accepted = "accepted",
    }
}

crate::text_enum! {
    /// Where the legal person stands as a customer (Griffin's values; none until it applies).
    pub enum LegalPersonStatus {
        Onboarding = "onboarding",
        Onboarded = "onboarded",
        OnboardingDeclined = "onboarding-declined",
        Verified = "verified",
        Restricted = "restricted",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = legal_persons, treat_none_as_default_value = false)]
pub struct LegalPersonRow {
    pub id: LegalPersonId,
    pub organization_id: OrganizationId,
    pub legal_person_type: LegalPersonType,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub application_status: Option<ApplicationStatus>,
    pub legal_person_status: Option<LegalPersonStatus>,
    pub status_changed_at: Micros,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for LegalPersonRow {
    type Kind = crate::ids::LegalPersonKind;

    async fn find(conn: &mut Conn<'_>, id: &LegalPersonId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub const STATUS_CHANGED_AT: &str = "status-changed-at";

impl LegalPersonRow {
    /// The position of the row under `sort` (`created-at` or `status-changed-at`).
    pub fn cursor(&self, sort: &str) -> Cursor {
        let key = if sort == STATUS_CHANGED_AT {
            self.status_changed_at
        } else {
            self.created_at
        };
        Cursor::new(key, self.id.as_str())
    }
}

/// A legal person's display name follows the organization's rules.
pub use crate::organizations::DisplayName;

/// A legal person a request describes, with the claims made about it from the start.
#[derive(Debug, Clone)]
pub struct NewLegalPerson {
    pub legal_person_type: LegalPersonType,
    pub display_name: DisplayName,
    pub claims: Vec<NewClaim>,
}

/// A new legal person of the organization, not yet in any application.
pub fn new_row(
    id: LegalPersonId,
    organization_id: &OrganizationId,
    legal_person_type: LegalPersonType,
    display_name: &str,
) -> LegalPersonRow {
    let now = time::now();
    LegalPersonRow {
        id,
        organization_id: organization_id.clone(),
        legal_person_type,
        display_name: display_name.to_string(),
        legal_name: None,
        application_status: None,
        legal_person_status: None,
        status_changed_at: now,
        created_at: now,
        updated_at: now,
    }
}

/// Creates a legal person of `organization` with its claims; the claims may give it a legal
/// name.
pub async fn create(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    new: NewLegalPerson,
) -> DomainResult<LegalPersonRow> {
    create_with_id(conn, organization, LegalPersonId::generate(), new).await
}

/// [`create`] under an id chosen beforehand (one the request's own claims may name).
pub async fn create_with_id(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    id: LegalPersonId,
    new: NewLegalPerson,
) -> DomainResult<LegalPersonRow> {
    let row = new_row(
        id,
        &organization.id,
        new.legal_person_type,
        new.display_name.as_str(),
    );
    insert(conn, &row).await?;
    claims::add(conn, &row, &new.claims).await?;
    Ok(find(conn, &row.id).await?.unwrap_or(row))
}

/// Gives the legal person a new display name.
pub async fn rename(
    conn: &mut Conn<'_>,
    mut person: LegalPersonRow,
    display_name: DisplayName,
) -> DomainResult<LegalPersonRow> {
    set_display_name(conn, &person.id, display_name.as_str()).await?;
    person.display_name = display_name.into_string();
    Ok(person)
}

pub async fn insert(conn: &mut Conn<'_>, row: &LegalPersonRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(legal_persons::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn find(conn: &mut Conn<'_>, id: &LegalPersonId) -> QueryResult<Option<LegalPersonRow>> {
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
    id: &LegalPersonId,
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

pub async fn set_display_name(
    conn: &mut Conn<'_>,
    id: &LegalPersonId,
    display_name: &str,
) -> QueryResult<()> {
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

/// Moves the legal person's application and customer statuses, as of `now`.
pub async fn set_statuses(
    conn: &mut Conn<'_>,
    id: &LegalPersonId,
    application_status: ApplicationStatus,
    legal_person_status: LegalPersonStatus,
    now: Micros,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(legal_persons::table.find(id))
        .set((
            legal_persons::application_status.eq(application_status),
            legal_persons::legal_person_status.eq(legal_person_status),
            legal_persons::status_changed_at.eq(now),
            legal_persons::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub application_status: Option<ApplicationStatus>,
    pub legal_person_statuses: Vec<LegalPersonStatus>,
    /// Only legal persons that have an application status.
    pub has_application_status: bool,
}

/// `query` (boxed, of legal persons) narrowed by `filter`.
macro_rules! filtered {
    ($query:expr, $filter:expr) => {{
        let (mut query, filter) = ($query, $filter);
        if let Some(status) = filter.application_status {
            query = query.filter(legal_persons::application_status.eq(status));
        }
        if !filter.legal_person_statuses.is_empty() {
            query = query.filter(
                legal_persons::legal_person_status.eq_any(filter.legal_person_statuses.clone()),
            );
        }
        if filter.has_application_status {
            query = query.filter(legal_persons::application_status.is_not_null());
        }
        query
    }};
}

/// How many legal persons of the organization `filter` lets through, counted up to
/// [`crate::paging::TOTAL_CAP`].
pub async fn count(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    filter: &Filter,
) -> QueryResult<i64> {
    let ids: Vec<LegalPersonId> = dispatch!(conn, c => {
        let query = legal_persons::table
            .filter(legal_persons::organization_id.eq(organization_id))
            .select(legal_persons::id)
            .into_boxed();
        filtered!(query, filter).limit(crate::paging::TOTAL_CAP).load(c).await
    })?;
    Ok(ids.len() as i64)
}

pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<LegalPersonRow>> {
    let rows = dispatch!(conn, c => {
        let query = legal_persons::table
            .filter(legal_persons::organization_id.eq(organization_id))
            .select(LegalPersonRow::as_select())
            .into_boxed();
        let query = filtered!(query, filter);
        if page.sort == STATUS_CHANGED_AT {
            paginate!(query, legal_persons::status_changed_at, legal_persons::id, page).load(c).await
        } else {
            paginate!(query, legal_persons::created_at, legal_persons::id, page).load(c).await
        }
    })?;
    Ok(Page::from_rows(rows, page, |row| row.cursor(page.sort)))
}

/// Text to search display and legal names for: not empty once trimmed.
#[derive(Debug, Clone)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(text: &str) -> DomainResult<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid_value(
                "`search-query` must not be empty.",
                "/search-query",
            ));
        }
        Ok(SearchText(text.to_string()))
    }
}

/// Legal persons of the organization whose display or legal name contains `text` (any
/// case), newest first, at most `limit`.
pub async fn search(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    text: &SearchText,
    legal_person_status: Option<LegalPersonStatus>,
    limit: i64,
) -> QueryResult<Vec<LegalPersonRow>> {
    let pattern = crate::store::like_contains(&text.0);
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
