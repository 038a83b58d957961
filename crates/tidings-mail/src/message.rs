//! An email as the rest of Tidings describes it, before a transport formats it.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::transport::MailError;

/// One message to one recipient (serialisable, so that it can wait in the jobs table).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (always sent).
    pub text: String,
    /// HTML alternative, when there is one.
    pub html: Option<String>,
    /// Extra headers such as `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
    /// A fixed Message-ID (without angle brackets), so that a retried send repeats it.
    pub message_id: Option<String>,
    /// The sender's display name when the message was written (set by the outbox), so that
    /// whichever process sends it signs it the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Another sending address on the configured sender's domain (a newsletter's own), so that
    /// SPF and DKIM stay aligned; any other domain is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_address: Option<String>,
}

impl Email {
    /// Builds the MIME message: text only, or multipart/alternative with an HTML part.
    pub(crate) fn to_message(&self, from: &Mailbox) -> Result<Message, MailError> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|_| MailError::Address(self.to.clone()))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject.clone());
        if let Some(id) = &self.message_id {
            builder = builder.message_id(Some(format!("<{id}>")));
        } else {
            let domain = from.email.domain().to_string();
            builder = builder.message_id(Some(format!("<{}@{domain}>", random_id())));
        }
        let mut message = match &self.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                html.clone(),
            ))?,
            None => builder.singlepart(SinglePart::plain(self.text.clone()))?,
        };
        for (name, value) in &self.headers {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| MailError::Header(name.clone()))?;
            message
                .headers_mut()
                .insert_raw(HeaderValue::new(name, value.clone()));
        }
        Ok(message)
    }
}

/// 24 random alphanumeric characters.
pub(crate) fn random_id() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}
