//! The HTTP foundation shared by every area: errors, auth, JSON bodies, query strings,
//! pagination, the route table and content negotiation.

pub mod error;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod negotiation;
pub mod pagination;
pub mod query;

use actix_web::body::BoxBody;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Route, web};
use serde::Serialize;

use crate::store::idempotency::{Reply, ReplyStatus};

pub use error::{ApiError, ApiResult};
pub use json::{Json, url_id};
pub use negotiation::{Offers, Representation, negotiate};
pub use pagination::{ListBody, list_request};
pub use query::QueryParams;

/// 200 with a JSON body.
pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// 200 with a JSON body and `Location` naming the resource, on the reads Griffin documents
/// one for (an organization, a bank account, a bank product).
pub fn ok_at<T: Serialize>(location: &str, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// 201 with a JSON body and `Location` pointing at the new resource.
pub fn created<T: Serialize>(location: &str, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// A write's reply, as the write pipeline built it (or replayed it for a retry).
impl actix_web::Responder for Reply {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let status = match self.status {
            ReplyStatus::Ok => StatusCode::OK,
            ReplyStatus::Created => StatusCode::CREATED,
            ReplyStatus::NoContent => return HttpResponse::NoContent().finish(),
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/json");
        if let Some(location) = &self.location {
            response.insert_header((header::LOCATION, location.as_str()));
        }
        response.body(self.body)
    }
}

/// One path and the methods it serves. The route table is a list of these, so the same list
/// registers the routes, answers 405 with `Allow`, and is checked against `openapi.yaml`.
pub struct Endpoint {
    pub path: &'static str,
    routes: Vec<(Method, Route)>,
    /// Media types besides JSON that a method answers with (see [`negotiation`]).
    also_produces: Vec<(Method, &'static str)>,
}

impl Endpoint {
    pub fn new(path: &'static str) -> Self {
        Endpoint {
            path,
            routes: Vec::new(),
            also_produces: Vec::new(),
        }
    }

    /// `method` also answers with `media_type` when the client prefers it to JSON; its
    /// handler reads the choice as a [`Representation`].
    pub fn also_produces(mut self, method: Method, media_type: &'static str) -> Self {
        self.also_produces.push((method, media_type));
        self
    }

    /// `(method, media type)` of what this path answers besides JSON.
    pub fn produces(&self) -> &[(Method, &'static str)] {
        &self.also_produces
    }

    pub fn route(mut self, method: Method, route: Route) -> Self {
        self.routes.push((method.clone(), route.method(method)));
        self
    }

    pub fn get(self, route: Route) -> Self {
        self.route(Method::GET, route)
    }

    pub fn post(self, route: Route) -> Self {
        self.route(Method::POST, route)
    }

    pub fn put(self, route: Route) -> Self {
        self.route(Method::PUT, route)
    }

    pub fn patch(self, route: Route) -> Self {
        self.route(Method::PATCH, route)
    }

    pub fn delete(self, route: Route) -> Self {
        self.route(Method::DELETE, route)
    }

    pub fn methods(&self) -> Vec<Method> {
        self.routes.iter().map(|(m, _)| m.clone()).collect()
    }

    /// Registers the path in a scope that serves `prefix` (a leading part of the path); any
    /// other method gets 405 with `Allow`.
    pub fn register(self, config: &mut web::ServiceConfig, prefix: &str) {
        let allow = self
            .routes
            .iter()
            .map(|(m, _)| m.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let within = self.path.strip_prefix(prefix).unwrap_or(self.path);
        let mut resource = web::resource(actix_pattern(within));
        for (_, route) in self.routes {
            resource = resource.route(route);
        }
        let resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { ApiError::method_not_allowed(&allow).error_response_owned() }
        }));
        config.service(resource);
    }
}

/// actix's path parameters cannot contain `-`; Griffin's (`{organization-id}`) do. Handlers
/// read parameters by position, so only the names change.
fn actix_pattern(path: &str) -> String {
    let mut in_braces = false;
    path.chars()
        .map(|c| {
            match c {
                '{' => in_braces = true,
                '}' => in_braces = false,
                _ => {}
            }
            if in_braces && c == '-' { '_' } else { c }
        })
        .collect()
}

impl ApiError {
    fn error_response_owned(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}

/// Unknown paths: our 404 body instead of actix's empty one.
pub async fn unknown_route() -> HttpResponse {
    ApiError::not_found().error_response_owned()
}

/// A path id: malformed ids are 404, exactly like unknown ones.
pub fn path_id<K: crate::ids::IdKind>(text: &str) -> ApiResult<crate::ids::Id<K>> {
    crate::ids::Id::parse(text).ok_or_else(ApiError::not_found)
}
