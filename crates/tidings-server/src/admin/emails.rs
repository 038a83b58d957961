//! The newsroom's own emails: invitations, password resets, review requests. Links use `site.url`.

use tidings_mail::Email;

use crate::app::AppState;

/// Queues the email for the job runner, so that no request waits on the mail server; a failure to
/// queue is logged (the person can always ask again, and the page must not reveal whether an
/// address has an account).
pub async fn send(app: &AppState, email: Email) {
    if let Err(e) = app.send_later(email).await {
        tracing::error!(error = %e, "cannot queue newsroom email");
    }
}

/// An invitation to join the newsroom.
pub fn invitation(app: &AppState, to: &str, inviter: &str, role: &str, token: &str) -> Email {
    let site = &app.newsletters().site().title();
    let link = format!("{}/admin/invite/{token}", app.site().url);
    Email {
        to: to.to_string(),
        subject: format!("You're invited to the {site} newsroom"),
        text: format!(
            "{inviter} has invited you to join the {site} newsroom as {role}.\n\n\
             Accept the invitation and choose a password here (the link works once, for 7 days):\n\n{link}\n\n\
             If you weren't expecting this, you can ignore this email."
        ),
        ..Email::default()
    }
}

/// A password reset link.
pub fn reset(app: &AppState, to: &str, token: &str) -> Email {
    let site = &app.newsletters().site().title();
    let link = format!("{}/admin/reset/{token}", app.site().url);
    Email {
        to: to.to_string(),
        subject: format!("Reset your {site} password"),
        text: format!(
            "Someone (hopefully you) asked to reset the password for this address at {site}.\n\n\
             Choose a new password here (the link works once, for 1 hour):\n\n{link}\n\n\
             If it wasn't you, ignore this email: your password has not changed."
        ),
        ..Email::default()
    }
}

/// Tells editors a contributor's draft waits for review.
pub fn review_request(app: &AppState, to: &str, who: &str, title: &str, id: i64) -> Email {
    let link = format!("{}/admin/articles/{id}", app.site().url);
    Email {
        to: to.to_string(),
        subject: format!("Ready for review: {title}"),
        text: format!(
            "{who} submitted \"{title}\" for review.\n\nOpen it in the editor:\n\n{link}\n"
        ),
        ..Email::default()
    }
}
