//! A Substack post body as plain article HTML: subscribe widgets, share and subscribe buttons and
//! the paywall marker taken out (with everything inside them), images unwrapped from Substack's
//! link-and-picture scaffolding, tweets turned into quotations with their link.

use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};

/// The cleaned body, and whether it had a paywall marker (a paid post's free preview ended there).
pub(crate) struct Cleaned {
    pub html: String,
    pub paywall: bool,
}

pub(crate) fn clean(html: &str) -> Result<Cleaned, String> {
    let paywall = std::cell::Cell::new(false);
    let out = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![
                // Substack's own calls to action mean nothing on another site.
                element!(
                    "div.subscription-widget-wrap, div.subscription-widget, p.button-wrapper, \
                     div.button-wrapper, form, input, div.install-substack-app-embed, \
                     div.community-chat, div.digest-post-embed",
                    |el| {
                        el.remove();
                        Ok(())
                    }
                ),
                element!("div.paywall-jump", |el| {
                    paywall.set(true);
                    el.remove();
                    Ok(())
                }),
                // Images: the <img> inside a link to the full size, inside a <picture> with sources.
                element!(
                    "a.image-link, div.image2-inset, div.captioned-image-container, picture",
                    |el| {
                        el.remove_and_keep_content();
                        Ok(())
                    }
                ),
                element!("source", |el| {
                    el.remove();
                    Ok(())
                }),
                element!("img", |el| {
                    for attr in ["srcset", "sizes", "data-attrs", "class"] {
                        el.remove_attribute(attr);
                    }
                    Ok(())
                }),
                // A tweet: its words and a link to it, as a quotation.
                element!("div.tweet", |el| {
                    el.set_tag_name("blockquote")?;
                    el.remove_attribute("data-attrs");
                    el.remove_attribute("class");
                    Ok(())
                }),
                element!(
                    "a.tweet-link-top, div.tweet-header, div.tweet-footer",
                    |el| {
                        el.remove();
                        Ok(())
                    }
                ),
                element!("div.tweet-text", |el| {
                    el.set_tag_name("p")?;
                    Ok(())
                }),
                element!("a.tweet-link-bottom", |el| {
                    el.set_inner_content("View the post", ContentType::Text);
                    el.remove_attribute("target");
                    Ok(())
                }),
                element!("[data-attrs]", |el| {
                    el.remove_attribute("data-attrs");
                    Ok(())
                }),
            ],
            ..RewriteStrSettings::new()
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(Cleaned {
        html: out,
        paywall: paywall.get(),
    })
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn widgets_buttons_and_scaffolding_go_and_words_stay() {
        let html = r#"<p>Intro.</p><div class="captioned-image-container"><figure><a class="image-link image2" href="https://x/full.jpeg"><div class="image2-inset"><picture><source type="image/webp" srcset="a 1w"><img src="https://cdn/x.jpeg" srcset="a 424w" alt="Boats" width="1456"></picture></div></a><figcaption class="image-caption">Dawn.</figcaption></figure></div><div class="subscription-widget-wrap"><div class="preamble"><p>Subscribe now.</p></div><form><input type="email"></form></div><div class="paywall-jump" data-component-name="PaywallToDOM"></div><p class="button-wrapper" data-attrs="{}"><a class="button primary" href="https://x/share"><span>Share</span></a></p><div class="tweet" data-attrs="{}"><a class="tweet-link-top" href="https://t/1"><div class="tweet-header">Name</div></a><div class="tweet-text">Out now.</div><a class="tweet-link-bottom" href="https://t/1" target="_blank"><div class="tweet-date">Apr 4</div></a></div>"#;
        let c = clean(html).unwrap();
        assert!(c.paywall);
        assert_eq!(
            c.html,
            "<p>Intro.</p><figure><img src=\"https://cdn/x.jpeg\" alt=\"Boats\" width=\"1456\"><figcaption class=\"image-caption\">Dawn.</figcaption></figure>\
             <blockquote><p class=\"tweet-text\">Out now.</p><a class=\"tweet-link-bottom\" href=\"https://t/1\">View the post</a></blockquote>"
        );
    }
}
