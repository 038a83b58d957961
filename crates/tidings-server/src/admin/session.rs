//! Sessions: the cookie, the signed-in extractor, and starting or ending a session.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use tidings_accounts::{hash_token, new_token, Action};
use tidings_store::{Session, User};

use crate::admin::page::forbidden;
use crate::app::AppState;
use crate::error::AppError;

/// The session cookie.
pub const SESSION_COOKIE: &str = "tidings_session";
/// The double-submit cookie that protects forms shown before sign-in.
pub const PRE_SESSION_COOKIE: &str = "tidings_csrf";
/// How long a session lasts.
pub const SESSION_TTL: i64 = 14 * 24 * 3600;

/// The value of a cookie in the request, if present.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A `Set-Cookie` value: HttpOnly, SameSite, and Secure when the site is HTTPS.
pub fn set_cookie(
    app: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
    same_site: &str,
) -> HeaderValue {
    let secure = if app.site().https { "; Secure" } else { "" };
    let path = if name == SESSION_COOKIE {
        "/"
    } else {
        "/admin"
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// The client's address, as the connection saw it (for throttling and the loopback rule).
/// `X-Forwarded-For` is believed only from the configured trusted proxies: the client is then the
/// right-most address in it that is not itself a trusted proxy.
pub struct Peer {
    ip: Option<std::net::IpAddr>,
    /// The request arrived through a forwarding hop (even an untrusted one).
    forwarded: bool,
}

impl Peer {
    /// Resolves the client from the connection and, behind trusted proxies, `X-Forwarded-For`.
    pub fn resolve(
        connection: Option<std::net::IpAddr>,
        headers: &HeaderMap,
        trusted: &[std::net::IpAddr],
    ) -> Peer {
        let forwarded =
            headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
        let mut ip = connection;
        if connection.is_some_and(|c| trusted.contains(&c)) {
            let hops: Vec<std::net::IpAddr> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|h| h.trim().parse().ok())
                .collect();
            if let Some(client) = hops.iter().rev().find(|h| !trusted.contains(h)) {
                ip = Some(*client);
            }
        }
        Peer { ip, forwarded }
    }

    /// The address, when known.
    pub fn ip_addr(&self) -> Option<std::net::IpAddr> {
        self.ip
    }

    /// The address as text, empty when unknown.
    pub fn ip(&self) -> String {
        self.ip.map(|a| a.to_string()).unwrap_or_default()
    }

    /// Whether the request comes from this machine. A request that passed through a proxy is not
    /// local even when the proxy is (a reverse proxy on the same host would otherwise open the
    /// first-run setup page to the whole internet).
    pub fn is_loopback(&self) -> bool {
        !self.forwarded && self.ip.is_some_and(|a| a.is_loopback())
    }
}

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let connection = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Peer::resolve(
            connection,
            &parts.headers,
            &app.site().trusted_proxies,
        ))
    }
}

/// The person signed in, with a verified session.
pub struct Signed {
    /// The account.
    pub user: User,
    /// The session.
    pub session: Session,
    /// Address of the request.
    pub ip: String,
}

impl Signed {
    /// Refuses with 403 unless the role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.user.role.can(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Appends to the audit log; a failure to log is reported but does not undo the action.
    pub async fn audit(&self, app: &AppState, action: &str, subject: &str) {
        if let Err(e) = app
            .store()
            .audit(Some(self.user.id), action, subject, &self.ip)
            .await
        {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }
}

/// A session that still waits for its second factor.
pub struct Pending {
    /// The account.
    pub user: User,
    /// The session.
    pub session: Session,
}

async fn load(parts: &Parts, app: &AppState) -> Result<Option<(Session, User)>, AppError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(app.store().session(&hash_token(token)).await?)
}

fn to_login(parts: &Parts) -> Response {
    if parts.method == Method::GET {
        let back = parts.uri.path();
        crate::admin::page::see_other(&format!("/admin/login?next={}", urlencode(back)))
    } else {
        forbidden()
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        match load(parts, app).await {
            Ok(Some((session, user))) if session.verified => {
                let _ = app.store().touch_session(&session.token_hash).await;
                let connection = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip());
                let ip =
                    Peer::resolve(connection, &parts.headers, &app.site().trusted_proxies).ip();
                Ok(Signed { user, session, ip })
            }
            Ok(Some(_)) => Err(crate::admin::page::see_other("/admin/two-factor")),
            Ok(None) => Err(to_login(parts)),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl FromRequestParts<AppState> for Pending {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        match load(parts, app).await {
            Ok(Some((session, user))) if !session.verified => Ok(Pending { user, session }),
            Ok(Some(_)) => Err(crate::admin::page::see_other("/admin/")),
            Ok(None) => Err(crate::admin::page::see_other("/admin/login")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Starts a fresh session (a new random cookie: sessions rotate at every sign-in) and ends the one
/// the browser had. Returns the `Set-Cookie` header.
pub async fn start_session(
    app: &AppState,
    headers: &HeaderMap,
    user: &User,
    verified: bool,
    ip: &str,
) -> Result<HeaderValue, AppError> {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        app.store().delete_session(&hash_token(old)).await?;
    }
    let token = new_token();
    let agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    app.store()
        .create_session(
            user.id,
            &hash_token(&token),
            &new_token(),
            verified,
            SESSION_TTL,
            ip,
            agent,
        )
        .await?;
    Ok(set_cookie(app, SESSION_COOKIE, &token, SESSION_TTL, "Lax"))
}

/// A response with a session cookie attached.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// The CSRF token for a form shown before sign-in (or the session's own token when the browser
/// is already signed in), and the cookie to set when the browser has neither.
pub async fn pre_session_token(
    app: &AppState,
    headers: &HeaderMap,
) -> (String, Option<HeaderValue>) {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if let Ok(Some((session, _))) = app.store().session(&hash_token(token)).await {
            return (session.csrf_token, None);
        }
    }
    match cookie(headers, PRE_SESSION_COOKIE) {
        Some(t) => (t.to_string(), None),
        None => {
            let t = new_token();
            let c = set_cookie(app, PRE_SESSION_COOKIE, &t, 86_400, "Strict");
            (t, Some(c))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = xff {
            h.insert("x-forwarded-for", HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let p = Peer::resolve(
            Some(proxy),
            &headers(Some("198.51.100.7, 10.0.0.2")),
            &[proxy],
        );
        assert_eq!(p.ip(), "198.51.100.7");
        let p = Peer::resolve(Some(stranger), &headers(Some("127.0.0.1")), &[proxy]);
        assert_eq!(
            p.ip(),
            "203.0.113.9",
            "a stranger cannot claim another address"
        );
        let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert!(Peer::resolve(Some(local), &headers(None), &[]).is_loopback());
        assert!(
            !Peer::resolve(Some(local), &headers(Some("198.51.100.7")), &[]).is_loopback(),
            "a local reverse proxy does not make the internet local"
        );
        assert!(
            !Peer::resolve(Some(local), &headers(Some("198.51.100.7")), &[local]).is_loopback()
        );
    }
}
