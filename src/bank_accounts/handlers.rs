//! `/v0/bank/accounts/…`, opening accounts in an organization or with a product, and the
//! account lists.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{
    AccountOpening, BankAccountRow, BankAccountView, ClientMoneyType, DISPLAY_NAME, Filter,
    ProductType, SavingsType,
};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::pagination::list_request_sorted;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, ok, path_id};
use crate::ids::{
    BankAccountKind, BankProductKind, LegalPersonId, LegalPersonKind, OrganizationId,
    OrganizationKind,
};
use crate::legal_persons::{self, LegalPersonRow};
use crate::organizations::{self, OrganizationRow};
use crate::paging::CREATED_AT;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::urls;

/// `POST /v0/organizations/{organization-id}/bank/accounts`: the body is a union on
/// `bank-product-type`, each member with its own parties.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OpenAccount {
    bank_product_type: ProductType,
    display_name: Option<String>,
    owner_url: Option<String>,
    beneficiary_url: Option<String>,
    savings_type: Option<SavingsType>,
    pooled_funds: Option<bool>,
    client_money_type: Option<ClientMoneyType>,
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

/// A legal person's URL in the body, at `/field`.
fn party_url(url: Option<&String>, field: &str) -> ApiResult<Option<LegalPersonId>> {
    url.map(|url| {
        url_id(
            url,
            urls::LEGAL_PERSONS,
            "legal person",
            format!("/{field}"),
        )
    })
    .transpose()
}

impl OpenAccount {
    /// The union's rules: which fields each product requires and allows.
    fn parse(self) -> ApiResult<AccountOpening> {
        let product = self.bank_product_type;
        if let Some(name) = &self.display_name {
            organizations::check_display_name(name)?;
        }
        let why = format!("for a {product}");
        if product != ProductType::Savings && self.savings_type.is_some() {
            return Err(not_allowed("savings-type", &why));
        }
        let pooling = matches!(
            product,
            ProductType::Safeguarding | ProductType::ClientMoney
        );
        if !pooling && self.pooled_funds.is_some() {
            return Err(not_allowed("pooled-funds", &why));
        }
        if product != ProductType::ClientMoney && self.client_money_type.is_some() {
            return Err(not_allowed("client-money-type", &why));
        }
        let parties = (self.owner_url.is_some(), self.beneficiary_url.is_some());
        let pooled_funds = match product {
            ProductType::Operational => operational_parties(parties, &why)?,
            ProductType::Embedded => embedded_parties(parties, &why)?,
            ProductType::Savings => savings_parties(self.savings_type, parties, &why)?,
            ProductType::Safeguarding | ProductType::ClientMoney => {
                pooled_parties(self.pooled_funds, parties, &why)?
            }
        };
        Ok(AccountOpening {
            product,
            savings_type: self.savings_type,
            client_money_type: self.client_money_type,
            pooled_funds,
            display_name: self.display_name,
            owner: party_url(self.owner_url.as_ref(), "owner-url")?,
            beneficiary: party_url(self.beneficiary_url.as_ref(), "beneficiary-url")?,
        })
    }
}

/// Whether the body named an owner and a beneficiary.
type Parties = (bool, bool);

fn operational_parties((owner, beneficiary): Parties, why: &str) -> ApiResult<bool> {
    if owner {
        return Err(not_allowed(
            "owner-url",
            "for an operational account: the organization owns it",
        ));
    }
    if beneficiary {
        return Err(not_allowed("beneficiary-url", why));
    }
    Ok(false)
}

fn embedded_parties((owner, beneficiary): Parties, why: &str) -> ApiResult<bool> {
    if !owner {
        return Err(missing("owner-url", why));
    }
    if beneficiary {
        return Err(not_allowed("beneficiary-url", why));
    }
    Ok(false)
}

fn savings_parties(
    kind: Option<SavingsType>,
    (owner, beneficiary): Parties,
    why: &str,
) -> ApiResult<bool> {
    match kind.ok_or_else(|| missing("savings-type", why))? {
        SavingsType::EasyAccess if !owner => {
            return Err(missing("owner-url", "for an easy-access savings account"));
        }
        SavingsType::BareTrust if owner => {
            return Err(not_allowed("owner-url", "for a bare-trust savings account"));
        }
        _ => {}
    }
    if beneficiary {
        return Err(not_allowed("beneficiary-url", why));
    }
    Ok(false)
}

/// Safeguarding and client money: pooled, or dedicated to one beneficiary.
fn pooled_parties(pooled: Option<bool>, (_, beneficiary): Parties, why: &str) -> ApiResult<bool> {
    let pooled = pooled.ok_or_else(|| missing("pooled-funds", why))?;
    if pooled && beneficiary {
        return Err(not_allowed("beneficiary-url", "for a pooled account"));
    }
    if !pooled && !beneficiary {
        return Err(missing(
            "beneficiary-url",
            "for a dedicated (not pooled) account",
        ));
    }
    Ok(pooled)
}

/// Opens the account in the organization, through the write pipeline.
async fn open_in(
    state: &AppState,
    caller: &Caller,
    organization_id: &OrganizationId,
    opening: AccountOpening,
) -> ApiResult<Reply> {
    let delay = crate::time::micros(state.settings.account_opening);
    let test_money = state.settings.test_money;
    let reply = Write::new(caller, Permission::BankAccountsWrite)
        .run(
            &state.db,
            organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::open(conn, &granted.resource, opening, delay, test_money).await?;
                let view = BankAccountView::new(&row);
                Reply::created(&view.account_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/organizations/{organization-id}/bank/accounts`
pub async fn open(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<OpenAccount>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let opening = body.parse()?;
    open_in(&state, &caller, &organization_id, opening).await
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
) -> ApiResult<Reply> {
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
    let opening = OpenAccount {
        bank_product_type: product_type,
        pooled_funds: pooled.then_some(body.beneficiary_url.is_none()),
        savings_type: (product_type == ProductType::Savings).then_some(
            if body.owner_url.is_some() {
                SavingsType::EasyAccess
            } else {
                SavingsType::BareTrust
            },
        ),
        display_name: body.display_name,
        owner_url: body.owner_url,
        beneficiary_url: body.beneficiary_url,
        client_money_type: None,
    }
    .parse()?;
    open_in(&state, &caller, &organization_id, opening).await
}

/// `GET /v0/bank/accounts/{bank-account-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: BankAccountRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    let view = BankAccountView::new(&row);
    Ok(crate::http::ok_at(&view.account_url, &view))
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
) -> ApiResult<Reply> {
    organizations::check_display_name(&body.display_name)?;
    let id = path_id::<BankAccountKind>(&path)?;
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let row = super::rename(conn, granted.resource, body.display_name).await?;
                let view = BankAccountView::new(&row);
                Reply::ok_at(&view.account_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/bank/accounts/{bank-account-id}/actions/close`
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<BankAccountKind>(&path)?;
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let row = super::close(conn, &granted.resource, crate::time::now()).await?;
                let view = BankAccountView::new(&row);
                Reply::ok_at(&view.account_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `created-at` or `display-name`, the sorts bank account lists offer.
const SORTS: [&str; 2] = [CREATED_AT, DISPLAY_NAME];

const FILTERS: [&str; 6] = [
    "filter[account-status][in][]",
    "filter[bank-product-type][in][]",
    "filter[pooled-funds][eq]",
    "filter[account-restricted][eq]",
    "filter[owner-url][eq]",
    "filter[beneficiary-url][eq]",
];
/// Griffin's older names of these filters, still sent by 2024 clients.
const ALIASES: [(&str, &str); 3] = [
    ("filter[owner][eq]", "filter[owner-url][eq]"),
    ("filter[beneficiary][eq]", "filter[beneficiary-url][eq]"),
    (
        "filter[account-restricted][in][]",
        "filter[account-restricted][eq]",
    ),
];
const INCLUDES: [&str; 2] = ["owner", "beneficiary"];

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
        statuses: query.enum_list("filter[account-status][in][]")?,
        product_types: query.enum_list("filter[bank-product-type][in][]")?,
        pooled_funds: query.bool_eq("filter[pooled-funds][eq]")?,
        restricted: query.bool_eq("filter[account-restricted][eq]")?,
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
        .organization(&mut conn, organization_id, Permission::Read)
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
    let query = query.aliased(&ALIASES);
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
    let id = path_id::<LegalPersonKind>(&path)?;
    let person: LegalPersonRow = {
        let mut conn = state.db.read().await?;
        caller.read(&mut conn.conn(), &id, Permission::Read).await?
    };
    let query = query.aliased(&ALIASES);
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
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let rows = super::search(&mut conn, &organization_id, number, SEARCH_LIMIT).await?;
    Ok(ok(&SearchResults {
        meta: serde_json::json!({"page": {"total": rows.len()}}),
        search_results: rows.iter().map(BankAccountView::new).collect(),
    }))
}
