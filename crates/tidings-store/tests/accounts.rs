//! Account storage on SQLite and (when configured) PostgreSQL.

use tidings_accounts::{hash_token, Role};
use tidings_store::{each_backend, NewUser, StoreError, UserToken};

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Ana".into(),
        role,
        password_hash: None,
    }
}

each_backend!(only_one_first_owner_and_unique_normalised_emails, |store| {
    let owner = store
        .create_first_owner(&new_user(" Ana@Example.ORG ", Role::Owner))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.email, "ana@example.org");
    assert!(store
        .create_first_owner(&new_user("eve@example.org", Role::Owner))
        .await
        .unwrap()
        .is_none());
    let err = store
        .create_user(&new_user("ANA@example.org", Role::Editor))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { field: "email", .. }),
        "{err}"
    );
    let err = store
        .create_user(&new_user("not-an-address", Role::Editor))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid { field: "email", .. }),
        "{err}"
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert_eq!(
        store
            .user_by_email("ana@EXAMPLE.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        owner.id
    );
});

each_backend!(links_are_single_use_and_expire, |store| {
    let user = store
        .create_user(&new_user("bo@example.org", Role::Author))
        .await
        .unwrap();
    let live = hash_token("live");
    let old = hash_token("old");
    store
        .create_user_token(user.id, UserToken::Reset, &live, 3600, &[])
        .await
        .unwrap();
    store
        .create_user_token(user.id, UserToken::Reset, &old, -1, &[])
        .await
        .unwrap();
    assert!(store
        .peek_user_token(&live, UserToken::Reset)
        .await
        .unwrap()
        .is_some());
    assert!(
        store
            .consume_user_token(&live, UserToken::Invite)
            .await
            .unwrap()
            .is_none(),
        "wrong purpose"
    );
    assert_eq!(
        store
            .consume_user_token(&live, UserToken::Reset)
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    assert!(
        store
            .consume_user_token(&live, UserToken::Reset)
            .await
            .unwrap()
            .is_none(),
        "single use"
    );
    assert!(
        store
            .peek_user_token(&old, UserToken::Reset)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .consume_user_token(&old, UserToken::Reset)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
});

each_backend!(sessions_expire_and_can_be_revoked_everywhere, |store| {
    let user = store
        .create_user(&new_user("cy@example.org", Role::Editor))
        .await
        .unwrap();
    for (token, ttl) in [("a", 3600), ("b", 3600), ("c", -5)] {
        store
            .create_session(
                user.id,
                &hash_token(token),
                "csrf",
                true,
                ttl,
                "127.0.0.1",
                "test",
            )
            .await
            .unwrap();
    }
    assert!(store.session(&hash_token("a")).await.unwrap().is_some());
    assert!(
        store.session(&hash_token("c")).await.unwrap().is_none(),
        "expired"
    );
    assert_eq!(store.user_sessions(user.id).await.unwrap().len(), 2);
    assert_eq!(
        store
            .delete_user_sessions(user.id, Some(&hash_token("a")))
            .await
            .unwrap(),
        2
    );
    assert!(
        store.session(&hash_token("a")).await.unwrap().is_some(),
        "this browser stays"
    );
    assert!(store.session(&hash_token("b")).await.unwrap().is_none());
});

each_backend!(throttle_counts_and_locks, |store| {
    let delay = |n: i64| if n >= 3 { 60 } else { 0 };
    assert_eq!(
        store
            .throttle_locked_until(&["ip:1", "account:x"])
            .await
            .unwrap(),
        0
    );
    for expected in 1..=3 {
        assert_eq!(
            store.throttle_failure("account:x", delay).await.unwrap(),
            expected
        );
    }
    assert!(
        store
            .throttle_locked_until(&["ip:1", "account:x"])
            .await
            .unwrap()
            > chrono::Utc::now().timestamp()
    );
    store.throttle_clear("account:x").await.unwrap();
    assert_eq!(
        store.throttle_locked_until(&["account:x"]).await.unwrap(),
        0
    );
});

each_backend!(totp_steps_and_recovery_codes_are_used_once, |store| {
    let user = store
        .create_user(&new_user("di@example.org", Role::Owner))
        .await
        .unwrap();
    store
        .set_two_factor(
            user.id,
            Some("JBSWY3DPEHPK3PXP"),
            &[hash_token("code-1"), hash_token("code-2")],
        )
        .await
        .unwrap();
    assert!(store.use_totp_step(user.id, 100).await.unwrap());
    assert!(
        !store.use_totp_step(user.id, 100).await.unwrap(),
        "replay refused"
    );
    assert!(!store.use_totp_step(user.id, 99).await.unwrap());
    assert!(store
        .use_recovery_code(user.id, &hash_token("code-1"))
        .await
        .unwrap());
    assert!(!store
        .use_recovery_code(user.id, &hash_token("code-1"))
        .await
        .unwrap());
    assert!(!store
        .use_recovery_code(user.id, &hash_token("nope"))
        .await
        .unwrap());
    store.set_two_factor(user.id, None, &[]).await.unwrap();
    assert!(store
        .user_by_id(user.id)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .is_none());
    store
        .audit(
            Some(user.id),
            "user.two_factor_off",
            "di@example.org",
            "127.0.0.1",
        )
        .await
        .unwrap();
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log[0].user.as_deref(), Some("di@example.org"));
});

each_backend!(rate_limits_slide_over_their_window, |store| {
    use tidings_store::Window;
    let hour = [Window {
        max: 3,
        window_secs: 3600,
    }];
    let t = 1_000_000;
    for i in 0..3 {
        assert_eq!(store.rate_hit("k", &hour, t + i * 600).await.unwrap(), None);
    }
    // Full: the fourth waits until the first of the three leaves the window, and is not counted.
    assert_eq!(
        store.rate_hit("k", &hour, t + 1800).await.unwrap(),
        Some(1800)
    );
    assert_eq!(
        store.rate_wait("k", &hour, t + 1800).await.unwrap(),
        Some(1800)
    );
    // A sliding window, not a fixed hour: one slot opens as the first request ages out.
    assert_eq!(store.rate_hit("k", &hour, t + 3600).await.unwrap(), None);
    assert!(store
        .rate_hit("k", &hour, t + 3601)
        .await
        .unwrap()
        .is_some());
    // Other keys are their own.
    assert_eq!(
        store.rate_hit("other", &hour, t + 3601).await.unwrap(),
        None
    );
    // Two windows at once: one per 10 minutes and three a day.
    let cooldown = [
        Window {
            max: 1,
            window_secs: 600,
        },
        Window {
            max: 3,
            window_secs: 86_400,
        },
    ];
    assert_eq!(store.rate_hit("m", &cooldown, t).await.unwrap(), None);
    assert_eq!(
        store.rate_hit("m", &cooldown, t + 60).await.unwrap(),
        Some(540)
    );
    assert_eq!(store.rate_hit("m", &cooldown, t + 600).await.unwrap(), None);
    assert_eq!(
        store.rate_hit("m", &cooldown, t + 1200).await.unwrap(),
        None
    );
    assert_eq!(
        store.rate_hit("m", &cooldown, t + 1800).await.unwrap(),
        Some(86_400 - 1800)
    );
    store.prune_rate_events(t + 100_000).await.unwrap();
    assert_eq!(
        store.rate_wait("m", &cooldown, t + 1800).await.unwrap(),
        None
    );
});

each_backend!(
    a_new_password_spends_every_other_reset_and_sign_in_link,
    |store| {
        let user = store
            .create_user(&new_user("cy@example.org", Role::Editor))
            .await
            .unwrap();
        let reset = hash_token("reset-a");
        let signin = hash_token("signin-a");
        store
            .create_user_token(user.id, UserToken::Reset, &reset, 3600, &[])
            .await
            .unwrap();
        store
            .create_user_token(user.id, UserToken::SignIn, &signin, 3600, &[])
            .await
            .unwrap();
        store.set_password(user.id, "$argon2id$new").await.unwrap();
        assert!(store
            .consume_user_token(&reset, UserToken::Reset)
            .await
            .unwrap()
            .is_none());
        assert!(store
            .consume_user_token(&signin, UserToken::SignIn)
            .await
            .unwrap()
            .is_none());
    }
);
