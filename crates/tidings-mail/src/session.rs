//! One SMTP transaction on an open connection, with fewer round trips and writes than lettre's.
//!
//! lettre sends MAIL, RCPT and DATA one at a time, each waiting for its answer, then the message
//! and its closing dot in two more writes: five writes and four round trips a message. Where the
//! server offers PIPELINING (RFC 2920; Postfix and the large providers all do) the envelope goes
//! in one write and its answers are read after it, and the message goes with its closing dot:
//! two writes and two round trips, which for a digest to many thousands is most of the sending.

use std::fmt::Write as _;

use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error;

/// Asks the server again what it offers (EHLO may be repeated at any time) and whether that
/// includes PIPELINING, which lettre does not keep.
pub(crate) async fn offers_pipelining(
    conn: &mut AsyncSmtpConnection,
    hello: &ClientId,
) -> Result<bool, Error> {
    let answer = conn.command(Ehlo::new(hello.clone())).await?;
    let offered = answer.message().skip(1).any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case("PIPELINING"))
    });
    Ok(offered)
}

/// Sends `message` to the envelope's recipients. Any error leaves the session in a state the
/// caller should not reuse (lettre's own transaction drops the connection on error too).
pub(crate) async fn send(
    conn: &mut AsyncSmtpConnection,
    pipelining: bool,
    envelope: &Envelope,
    message: &[u8],
) -> Result<(), Error> {
    let ascii_addresses = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .all(|a| AsRef::<str>::as_ref(a).is_ascii());
    let text = std::str::from_utf8(message)
        .ok()
        .filter(|t| t.is_ascii() && ascii_addresses);
    let Some(text) = text else {
        // 8-bit content or international addresses: lettre's transaction checks that the server
        // takes them and says so in MAIL.
        conn.send(envelope, message).await?;
        return Ok(());
    };
    let mail = Mail::new(envelope.from().cloned(), Vec::new());
    let recipients = envelope.to().iter().map(|to| Rcpt::new(to.clone(), vec![]));
    if pipelining {
        let mut commands = mail.to_string();
        for rcpt in recipients {
            let _ = write!(commands, "{rcpt}");
        }
        let _ = write!(commands, "{Data}");
        // The first answer is MAIL's; one more for each recipient and one for DATA follow.
        conn.command(commands).await?;
        for _ in 0..=envelope.to().len() {
            conn.read_response().await?;
        }
    } else {
        conn.command(mail).await?;
        for rcpt in recipients {
            conn.command(rcpt).await?;
        }
        conn.command(Data).await?;
    }
    conn.command(stuffed(text)).await?;
    Ok(())
}

/// The message as DATA carries it: a dot doubled at the start of every line (RFC 5321
/// section 4.5.2), then the line with the closing dot.
fn stuffed(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 64);
    if message.starts_with('.') {
        out.push('.');
    }
    let mut rest = message;
    while let Some(at) = rest.find("\r\n.") {
        out.push_str(&rest[..at + 3]);
        out.push('.');
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::stuffed;

    #[test]
    fn dots_at_line_starts_are_doubled_and_the_end_is_marked() {
        assert_eq!(stuffed("a\r\n.b\r\n..c"), "a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(stuffed(".x\r\n"), "..x\r\n.\r\n");
        assert_eq!(stuffed("no dots. here\r\n"), "no dots. here\r\n.\r\n");
        assert_eq!(stuffed("a\r\n.\r\nb"), "a\r\n..\r\nb\r\n.\r\n");
    }
}
