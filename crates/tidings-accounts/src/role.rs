//! Roles and the one table that says what each may do.

use serde::Serialize;

/// A person's role in the newsroom, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the site; there is always at least one.
    Owner,
    /// Manages people, settings, subscribers and donors.
    Administrator,
    /// All content, tags and authors.
    Editor,
    /// Writes and publishes their own articles.
    Author,
    /// Writes drafts and submits them for review.
    Contributor,
}

/// Everything the admin lets someone do; checked on every admin route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the article list and open the editor.
    ViewArticles,
    /// Create a draft.
    CreateArticle,
    /// Edit an article they are a byline on (or created).
    EditOwnArticle,
    /// Edit anyone's article.
    EditAnyArticle,
    /// Publish, schedule or unpublish their own article.
    PublishOwnArticle,
    /// Publish, schedule or unpublish anyone's article.
    PublishAnyArticle,
    /// Submit a draft for review by the editors.
    SubmitForReview,
    /// Edit tags and authors.
    ManageTaxonomy,
    /// Upload images and browse the media library.
    UploadMedia,
    /// Invite people, change roles, disable accounts.
    ManageUsers,
    /// See subscribers and donors (personal data).
    ViewPersonalData,
    /// Change site settings.
    ManageSettings,
    /// Read the audit log.
    ViewAuditLog,
    /// Prepare and send the digest and breaking-news alerts.
    SendNewsletter,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Administrator,
        Role::Editor,
        Role::Author,
        Role::Contributor,
    ];

    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Editor => "Editor",
            Role::Author => "Author",
            Role::Contributor => "Contributor",
        }
    }

    /// Whether this role may do `action`. The whole permission model is this one match.
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            ViewArticles | CreateArticle | EditOwnArticle => true,
            SubmitForReview => self == Contributor,
            UploadMedia => true,
            PublishOwnArticle => self <= Author,
            EditAnyArticle | PublishAnyArticle | ManageTaxonomy | SendNewsletter => self <= Editor,
            ManageUsers | ViewPersonalData | ManageSettings | ViewAuditLog => self <= Administrator,
        }
    }

    /// Roles this role may give to others: administrators cannot create owners.
    pub fn can_grant(self, other: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Administrator => other != Role::Owner,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributors_cannot_publish_and_only_admins_see_personal_data() {
        assert!(!Role::Contributor.can(Action::PublishOwnArticle));
        assert!(Role::Author.can(Action::PublishOwnArticle));
        assert!(!Role::Author.can(Action::PublishAnyArticle));
        assert!(Role::Editor.can(Action::PublishAnyArticle));
        assert!(!Role::Editor.can(Action::ViewPersonalData));
        assert!(Role::Administrator.can(Action::ViewPersonalData));
        assert!(!Role::Administrator.can_grant(Role::Owner));
        assert!(Role::Owner.can_grant(Role::Owner));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
