//! `/v0/bank/accounts/{id}/membership` and `…/membership-updates`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::view::PoolMemberView;
use super::{MAX_CHANGES, MembershipChange};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::{Links, Meta, list_request};
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, QueryParams, ok, path_id};
use crate::ids::{BankAccountKind, LegalPersonId};
use crate::legal_persons;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::urls;

/// What `include=` side-loads for the members: the legal persons themselves, and what the
/// legal-person list side-loads.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Included {
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_persons: Option<Vec<legal_persons::LegalPersonView>>,
    #[serde(flatten)]
    verifications: legal_persons::Included,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct MemberList {
    pool_members: Vec<PoolMemberView>,
    links: Links,
    meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

const INCLUDES: [&str; 3] = ["legal-person", "latest-verification", "latest-risk-rating"];

/// `GET /v0/bank/accounts/{bank-account-id}/membership`
pub async fn members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let page_request = list_request(&query, &[], &INCLUDES)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
    // Only pooled accounts have members; for others the list does not exist.
    if !account.pooled_funds {
        return Err(ApiError::not_found());
    }
    let page = super::list(&mut conn, &account.id, &page_request).await?;
    let ids: Vec<LegalPersonId> = page
        .items
        .iter()
        .map(|m| m.legal_person_id.clone())
        .collect();
    let included = included(&mut conn, &query, &ids).await?;
    let links = Links::new(&page, page.sort, request.path(), &query);
    let meta = Meta::total(super::count(&mut conn, &account.id).await?);
    Ok(ok(&MemberList {
        pool_members: page.items.into_iter().map(PoolMemberView::new).collect(),
        links,
        meta,
        included,
    }))
}

async fn included(
    conn: &mut Conn<'_>,
    query: &QueryParams,
    ids: &[LegalPersonId],
) -> ApiResult<Option<Included>> {
    let includes = query.includes();
    if includes.is_empty() {
        return Ok(None);
    }
    let legal_persons = if includes.contains(&"legal-person") {
        let rows = legal_persons::find_many(conn, ids).await?;
        Some(legal_persons::views(conn, rows).await?)
    } else {
        None
    };
    let verifications = legal_persons::verification_includes(conn, &includes, ids).await?;
    Ok(Some(Included {
        legal_persons,
        verifications,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MembershipUpdates {
    additions: Vec<String>,
    deletions: Vec<String>,
}

impl MembershipUpdates {
    /// Legal person URLs, at most [`MAX_CHANGES`] together, none both added and removed.
    fn parse(self) -> ApiResult<MembershipChange> {
        if self.additions.len() + self.deletions.len() > MAX_CHANGES {
            return Err(ApiError::invalid_body(
                "Invalid value",
                format!("At most {MAX_CHANGES} additions and deletions together in one update."),
                "/additions",
            ));
        }
        let additions = legal_person_urls(&self.additions, "additions")?;
        let deletions = legal_person_urls(&self.deletions, "deletions")?;
        if let Some(i) = deletions.iter().position(|d| additions.contains(d)) {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "A legal person cannot be both added and removed in one update.",
                format!("/deletions/{i}"),
            ));
        }
        Ok(MembershipChange {
            additions,
            deletions,
        })
    }
}

fn legal_person_urls(urls_in: &[String], field: &str) -> ApiResult<Vec<LegalPersonId>> {
    urls_in
        .iter()
        .enumerate()
        .map(|(i, url)| {
            url_id(
                url,
                urls::LEGAL_PERSONS,
                "legal person",
                format!("/{field}/{i}"),
            )
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Updated {
    pooled_account_memberships_url: String,
}

/// `POST /v0/bank/accounts/{bank-account-id}/membership-updates`: adds and removes members
/// in one transaction; a legal person both added and removed is a 400.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<MembershipUpdates>,
) -> ApiResult<Reply> {
    let change = body.parse()?;
    let id = path_id::<BankAccountKind>(&path)?;
    let reply = Write::new(&caller, Permission::PoolMembershipWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let account = granted.resource;
                super::change(conn, &account, &change).await?;
                Reply::ok(&Updated {
                    pooled_account_memberships_url: urls::bank_account_sub(
                        &account.id,
                        "membership",
                    ),
                })
            },
        )
        .await?;
    Ok(reply)
}
