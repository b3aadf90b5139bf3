//! The middleware every request passes: auth, counters, rate limit, injected faults.
//!
//! Order matters and mirrors HubSpot: an unauthenticated request is rejected before it can
//! be attributed to an app's rate limit; an admitted request carries the rate-limit headers
//! whatever its outcome, including injected faults.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::{self, Fault};
use super::{Shared, auth, ratelimit};

pub async fn gate(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let sim_control = req.uri().path().starts_with("/_sim");
    if !sim_control {
        st.stats.requests.fetch_add(1, Ordering::Relaxed);
    }
    // Marketo authenticates and limits in its own way, inside its envelope (`marketo::gate`).
    let marketo =
        req.uri().path().starts_with("/rest/") || req.uri().path().starts_with("/identity/");
    if marketo {
        let fault = st.faults.lock().unwrap_or_else(|e| e.into_inner()).next();
        return match fault {
            Some(f) => {
                st.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
                match f {
                    Fault::Status(code) => faults::error_response(code),
                    Fault::RateLimited(secs) => faults::rate_limited(secs),
                    Fault::Reset => faults::reset(next.run(req).await).await,
                    Fault::Delay(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        next.run(req).await
                    }
                    Fault::Malformed => faults::truncate(next.run(req).await).await,
                }
            }
            None => next.run(req).await,
        };
    }
    if let Err(e) = auth::check(req.headers(), &st.token) {
        // Each vendor refuses a session in its own words.
        if req.uri().path().starts_with("/services/") {
            return super::salesforce::invalid_session();
        }
        return e.into_response();
    }
    if sim_control {
        return next.run(req).await;
    }
    let (verdict, max) = {
        let mut limiter = st.limiter.lock().unwrap_or_else(|e| e.into_inner());
        (limiter.admit(Instant::now()), limiter.max())
    };
    if !verdict.allowed {
        st.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(path = %req.uri().path(), "sim: rate limited");
        let mut resp = ratelimit::too_many(&verdict).into_response();
        ratelimit::headers(resp.headers_mut(), max, &verdict);
        if let Ok(v) = HeaderValue::from_str(&verdict.retry_after_secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let fault = st.faults.lock().unwrap_or_else(|e| e.into_inner()).next();
    if let Some(f) = fault {
        st.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(?f, path = %req.uri().path(), "sim: injecting fault");
    }
    let mut resp = match fault {
        Some(Fault::Status(code)) => faults::error_response(code),
        Some(Fault::RateLimited(secs)) => faults::rate_limited(secs),
        Some(Fault::Reset) => faults::reset(next.run(req).await).await,
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Fault::Malformed) => faults::truncate(next.run(req).await).await,
        None => next.run(req).await,
    };
    ratelimit::headers(resp.headers_mut(), max, &verdict);
    resp
}
