use crate::ids::OrganizationId;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{
    BankAccountRow, BankAccountView, CLIENT_MONEY, CloseRefusal, EMBEDDED, Filter, NewAccount,
    OPERATIONAL, PRODUCT_TYPES, SAFEGUARDING, SAVINGS, SORTS, STATUSES,
};
use crate::AppState;
use crate::http::pagination::list_request_sorted;
use crate::http::{ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, ok, path_id};
use crate::ids::{BankProductKind, LegalPersonId, LegalPersonKind, OrganizationKind};
use crate::legal_persons::{self, LegalPersonRow};
use crate::organizations::{self, OrganizationRow};
use crate::roles::Permission;
use crate::store::Conn;
use crate::urls;

/// `POST /v0/organizations/{organization-id}/bank/accounts`: the body is a union on
/// `bank-product-type`, each member with its own parties.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OpenAccount {
    bank_product_type: String,
    display_name: Option<String>,
    owner_url: Option<String>,
    beneficiary_url: Option<String>,
    savings_type: Option<String>,
    pooled_funds: Option<bool>,
    client_money_type: Option<String>,
}

const CLIENT_MONEY_TYPES: [&str; 3] = [
    "designated-client-fund",
    "designated-client-money",
    "general-client-money",
];

/// What an opening request asks for, before its parties are looked up.
struct Request {
    bank_product_type: &'static str,
    display_name: Option<String>,
    owner_url: Option<String>,
    beneficiary_url: Option<String>,
    savings_type: Option<&'static str>,
    pooled_funds: bool,
    client_money_type: Option<String>,
}

fn missing(field: &str, why: &str) -> ApiError {
    ApiError::invalid_body(
        "Missing field",
        format!("`{field}` is required {why}."),
        format!("/{field}"),
    )
}

fn not_allowed(field: &str, why: &str) -> ApiError {
    ApiError::invalid_body(
        "Invalid value",
        format!("`{field}` is not allowed {why}."),
        format!("/{field}"),
    )
}

impl OpenAccount {
    /// Checks the union's rules: which fields each member requires and allows.
    fn check(self) -> ApiResult<Request> {
        let product = PRODUCT_TYPES
            .into_iter()
            .find(|t| *t == self.bank_product_type)
            .ok_or_else(|| {
                ApiError::invalid_body(
                    "Invalid enum value",
                    format!(
                        "`bank-product-type` must be one of {}.",
                        PRODUCT_TYPES.join(", ")
                    ),
                    "/bank-product-type",
                )
            })?;
        if let Some(name) = &self.display_name {
            organizations::check_display_name(name)?;
        }
        let why = format!("for a {product}");
        if product != SAVINGS && self.savings_type.is_some() {
            return Err(not_allowed("savings-type", &why));
        }
        if product != SAFEGUARDING && product != CLIENT_MONEY && self.pooled_funds.is_some() {
            return Err(not_allowed("pooled-funds", &why));
        }
        if product != CLIENT_MONEY && self.client_money_type.is_some() {
            return Err(not_allowed("client-money-type", &why));
        }
        if let Some(kind) = &self.client_money_type
            && !CLIENT_MONEY_TYPES.contains(&kind.as_str())
        {
            return Err(ApiError::invalid_body(
                "Invalid enum value",
                format!(
                    "`client-money-type` must be one of {}.",
                    CLIENT_MONEY_TYPES.join(", ")
                ),
                "/client-money-type",
            ));
        }
        let mut savings_type = None;
        let mut pooled_funds = false;
        match product {
            OPERATIONAL => {
                if self.owner_url.is_some() {
                    return Err(not_allowed(
                        "owner-url",
                        "for an operational account: the organization owns it",
                    ));
                }
                if self.beneficiary_url.is_some() {
                    return Err(not_allowed("beneficiary-url", &why));
                }
            }
            EMBEDDED => {
                if self.owner_url.is_none() {
                    return Err(missing("owner-url", &why));
                }
                if self.beneficiary_url.is_some() {
                    return Err(not_allowed("beneficiary-url", &why));
                }
            }
            SAVINGS => {
                let kind = self
                    .savings_type
                    .as_deref()
                    .ok_or_else(|| missing("savings-type", &why))?;
                match kind {
                    "easy-access" if self.owner_url.is_none() => {
                        return Err(missing("owner-url", "for an easy-access savings account"));
                    }
                    "easy-access" => savings_type = Some("easy-access"),
                    "bare-trust" if self.owner_url.is_some() => {
                        return Err(not_allowed("owner-url", "for a bare-trust savings account"));
                    }
                    "bare-trust" => savings_type = Some("bare-trust"),
                    _ => {
                        return Err(ApiError::invalid_body(
                            "Invalid enum value",
                            "`savings-type` must be easy-access or bare-trust.",
                            "/savings-type",
                        ));
                    }
                }
                if self.beneficiary_url.is_some() {
                    return Err(not_allowed("beneficiary-url", &why));
                }
            }
            _ => {
                // Safeguarding and client money: pooled, or dedicated to one beneficiary.
                pooled_funds = self
                    .pooled_funds
                    .ok_or_else(|| missing("pooled-funds", &why))?;
                if pooled_funds && self.beneficiary_url.is_some() {
                    return Err(not_allowed("beneficiary-url", "for a pooled account"));
                }
                if !pooled_funds && self.beneficiary_url.is_none() {
                    return Err(missing(
                        "beneficiary-url",
                        "for a dedicated (not pooled) account",
                    ));
                }
            }
        }
        Ok(Request {
            bank_product_type: product,
            display_name: self.display_name,
            owner_url: self.owner_url,
            beneficiary_url: self.beneficiary_url,
            savings_type,
            pooled_funds,
            client_money_type: self.client_money_type,
        })
    }
}

/// The legal person a body's URL names, which must be the organization's.
async fn party(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    url: &str,
    pointer: &str,
) -> ApiResult<LegalPersonRow> {
    let id = urls::parse::<LegalPersonKind>(url, urls::LEGAL_PERSONS).ok_or_else(|| {
        ApiError::invalid_body(
            "Invalid value",
            "Expected a legal person URL such as /v0/legal-persons/lp.….",
            pointer,
        )
    })?;
    legal_persons::find(conn, &id)
        .await?
        .filter(|person| person.organization_id == *organization_id)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "legal-person-not-found",
                format!("{url} is not a legal person of this organization."),
            )
            .with_pointer(pointer)
        })
}

/// Opens the account a checked request describes, inside the caller's transaction.
async fn open_checked(
    state: &AppState,
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    request: Request,
) -> ApiResult<BankAccountRow> {
    let owner = match &request.owner_url {
        Some(url) => party(conn, &organization.id, url, "/owner-url").await?,
        None => legal_persons::find(conn, &organization.own_legal_person_id)
            .await?
            .ok_or_else(ApiError::not_found)?,
    };
    let beneficiary_id = match &request.beneficiary_url {
        Some(url) => Some(
            party(conn, &organization.id, url, "/beneficiary-url")
                .await?
                .id,
        ),
        None => None,
    };
    let new = NewAccount {
        bank_product_type: request.bank_product_type,
        client_money_type: request.client_money_type,
        savings_type: request.savings_type,
        pooled_funds: request.pooled_funds,
        display_name: request.display_name,
        owner_name: owner
            .legal_name
            .clone()
            .unwrap_or(owner.display_name.clone()),
        owner_id: owner.id,
        beneficiary_id,
    };
    let delay = crate::time::micros(state.settings.account_opening);
    Ok(super::open(conn, organization, new, delay, state.settings.test_money).await?)
}

async fn open_in(
    state: &AppState,
    caller: &Caller,
    organization_id: &OrganizationId,
    request: Request,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        caller
            .fresh_access(&mut conn, organization_id, Permission::BankAccountsWrite)
            .await?;
        let organization = organizations::find(&mut conn, organization_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        open_checked(state, &mut conn, &organization, request).await
    }
    .await;
    let view = BankAccountView::new(&tx.finish(result).await?);
    Ok(created(&view.account_url.clone(), &view))
}

/// `POST /v0/organizations/{organization-id}/bank/accounts`
pub async fn open(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<OpenAccount>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let request = body.check()?;
    open_in(&state, &caller, &organization_id, request).await
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OpenWithProduct {
    display_name: Option<String>,
    owner_url: Option<String>,
    beneficiary_url: Option<String>,
}

/// `POST /v0/bank/products/{bank-product-id}/accounts`: the product decides the account's
/// type; pooled products hold pooled funds unless a beneficiary is named, and a savings
/// account is easy-access for its owner, or a bare trust without one.
pub async fn open_with_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<OpenWithProduct>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankProductKind>(&path)?;
    let (product, organization_id) = {
        let mut conn = state.db.read().await?;
        let visible = caller.visible_organizations(&mut conn.conn()).await?;
        let (product, organization_id) =
            crate::bank_products::find(&id, &visible).ok_or_else(ApiError::not_found)?;
        (product, organization_id.clone())
    };
    let product_type = product.account_type;
    let pooled = product.funding_type == crate::bank_products::FundingType::Pooled;
    let request = OpenAccount {
        bank_product_type: product_type.to_string(),
        pooled_funds: pooled.then_some(body.beneficiary_url.is_none()),
        savings_type: (product_type == SAVINGS).then(|| {
            if body.owner_url.is_some() {
                "easy-access".to_string()
            } else {
                "bare-trust".to_string()
            }
        }),
        display_name: body.display_name,
        owner_url: body.owner_url,
        beneficiary_url: body.beneficiary_url,
        client_money_type: None,
    }
    .check()?;
    open_in(&state, &caller, &organization_id, request).await
}

/// `GET /v0/bank/accounts/{bank-account-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<BankAccountRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&BankAccountView::new(&row)))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Rename {
    display_name: String,
}

/// `PATCH /v0/bank/accounts/{bank-account-id}`: the display name is all that can change.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Rename>,
) -> ApiResult<HttpResponse> {
    organizations::check_display_name(&body.display_name)?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let mut row =
            super::for_write(&caller, &mut conn, &path, Permission::BankAccountsWrite).await?;
        super::rename(&mut conn, &row.id, &body.display_name).await?;
        row.display_name = body.display_name.clone();
        Ok::<_, ApiError>(row)
    }
    .await;
    Ok(ok(&BankAccountView::new(&tx.finish(result).await?)))
}

/// `POST /v0/bank/accounts/{bank-account-id}/actions/close`
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let row =
            super::for_write(&caller, &mut conn, &path, Permission::BankAccountsWrite).await?;
        let url = row.url();
        super::request_close(&mut conn, &row, crate::time::now())
            .await?
            .map_err(|refusal| match refusal {
                CloseRefusal::Primary => ApiError::unprocessable(
                    "primary-account-not-closeable",
                    format!("{url} is the organization's primary account, which stays open."),
                ),
                CloseRefusal::NotOpen => ApiError::unprocessable(
                    "account-not-open",
                    format!("{url} has not opened yet."),
                ),
                CloseRefusal::AlreadyClosing => ApiError::unprocessable(
                    "account-already-closing",
                    format!("{url} is already closing."),
                ),
                CloseRefusal::AlreadyClosed => ApiError::unprocessable(
                    "account-already-closed",
                    format!("{url} is already closed."),
                ),
            })
    }
    .await;
    Ok(ok(&BankAccountView::new(&tx.finish(result).await?)))
}

const FILTERS: [&str; 6] = [
    "filter[account-status][in][]",
    "filter[bank-product-type][in][]",
    "filter[pooled-funds][eq]",
    "filter[account-restricted][eq]",
    "filter[owner-url][eq]",
    "filter[beneficiary-url][eq]",
];
const INCLUDES: [&str; 2] = ["owner", "beneficiary"];

fn parse_bool(query: &QueryParams, key: &str) -> ApiResult<Option<bool>> {
    match query.single(key)? {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_parameter(
            key,
            format!("`{key}` must be true or false."),
        )),
    }
}

fn parse_party(query: &QueryParams, key: &str) -> ApiResult<Option<LegalPersonId>> {
    query
        .single(key)?
        .map(|url| {
            urls::parse::<LegalPersonKind>(url, urls::LEGAL_PERSONS).ok_or_else(|| {
                ApiError::invalid_parameter(key, format!("`{key}` must be a legal person URL."))
            })
        })
        .transpose()
}

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    Ok(Filter {
        statuses: query.enum_list("filter[account-status][in][]", &STATUSES)?,
        product_types: query.enum_list("filter[bank-product-type][in][]", &PRODUCT_TYPES)?,
        pooled_funds: parse_bool(query, "filter[pooled-funds][eq]")?,
        restricted: parse_bool(query, "filter[account-restricted][eq]")?,
        owner_id: parse_party(query, "filter[owner-url][eq]")?,
        beneficiary_id: parse_party(query, "filter[beneficiary-url][eq]")?,
        party_id: None,
    })
}

/// What `include=owner|beneficiary` side-loads: the accounts' parties.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Included {
    legal_persons: Vec<crate::legal_persons::LegalPersonView>,
}

#[derive(Serialize)]
struct AccountList {
    #[serde(flatten)]
    list: ListBody<BankAccountView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

async fn included(
    conn: &mut Conn<'_>,
    query: &QueryParams,
    rows: &[BankAccountRow],
) -> ApiResult<Option<Included>> {
    let includes = query.includes();
    if includes.is_empty() {
        return Ok(None);
    }
    let mut ids: Vec<LegalPersonId> = Vec::new();
    for row in rows {
        if includes.contains(&"owner") {
            ids.push(row.owner_id.clone());
        }
        if includes.contains(&"beneficiary")
            && let Some(beneficiary) = &row.beneficiary_id
        {
            ids.push(beneficiary.clone());
        }
    }
    let persons = legal_persons::find_many(conn, &crate::ids::distinct(ids)).await?;
    Ok(Some(Included {
        legal_persons: legal_persons::views(conn, persons).await?,
    }))
}

async fn list_in(
    state: &AppState,
    caller: &Caller,
    organization_id: &OrganizationId,
    mut filter: Filter,
    party_id: Option<LegalPersonId>,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request_sorted(query, &FILTERS, &INCLUDES, &SORTS)?;
    filter.party_id = party_id;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id, Permission::Read)
        .await?;
    let page = super::list(&mut conn, organization_id, &filter, &page_request).await?;
    let included = included(&mut conn, query, &page.items).await?;
    Ok(ok(&AccountList {
        list: ListBody::new(
            "accounts",
            page.map(|row| BankAccountView::new(&row)),
            request.path(),
            query,
        ),
        included,
    }))
}

/// `GET /v0/organizations/{organization-id}/bank/accounts`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let filter = parse_filter(&query)?;
    list_in(
        &state,
        &caller,
        &organization_id,
        filter,
        None,
        &request,
        &query,
    )
    .await
}

/// `GET /v0/legal-persons/{legal-person-id}/bank/accounts` (ours): the accounts a customer
/// owns or is the beneficiary of, with the same filters, sorts and includes.
pub async fn list_for_legal_person(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let person = {
        let mut conn = state.db.read().await?;
        caller
            .visible::<LegalPersonRow>(&mut conn.conn(), &path, Permission::Read)
            .await?
    };
    let filter = parse_filter(&query)?;
    list_in(
        &state,
        &caller,
        &person.organization_id,
        filter,
        Some(person.id),
        &request,
        &query,
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Search {
    search_query: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SearchResults {
    search_results: Vec<BankAccountView>,
    meta: serde_json::Value,
}

const SEARCH_LIMIT: i64 = 200;

/// `POST /v0/organizations/{organization-id}/bank/accounts/search`: by account number,
/// exact or a prefix of at least one digit; at most 200 results, newest first.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: QueryParams,
    Json(body): Json<Search>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    query.check_known(&[])?;
    query.check_includes(&[])?;
    let number = body.search_query.trim();
    if number.is_empty() || number.len() > 8 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`search-query` must be an account number, or its first digits (1 to 8 digits).",
            "/search-query",
        ));
    }
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let rows = super::search(&mut conn, &organization_id, number, SEARCH_LIMIT).await?;
    Ok(ok(&SearchResults {
        meta: serde_json::json!({"page": {"total": rows.len()}}),
        search_results: rows.iter().map(BankAccountView::new).collect(),
    }))
}
