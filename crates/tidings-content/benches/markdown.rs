//! Save-time work for a 1,500-word article: Markdown to HTML, then sanitizing, measured apart.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// A 1,500-word article with headings, emphasis, links, a quote and a list.
pub fn article_markdown() -> String {
    let sentence = "The council's finance committee met on Tuesday evening to weigh *three* options for the harbour, \
        and residents who spoke urged members to publish the [full figures](https://example.org/budget) before any vote. ";
    let mut md = String::new();
    let mut words = 0;
    let mut n = 0;
    while words < 1500 {
        n += 1;
        if n % 6 == 0 {
            md.push_str(&format!("## Section {n}\n\n"));
            words += 2;
        }
        if n % 9 == 0 {
            md.push_str("> \"We heard you,\" the council leader said as the vote closed.\n\n- first point\n- second point\n\n");
            words += 14;
        }
        md.push_str(&sentence.repeat(2));
        md.push_str("\n\n");
        words += 2 * sentence.split_whitespace().count();
    }
    md
}

fn bench(c: &mut Criterion) {
    let md = article_markdown();
    let unsafe_html = {
        let mut out = String::new();
        pulldown_cmark::html::push_html(
            &mut out,
            pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::all()),
        );
        out
    };
    c.bench_function("markdown_to_html_1500_words", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(md.len() * 3 / 2);
            pulldown_cmark::html::push_html(
                &mut out,
                pulldown_cmark::Parser::new_ext(black_box(&md), pulldown_cmark::Options::all()),
            );
            out
        })
    });
    c.bench_function("sanitize_html_1500_words", |b| {
        b.iter(|| tidings_content::sanitize_html(black_box(&unsafe_html)))
    });
    c.bench_function("render_markdown_and_sanitize_1500_words", |b| {
        b.iter(|| tidings_content::render_markdown(black_box(&md)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
