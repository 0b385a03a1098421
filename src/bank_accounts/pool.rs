//! Pooled account membership: the legal persons whose money a pooled (safeguarding or
//! client money) account holds.

use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use super::BankAccountRow;
use crate::AppState;
use crate::dispatch;
use crate::http::pagination::{Links, list_request};
use crate::http::{ApiError, ApiResult, Caller, Json, QueryParams, ok};
use crate::ids::{BankAccountId, LegalPersonId, LegalPersonKind};
use crate::legal_persons;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::schema::{legal_persons as persons, pool_members};
use crate::time::{self, Micros};
use crate::urls;

/// Most additions plus deletions one update may carry.
pub const MAX_CHANGES: usize = 1000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pool_members, treat_none_as_default_value = false)]
pub struct PoolMemberRow {
    pub account_id: BankAccountId,
    pub legal_person_id: LegalPersonId,
    pub created_at: Micros,
}

async fn list(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    page: &PageRequest,
) -> QueryResult<Page<PoolMemberRow>> {
    let rows = dispatch!(conn, c => {
        let query = pool_members::table
            .filter(pool_members::account_id.eq(account_id))
            .select(PoolMemberRow::as_select())
            .into_boxed();
        paginate!(query, pool_members::created_at, pool_members::legal_person_id, page)
            .load(c)
            .await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, &row.legal_person_id)
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PoolMember {
    legal_person_url: String,
    created_at: String,
}

/// What `include=` side-loads for the members: the legal persons themselves, and what the
/// legal-person list side-loads.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Included {
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_persons: Option<Vec<legal_persons::LegalPersonView>>,
    #[serde(flatten)]
    verifications: legal_persons::handlers::Included,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct MemberList {
    pool_members: Vec<PoolMember>,
    links: Links,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

const INCLUDES: [&str; 3] = ["legal-person", "latest-verification", "latest-risk-rating"];

fn pooled(row: BankAccountRow) -> ApiResult<BankAccountRow> {
    if row.pooled_funds {
        Ok(row)
    } else {
        Err(ApiError::unprocessable(
            "account-not-pooled",
            format!(
                "{} does not hold pooled funds: it has no members.",
                row.url()
            ),
        ))
    }
}

/// `GET /v0/bank/accounts/{bank-account-id}/membership`
pub async fn members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &INCLUDES)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    // Only pooled accounts have members; for others the list does not exist.
    if !account.pooled_funds {
        return Err(ApiError::not_found());
    }
    let page = list(&mut conn, &account.id, &page_request).await?;
    let includes = query.includes();
    let included = if includes.is_empty() {
        None
    } else {
        let ids: Vec<LegalPersonId> = page
            .items
            .iter()
            .map(|m| m.legal_person_id.clone())
            .collect();
        let legal_persons = if includes.contains(&"legal-person") {
            let rows = legal_persons::find_many(&mut conn, &ids).await?;
            Some(legal_persons::views(&mut conn, rows).await?)
        } else {
            None
        };
        let verifications =
            legal_persons::handlers::verification_includes(&mut conn, &includes, &ids).await?;
        Some(Included {
            legal_persons,
            verifications,
        })
    };
    let links = Links::new(&page, page.sort, request.path(), &query);
    Ok(ok(&MemberList {
        pool_members: page
            .items
            .into_iter()
            .map(|m| PoolMember {
                legal_person_url: urls::legal_person(&m.legal_person_id),
                created_at: time::format(m.created_at),
            })
            .collect(),
        links,
        included,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MembershipUpdates {
    additions: Vec<String>,
    deletions: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Updated {
    pooled_account_memberships_url: String,
}

/// `POST /v0/bank/accounts/{bank-account-id}/membership-updates`: adds and removes members
/// in one transaction. Adding a member twice, or removing one that is not there, changes
/// nothing; a legal person both added and removed is a 400.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<MembershipUpdates>,
) -> ApiResult<HttpResponse> {
    if body.additions.len() + body.deletions.len() > MAX_CHANGES {
        return Err(ApiError::invalid_body(
            "Invalid value",
            format!("At most {MAX_CHANGES} additions and deletions together in one update."),
            "/additions",
        ));
    }
    let parse = |urls_in: &[String], field: &str| -> ApiResult<Vec<LegalPersonId>> {
        urls_in
            .iter()
            .enumerate()
            .map(|(i, url)| {
                urls::parse::<LegalPersonKind>(url, urls::LEGAL_PERSONS).ok_or_else(|| {
                    ApiError::invalid_body(
                        "Invalid value",
                        "Expected a legal person URL such as /v0/legal-persons/lp.….",
                        format!("/{field}/{i}"),
                    )
                })
            })
            .collect()
    };
    let additions = parse(&body.additions, "additions")?;
    let deletions = parse(&body.deletions, "deletions")?;
    if let Some(i) = deletions.iter().position(|d| additions.contains(d)) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "A legal person cannot be both added and removed in one update.",
            format!("/deletions/{i}"),
        ));
    }
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let account =
            super::for_write(&caller, &mut conn, &path, Permission::PoolMembershipWrite).await?;
        let account = pooled(account)?;
        let unique = crate::ids::distinct(additions.iter().cloned());
        let known: Vec<LegalPersonId> = if unique.is_empty() {
            Vec::new()
        } else {
            dispatch!(&mut conn, c => persons::table
                .filter(persons::id.eq_any(&unique))
                .filter(persons::organization_id.eq(&account.organization_id))
                .select(persons::id)
                .load(c)
                .await)?
        };
        if let Some(i) = additions.iter().position(|id| !known.contains(id)) {
            return Err(ApiError::unprocessable(
                "legal-person-not-found",
                format!(
                    "{} is not a legal person of this organization.",
                    body.additions[i]
                ),
            )
            .with_pointer(format!("/additions/{i}")));
        }
        let now = time::now();
        let rows: Vec<PoolMemberRow> = unique
            .iter()
            .map(|id| PoolMemberRow {
                account_id: account.id.clone(),
                legal_person_id: id.clone(),
                created_at: now,
            })
            .collect();
        for row in &rows {
            dispatch!(&mut conn, c => diesel::insert_into(pool_members::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)
                .await)?;
        }
        if !deletions.is_empty() {
            dispatch!(&mut conn, c => diesel::delete(
                    pool_members::table
                        .filter(pool_members::account_id.eq(&account.id))
                        .filter(pool_members::legal_person_id.eq_any(&deletions)),
                )
                .execute(c)
                .await)?;
        }
        Ok::<_, ApiError>(account)
    }
    .await;
    let account = tx.finish(result).await?;
    Ok(ok(&Updated {
        pooled_account_memberships_url: urls::bank_account_sub(&account.id, "membership"),
    }))
}
