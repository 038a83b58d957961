//! Static pages and organisation settings for the sample newsroom.

/// Slug, title and Markdown of each static page.
pub const PAGES: &[(&str, &str, &str)] = &[
    ("about", "About the Harbour Ledger", "The Harbour Ledger is an independent, nonprofit newsroom covering Port Alder and the Gull Islands. We were founded by readers and former staff of the town's weekly paper after it closed.\n\nWe report on the decisions that shape daily life here: the council, schools, health, housing, the harbour and the economy. Our journalism is free to read, because everyone in Port Alder deserves to know what is happening in their town.\n\nWe are funded by donations from readers and by grants from foundations that have no say over what we publish. Our annual accounts are public.\n\nThis is a demonstration site: the town, the people and the stories are fictional."),
    ("contact", "Contact us", "Have a story we should look into, or spotted a mistake? Write to the newsroom at **newsroom@harbourledger.example** or call 01632 960 431 on weekdays between 9am and 5pm.\n\nYou can also find us at 14 Quay Street, Port Alder, where the door is open on Tuesday and Thursday afternoons.\n\nFor questions about donations, write to **support@harbourledger.example**."),
    ("privacy", "Privacy", "We collect as little about you as we can.\n\n- Reading the site sets no cookies and loads nothing from other companies.\n- We count how many times each story is read, on our own server, without recording who read it.\n- If you sign up for the newsletter, we keep your email address and the date and page where you signed up, so that we can show you agreed. You can leave at any time with one click.\n- If you donate, our payment provider handles your card details; we never see or store them.\n\nWe never sell or share your details. To ask what we hold about you, or to have it deleted, write to privacy@harbourledger.example."),
    ("corrections", "Corrections policy", "We try to get things right, and we say so plainly when we don't.\n\nWhen we correct a factual error, we change the story and add a note at the end saying what was wrong and when we fixed it. We do not quietly edit mistakes away. Small fixes to spelling or grammar that do not change the meaning are made without a note.\n\nIf you believe something we published is wrong, write to corrections@harbourledger.example with the link and what you think is mistaken. An editor will reply within two working days."),
];

/// The outlet's own words: edited in the admin, filled here with sample values.
pub const SETTINGS: &[(&str, &str)] = &[
    ("demo", "1"),
    ("site_title", crate::DEMO_TITLE),
    ("organisation_name", "Harbour Ledger Foundation"),
    ("organisation_address", "14 Quay Street, Port Alder PA1 2HL"),
    ("registration_number", "Registered charity no. 1190000 (sample)"),
    ("site_description", "Independent, nonprofit news for Port Alder and the Gull Islands."),
    ("donation_cta", "The Harbour Ledger is free for everyone because readers like you chip in. Donate today to support independent local reporting in Port Alder."),
    ("receipt_tax_text", "No goods or services were provided in exchange for this gift. Keep this receipt for your tax records."),
    ("newsletter_name", "The Morning Ledger"),
];
