//! The optional third-party challenge on donation forms (Cloudflare Turnstile or hCaptcha), off by
//! default: the widget's token is checked with the provider's `siteverify` endpoint, which both
//! providers shape the same way (`secret`, `response`, `remoteip` in; `success`, `error-codes` out).

use std::time::Duration;

use serde::Deserialize;

/// A supported provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeProvider {
    /// Cloudflare Turnstile.
    Turnstile,
    /// hCaptcha.
    HCaptcha,
}

impl ChallengeProvider {
    /// From the configuration value.
    pub fn parse(s: &str) -> Option<ChallengeProvider> {
        match s {
            "turnstile" => Some(ChallengeProvider::Turnstile),
            "hcaptcha" => Some(ChallengeProvider::HCaptcha),
            _ => None,
        }
    }

    /// The provider's verification endpoint.
    pub fn verify_url(self) -> &'static str {
        match self {
            ChallengeProvider::Turnstile => {
                "https://challenges.cloudflare.com/turnstile/v0/siteverify"
            }
            ChallengeProvider::HCaptcha => "https://api.hcaptcha.com/siteverify",
        }
    }

    /// The widget's script.
    pub fn script_url(self) -> &'static str {
        match self {
            ChallengeProvider::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
            ChallengeProvider::HCaptcha => "https://js.hcaptcha.com/1/api.js",
        }
    }

    /// The origin the widget's script and frame come from (for the page's CSP).
    pub fn origins(self) -> &'static str {
        match self {
            ChallengeProvider::Turnstile => "https://challenges.cloudflare.com",
            ChallengeProvider::HCaptcha => "https://hcaptcha.com https://*.hcaptcha.com",
        }
    }

    /// The form field the widget fills with its token.
    pub fn field(self) -> &'static str {
        match self {
            ChallengeProvider::Turnstile => "cf-turnstile-response",
            ChallengeProvider::HCaptcha => "h-captcha-response",
        }
    }

    /// The widget's element class.
    pub fn widget_class(self) -> &'static str {
        match self {
            ChallengeProvider::Turnstile => "cf-turnstile",
            ChallengeProvider::HCaptcha => "h-captcha",
        }
    }
}

#[derive(Deserialize)]
struct Verdict {
    success: bool,
    #[serde(rename = "error-codes", default)]
    error_codes: Vec<String>,
}

/// Checks a widget token; `Ok(())` only when the provider says it passed.
pub async fn verify_challenge(
    verify_url: &str,
    secret: &str,
    token: &str,
    remote_ip: &str,
) -> Result<(), String> {
    if token.is_empty() || token.len() > 4096 {
        return Err("missing-input-response".into());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let res = client
        .post(verify_url)
        .form(&[
            ("secret", secret),
            ("response", token),
            ("remoteip", remote_ip),
        ])
        .send()
        .await
        .map_err(|e| format!("cannot reach the challenge provider: {e}"))?;
    let verdict: Verdict = res
        .json()
        .await
        .map_err(|e| format!("unexpected answer from the challenge provider: {e}"))?;
    if verdict.success {
        Ok(())
    } else {
        Err(verdict.error_codes.join(", "))
    }
}
