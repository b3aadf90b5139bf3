//! The HTTP surface: HubSpot CRM v3/v4 routes plus the simulator's own `/_sim` controls.
//!
//! Handlers lock the world, compute a response, and drop the lock before returning; no
//! lock is ever held across an `.await`. Cross-cutting behaviour (auth, rate limits, fault
//! injection, counters) lives in [`gate`] so every route gets it identically.

mod associations;
mod auth;
pub mod error;
mod faults;
mod filter;
mod gate;
pub mod journal;
pub mod marketo;
mod notes;
mod objects;
mod owners;
mod pipelines;
mod ratelimit;
mod render;
pub mod salesforce;
mod search;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, patch, post};

use super::world::{ObjType, World};
use error::ApiError;
pub use faults::FaultPlan;
pub use ratelimit::RateLimiter;

/// Counters exposed at `GET /_sim/stats`.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub writes: AtomicU64,
    pub faults_injected: AtomicU64,
}

pub struct AppState {
    /// Readers (lists, reads, searches, queries) share it; writes and evolution take it alone.
    pub world: RwLock<World>,
    pub token: String,
    pub base_url: String,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<FaultPlan>,
    pub stats: Stats,
    /// Every client request, when the journal is on (`SimOptions::journal`).
    pub journal: Option<Mutex<Vec<journal::Entry>>>,
    /// Marketo's tokens, limits and list memberships.
    pub marketo: marketo::gate::MarketoState,
    /// Salesforce's open query locators.
    pub soql_cursors: salesforce::cursor::Cursors,
    /// How far the search index may trail a write (`SimOptions::index_lag`).
    pub index_lag: std::time::Duration,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// Read the world; a panic elsewhere must not take the whole simulator down with it.
    pub fn world(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the world: waits for readers, and they for it.
    pub fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Read the world with the modification indexes of `types` up to date. Filing what
    /// writes touched needs the world alone, briefly; a search then reads alongside others.
    pub fn world_indexed(&self, types: &[ObjType]) -> RwLockReadGuard<'_, World> {
        loop {
            let w = self.world();
            if types.iter().all(|t| w.modified(*t).is_fresh()) {
                return w;
            }
            drop(w);
            let mut w = self.world_mut();
            for t in types {
                w.refresh_modified(*t);
            }
        }
    }

    pub fn count_write(&self) {
        self.stats
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Resolve the `{objectType}` path segment.
pub fn object_type(raw: &str) -> Result<ObjType, ApiError> {
    ObjType::parse(raw)
        .ok_or_else(|| ApiError::validation(format!("Unable to infer object type from: {raw}")))
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/crm/v3/objects/{object_type}",
            get(objects::list).post(notes::create),
        )
        .route("/crm/v3/objects/{object_type}/search", post(search::search))
        .route(
            "/crm/v3/objects/{object_type}/batch/read",
            post(objects::batch_read),
        )
        .route(
            "/crm/v3/objects/{object_type}/{id}",
            get(objects::get_one)
                .patch(objects::patch)
                .delete(objects::archive),
        )
        .route(
            "/crm/v4/associations/{from}/{to}/batch/read",
            post(associations::batch_read),
        )
        .route("/crm/v3/owners", get(owners::list))
        .route("/crm/v3/owners/", get(owners::list))
        .route("/crm/v3/owners/{id}", get(owners::get_one))
        .route("/crm/v3/pipelines/deals", get(pipelines::list))
        .route("/crm/v3/pipelines/deals/{id}", get(pipelines::get_one))
        .route("/services/data/{version}/query", get(salesforce::query))
        .route("/services/data/{version}/query/", get(salesforce::query))
        .route(
            "/services/data/{version}/query/{locator}",
            get(salesforce::query_more),
        )
        .route(
            "/services/data/{version}/sobjects/{object}",
            post(salesforce::write::create),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/{id}",
            patch(salesforce::write::patch).delete(salesforce::write::delete),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/deleted/",
            get(salesforce::write::deleted),
        )
        .route("/identity/oauth/token", get(marketo::gate::token))
        .route(
            "/rest/v1/leads.json",
            get(marketo::leads).post(marketo::leads_post),
        )
        .route(
            "/rest/v1/activities/pagingtoken.json",
            get(marketo::paging_token),
        )
        .route("/rest/v1/activities.json", get(marketo::activities))
        .route(
            "/rest/v1/activities/leadchanges.json",
            get(marketo::lead_changes),
        )
        .route(
            "/rest/v1/activities/types.json",
            get(marketo::activity_types),
        )
        .route("/rest/asset/v1/programs.json", get(marketo::programs))
        .route("/rest/v1/stats/usage.json", get(marketo::usage))
        .route(
            "/rest/v1/lists/{list_id}/leads.json",
            post(marketo::add_to_list).delete(marketo::remove_from_list),
        )
        .route(
            "/rest/v1/lists/{list_id}/leads/ismember.json",
            get(marketo::is_member),
        )
        .route("/_sim/faults", post(faults::add).delete(faults::clear))
        .route("/_sim/stats", get(faults::stats))
        .route("/_sim/requests", get(journal::list))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), gate::gate))
        .layer(from_fn_with_state(state.clone(), journal::record))
        .with_state(state)
}
