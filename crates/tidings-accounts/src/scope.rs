//! What an admin API token may be used for. A token's power is its scopes, each checked again
//! against its maker's role at every use, so a token never does more than its maker could.

use crate::role::{Action, Role};

/// One thing a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read every article, drafts included.
    ContentRead,
    /// Create and edit articles.
    ContentWrite,
    /// Publish, schedule and unpublish.
    ContentPublish,
    /// Upload images.
    MediaWrite,
    /// List subscribers.
    SubscribersRead,
    /// Add and suppress subscribers.
    SubscribersWrite,
    /// List donations.
    DonationsRead,
}

impl Scope {
    /// Every scope, in the order the admin lists them.
    pub const ALL: [Scope; 7] = [
        Scope::ContentRead,
        Scope::ContentWrite,
        Scope::ContentPublish,
        Scope::MediaWrite,
        Scope::SubscribersRead,
        Scope::SubscribersWrite,
        Scope::DonationsRead,
    ];

    /// The name tokens and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContentRead => "content:read",
            Scope::ContentWrite => "content:write",
            Scope::ContentPublish => "content:publish",
            Scope::MediaWrite => "media:write",
            Scope::SubscribersRead => "subscribers:read",
            Scope::SubscribersWrite => "subscribers:write",
            Scope::DonationsRead => "donations:read",
        }
    }

    /// Reads a scope's name.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// What it allows, in words.
    pub fn label(self) -> &'static str {
        match self {
            Scope::ContentRead => "Read every article, drafts included",
            Scope::ContentWrite => "Create and edit articles",
            Scope::ContentPublish => "Publish, schedule and unpublish articles",
            Scope::MediaWrite => "Upload images",
            Scope::SubscribersRead => "List subscribers",
            Scope::SubscribersWrite => "Add and suppress subscribers",
            Scope::DonationsRead => "List donations",
        }
    }

    /// The admin permission a person needs for a token of theirs to use this scope.
    pub fn needs(self) -> Action {
        match self {
            Scope::ContentRead => Action::ViewArticles,
            Scope::ContentWrite => Action::CreateArticle,
            Scope::ContentPublish => Action::PublishOwnArticle,
            Scope::MediaWrite => Action::UploadMedia,
            Scope::SubscribersRead | Scope::SubscribersWrite | Scope::DonationsRead => {
                Action::ViewPersonalData
            }
        }
    }

    /// The scopes a person with `role` may give a token.
    pub fn grantable(role: Role) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| role.can(s.needs()))
            .collect()
    }
}

/// What every API token starts with, so that secret scanners and people can tell one on sight.
pub const API_TOKEN_PREFIX: &str = "tdg_";

/// A new API token: the prefix and 32 random bytes in hex.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", crate::token::new_token())
}

/// The last characters of a token, kept to tell tokens apart in lists.
pub fn token_hint(token: &str) -> String {
    let n = token.chars().count();
    token.chars().skip(n.saturating_sub(4)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_grants_only_what_it_can_do() {
        assert_eq!(Scope::grantable(Role::Owner), Scope::ALL);
        let contributor = Scope::grantable(Role::Contributor);
        assert!(contributor.contains(&Scope::ContentWrite));
        assert!(!contributor.contains(&Scope::ContentPublish));
        assert!(!contributor.contains(&Scope::SubscribersRead));
        assert!(!Scope::grantable(Role::Editor).contains(&Scope::DonationsRead));
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("admin:all"), None);
    }
}
