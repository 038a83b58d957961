//! A cookie-keeping HTTP client that fills in CSRF tokens the way a browser submits forms.

use std::collections::HashMap;

use tidings_accounts::{PasswordCost, Passwords, Role};
use tidings_store::{NewUser, Store, User};

/// One browser: its own cookies, talking to one test server.
#[derive(Clone)]
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    /// The last CSRF token seen in a page.
    pub csrf: String,
}

/// One part of a multipart form.
pub enum Part<'a> {
    /// A plain field: name and value.
    Field(&'a str, &'a str),
    /// A file: field name, file name and contents.
    File(&'a str, &'a str, &'a [u8]),
}

/// A response reduced to what tests look at.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        for value in res.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let location = header("location");
        let retry_after = header("retry-after");
        let body = res.text().await.unwrap();
        if let Some(token) = find_csrf(&body) {
            self.csrf = token;
        }
        Page {
            status,
            location,
            retry_after,
            body,
        }
    }

    /// GET a path.
    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// POST a form with the current CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// POST exactly these fields.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// POST an upload form as browsers send it (multipart), with the CSRF token in the address as
    /// the admin's upload forms carry it.
    pub async fn post_multipart(&mut self, path: &str, parts: &[Part<'_>]) -> Page {
        let boundary = "tidingsboundary7MA4YWxk";
        let mut body = Vec::new();
        for part in parts {
            let (head, bytes): (String, &[u8]) = match part {
                Part::Field(name, value) => (
                    format!("Content-Disposition: form-data; name=\"{name}\""),
                    value.as_bytes(),
                ),
                Part::File(name, file, bytes) => (
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream"
                    ),
                    bytes,
                ),
            };
            body.extend_from_slice(format!("--{boundary}\r\n{head}\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = self
            .client
            .post(format!("{}{path}{sep}csrf={}", self.base, self.csrf))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// POST with extra headers (e.g. a foreign Origin).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("csrf", &csrf));
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&all)
            .finish();
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// Whether a session cookie is held.
    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("tidings_session")
    }

    /// The same visitor (cookies and all) at another address: another node of the same site.
    pub fn at(&self, base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: self.client.clone(),
            cookies: self.cookies.clone(),
            csrf: self.csrf.clone(),
        }
    }

    /// The session cookie value.
    pub fn session(&self) -> Option<String> {
        self.cookies.get("tidings_session").cloned()
    }

    /// Signs in through the login form; returns the final response of the POST.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/admin/login").await;
        self.post(
            "/admin/login",
            &[
                ("email", email),
                ("password", password),
                ("next", "/admin/"),
            ],
        )
        .await
    }
}

/// The value of the first `name="csrf"` hidden field in a page.
pub fn find_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')? + at;
    Some(html[at..end].to_string())
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an account with [`PASSWORD`] directly in the store.
pub async fn account(store: &Store, email: &str, role: Role) -> User {
    let hash = Passwords::new(PasswordCost::Test).hash(PASSWORD).unwrap();
    store
        .create_user(&NewUser {
            email: email.into(),
            name: String::new(),
            role,
            password_hash: Some(hash),
        })
        .await
        .unwrap()
}

/// The first link in a message body that starts with `prefix`.
pub fn link(body: &str, prefix: &str) -> String {
    let unfolded = body.replace("=\r\n", "").replace("=3D", "=");
    let at = unfolded
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in {unfolded}"));
    unfolded[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}
